"""Numbered menus: a choice with more options than a channel has buttons for (WhatsApp: more
than a list's 10 rows) is shown as numbered lines, answered by typing the number. What each
number means is kept per address in the database, so the answer is understood whichever worker
it reaches, and it answers that person's next message only: every message they write takes it
away (`take`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import Address
from storage.db import dialect_insert
from storage.messaging import ShownMenu

# A menu nobody answered is dropped after a week (with the inbound records).
KEPT = timedelta(days=7)


def _where(where: Address) -> ColumnElement[bool]:
    return and_(ShownMenu.channel == where.channel, ShownMenu.external_id == where.external_id)


async def show(
    session: AsyncSession, where: Address, menu: Mapping[int, str], now: datetime
) -> None:
    """`menu` (number → action data) is what `where` was just shown; an empty one: a choice
    that needs no numbers, so an older menu no longer stands."""
    if not menu:
        if await session.scalar(select(ShownMenu.id).where(_where(where))) is not None:
            await session.execute(delete(ShownMenu).where(_where(where)))
        return
    choices = json.dumps({str(n): data for n, data in menu.items()})
    insert = dialect_insert(session)(ShownMenu).values(
        channel=where.channel, external_id=where.external_id, choices=choices, shown_at=now
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["channel", "external_id"],
            set_={"choices": choices, "shown_at": now},
        )
    )


async def take(session: AsyncSession, where: Address) -> dict[int, str]:
    """The menu last shown at `where`, taken away (it answers one message); {} when none."""
    found = await session.scalar(select(ShownMenu).where(_where(where)))
    if found is None:
        return {}
    await session.execute(delete(ShownMenu).where(ShownMenu.id == found.id))
    try:
        loaded = json.loads(found.choices)
        return {int(n): str(data) for n, data in loaded.items()}
    except (ValueError, AttributeError, TypeError):
        return {}


async def forget_old(session: AsyncSession, now: datetime) -> int:
    """Drop the menus nobody answered within KEPT; how many went."""
    result = await session.execute(delete(ShownMenu).where(ShownMenu.shown_at < now - KEPT))
    return int(getattr(result, "rowcount", 0) or 0)
