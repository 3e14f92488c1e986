"""Inbound messages a channel delivers more than once: Telegram posts an update again when its
webhook post timed out (or the bot restarted before answering), WhatsApp re-sends a message it
was not sure of. Each is recorded by the channel's own id for it when taken in; a copy finds
the row and is dropped, across restarts and workers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert, insert_once
from storage.messaging import ChatTurn, InboundSeen

# Telegram keeps an update for re-delivery up to 24 hours; a week leaves room for a long outage.
KEPT = timedelta(days=7)


async def first_time(session: AsyncSession, channel: str, key: str, now: datetime) -> bool:
    """Record that `channel` delivered `key`; False when it had been delivered before."""
    return await insert_once(session, InboundSeen, channel=channel, key=key, received_at=now)


async def forget_old(session: AsyncSession, now: datetime) -> int:
    """Drop the records older than KEPT; how many went."""
    result = await session.execute(delete(InboundSeen).where(InboundSeen.received_at < now - KEPT))
    return int(getattr(result, "rowcount", 0) or 0)


# Several workers (`core.chat_turns`): an update queued for its chat, handled in turn.


async def queue(
    session: AsyncSession,
    channel: str,
    key: str,
    *,
    chat: str,
    seq: int,
    payload: str,
    now: datetime,
) -> bool:
    """Record `key` as delivered and queue it for `chat` (in `seq` order); False when it had
    been delivered before (the copy is dropped)."""
    return await insert_once(
        session,
        InboundSeen,
        channel=channel,
        key=key,
        received_at=now,
        chat=chat,
        seq=seq,
        payload=payload,
        handled_at=None,
    )


@dataclass(frozen=True)
class Queued:
    id: int
    payload: str


async def waiting(session: AsyncSession, chat: str, limit: int = 20) -> list[Queued]:
    """The chat's updates not handled yet, oldest first."""
    rows = await session.execute(
        select(InboundSeen.id, InboundSeen.payload)
        .where(
            InboundSeen.chat == chat,
            InboundSeen.handled_at.is_(None),
            InboundSeen.payload.is_not(None),
        )
        .order_by(InboundSeen.seq, InboundSeen.id)
        .limit(limit)
    )
    return [Queued(int(i), str(p)) for i, p in rows.all()]


async def take_turn(
    session: AsyncSession, chat: str, holder: str, now: datetime, lease: timedelta
) -> bool:
    """Take the chat's turn for `holder` until `now + lease`: False while another worker's
    turn runs."""
    insert = dialect_insert(session)
    statement = insert(ChatTurn).values(chat=chat, holder=holder, until=now + lease)
    taken = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ChatTurn.chat],
            set_={"holder": statement.excluded.holder, "until": statement.excluded.until},
            where=ChatTurn.until < now,
        ).returning(ChatTurn.chat)
    )
    return taken.first() is not None


async def renew_turns(
    session: AsyncSession, chats: Collection[str], holder: str, now: datetime, lease: timedelta
) -> None:
    if chats:
        await session.execute(
            update(ChatTurn)
            .where(ChatTurn.chat.in_(list(chats)), ChatTurn.holder == holder)
            .values(until=now + lease)
        )


async def handled(session: AsyncSession, row_id: int, now: datetime) -> None:
    await session.execute(
        update(InboundSeen).where(InboundSeen.id == row_id).values(handled_at=now, payload=None)
    )


async def end_turn(session: AsyncSession, chat: str, holder: str) -> None:
    await session.execute(delete(ChatTurn).where(ChatTurn.chat == chat, ChatTurn.holder == holder))


async def stranded(session: AsyncSession, now: datetime, older: timedelta) -> list[str]:
    """Chats with updates waiting longer than `older` and nobody's turn running: a worker died
    with them in hand, or before it could take the turn."""
    running = (
        select(ChatTurn.chat).where(ChatTurn.chat == InboundSeen.chat, ChatTurn.until >= now)
    ).exists()
    rows = await session.execute(
        select(InboundSeen.chat)
        .where(
            InboundSeen.handled_at.is_(None),
            InboundSeen.payload.is_not(None),
            InboundSeen.received_at < now - older,
            ~running,
        )
        .distinct()
        .limit(200)
    )
    return [str(c) for (c,) in rows.all()]
