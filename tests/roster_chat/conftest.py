"""The roster-chat tests' world: cohorts REVMEN1 and REVMEN2 with their rosters and
facilitators, and the bot on the test's channel with an admin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.roster import apply_roster, parse_roster
from core.staff import add_facilitator
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    RunningBot,
    settings_for,
    start_bot,
)
from tests.people import new_person
from tests.roster_chat.rostering import (
    ADMIN,
    FACILITATOR,
    NOW,
    OTHER_FACILITATOR,
    ROSTER,
)


@pytest.fixture
async def cohorts(
    db: async_sessionmaker[AsyncSession], chat_kind: str
) -> async_sessionmaker[AsyncSession]:
    """REVMEN1 with the roster above and facilitator 9001; REVMEN2 with one roster row and
    facilitator 9002 (people on the test's channel)."""
    first = await make_cohort(db)
    second = await make_cohort(db, code="REVMEN2", name="Angkatan II")
    async with db.begin() as session:
        await apply_roster(session, first, parse_roster(ROSTER.encode()))
        await apply_roster(session, second, parse_roster(b"name,unit\nEko Prasetyo,Bappeda\n"))
        await add_facilitator(session, first, await new_person(session, FACILITATOR, chat_kind))
        other = await new_person(session, OTHER_FACILITATOR, chat_kind)
        await add_facilitator(session, second, other)
    return db


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, cohorts: Any, chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    settings = settings_for(standin, db_url, aksi_admin_ids=(ADMIN,))
    running = await start_bot(chat_kind, standin, settings, Clock(NOW))
    yield running
    await running.stop()
