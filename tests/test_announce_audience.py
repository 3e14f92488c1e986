"""An announcement for "only those who have not checked in today" reaches exactly them, each
participant's today being their own local day (tests/reportdata.py's cohort: at 16:30 UTC it is
still Thursday in WIB and already Friday in WITA and WIT)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.cohorts import get_cohort
from core.staff import add_facilitator
from tests.announcing import compose, delivered, wait_until
from tests.harness import Clock, MemoryBot, RunningBot, joined, settings_for, start_bot
from tests.people import new_person
from tests.reportdata import ANI, BUDI, CITRA, DEDI, EKA, NOW, build

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

FACILITATOR = 5001
BODY = "Jangan lupa lapor kebiasaan hari ini"
# Checked in on their own today: Ani (WIB, Thursday 9th), Budi (WITA, Friday 10th).
# Not: Citra (no plan), Dedi (WIB, nothing on the 9th), Eka (WIT: logged the 9th, but her
# today is the 10th).
CHECKED_IN = (ANI, BUDI)
NOT_CHECKED_IN = (CITRA, DEDI, EKA)


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    """The report tests' cohort REVMEN1, with Sari its facilitator, at `NOW`."""
    await build(db, channel=chat_kind)
    async with db.begin() as session:
        revmen = await get_cohort(session, "REVMEN1")
        await add_facilitator(session, revmen, await new_person(session, FACILITATOR, chat_kind))
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), Clock(NOW))
    yield running
    await running.stop()


async def test_not_checked_in_today_reaches_exactly_those_who_have_not(
    bot: RunningBot | MemoryBot,
) -> None:
    records = bot.standin
    sari = bot.person(FACILITATOR, "Sari")
    preview = await compose(sari, BODY)
    assert "Penerima: <b>5</b> peserta" in preview
    toggled = joined(await sari.press("Hanya yang belum lapor"))
    assert "Penerima: <b>3</b> peserta" in toggled
    assert "hanya yang belum lapor hari ini" in toggled
    await sari.press("Kirim sekarang")
    await wait_until(lambda: delivered(records, FACILITATOR, "Laporan pengumuman") == 1)
    await wait_until(lambda: all(delivered(records, p, BODY) == 1 for p in NOT_CHECKED_IN))
    assert [delivered(records, p, BODY) for p in CHECKED_IN] == [0, 0]
    assert [delivered(records, p, BODY) for p in NOT_CHECKED_IN] == [1, 1, 1]
