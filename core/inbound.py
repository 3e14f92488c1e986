"""Inbound messages a channel delivers more than once: Telegram posts an update again when its
webhook post timed out (or the bot restarted before answering), WhatsApp re-sends a message it
was not sure of. Each is recorded by the channel's own id for it when taken in; a copy finds
the row and is dropped, across restarts and workers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_once
from storage.models import InboundSeen

# Telegram keeps an update for re-delivery up to 24 hours; a week leaves room for a long outage.
KEPT = timedelta(days=7)


async def first_time(session: AsyncSession, channel: str, key: str, now: datetime) -> bool:
    """Record that `channel` delivered `key`; False when it had been delivered before."""
    return await insert_once(session, InboundSeen, channel=channel, key=key, received_at=now)


async def forget_old(session: AsyncSession, now: datetime) -> int:
    """Drop the records older than KEPT; how many went."""
    result = await session.execute(delete(InboundSeen).where(InboundSeen.received_at < now - KEPT))
    return int(getattr(result, "rowcount", 0) or 0)
