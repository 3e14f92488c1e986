"""What became of the messages sent (`core.receipts`): each message's furthest status kept
whatever order Meta reports them in, a failure over all, nonsense left out, old ones forgotten."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import receipts
from core.receipts import Reported
from storage.messaging import Receipt
from tests.conftest import NOW

pytestmark = pytest.mark.databases("sqlite", "postgresql")


async def kept(db: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str, str | None]]:
    async with db() as session:
        rows = await session.scalars(select(Receipt))
        return {r.message_id: (r.status, r.error) for r in rows}


async def test_the_furthest_status_is_kept(db: async_sessionmaker[AsyncSession]) -> None:
    later = NOW + timedelta(seconds=5)
    async with db.begin() as session:
        changed = await receipts.record(session, "whatsapp", [
            Reported("wamid.A", "read", later),
            Reported("wamid.A", "delivered", NOW),  # late: read stays
            Reported("wamid.A", "sent", NOW),
            Reported("wamid.B", "sent", NOW),
            Reported("wamid.B", "failed", later, "error 131026"),
            Reported("wamid.B", "read", later),  # nothing goes beyond a failure
            Reported("wamid.C", "exploded", NOW),
            Reported("x" * 129, "sent", NOW),
            Reported("", "sent", NOW),
        ])  # fmt: skip
    assert changed == 3
    assert await kept(db) == {"wamid.A": ("read", None), "wamid.B": ("failed", "error 131026")}
    async with db.begin() as session:
        assert await receipts.forget_old(session, NOW + receipts.KEPT) == 0
        assert await receipts.forget_old(session, later + receipts.KEPT + timedelta(1)) == 2
    assert await kept(db) == {}
