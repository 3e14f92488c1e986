"""The chat-import tests' world: cohorts ANGKT1 (facilitators Sari and Dewi) and ANGKT2
(Dewi only), and the bot on the test's channel with an admin, at 09:00 WITA on 3 September
2021."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.staff import add_facilitator
from storage.models import Cohort
from tests.chat_imports.importing import (
    ADMIN,
    BOTH,
    FACILITATOR,
    NOW,
)
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    RunningBot,
    settings_for,
    start_bot,
)
from tests.people import new_person


@pytest.fixture
async def cohorts(db: async_sessionmaker[AsyncSession], chat_kind: str) -> dict[str, Cohort]:
    one = await make_cohort(db, code="ANGKT1", name="Angkatan I")
    two = await make_cohort(
        db, code="ANGKT2", name="Angkatan II", starts=date(2021, 11, 1), ends=date(2021, 12, 10)
    )
    async with db.begin() as session:
        sari = await new_person(session, FACILITATOR, channel=chat_kind)
        dewi = await new_person(session, BOTH, channel=chat_kind)
        await add_facilitator(session, one, sari)
        await add_facilitator(session, one, dewi)
        await add_facilitator(session, two, dewi)
    return {"ANGKT1": one, "ANGKT2": two}


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, cohorts: dict[str, Cohort], chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    settings = settings_for(standin, db_url, aksi_admin_ids=(ADMIN,))
    running = await start_bot(chat_kind, standin, settings, Clock(NOW))
    yield running
    await running.stop()
