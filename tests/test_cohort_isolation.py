"""Two cohorts side by side: /jadwal (/schedule) and /materi (/materials) show a participant
their own cohort's sessions and links, never another cohort's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.imports import apply_materials, apply_schedule, parse_materials, parse_schedule
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, RunningBot, joined, settings_for, start_bot

pytestmark = pytest.mark.channels("telegram", "memory")

# Friday 3 September 2021, 09:00 WITA (conftest's NOW): both cohorts are running.
SCHEDULE_A = """date,start,end,title,speaker,link
2021-09-06,08:30,12:00,Alfa Indonesia Melayani,Dr. Andi,https://zoom.example/j/alfa1
2021-09-07,08:30,12:00,Alfa Indonesia Bersih,Dr. Andi,https://zoom.example/j/alfa2
"""
MATERIALS_A = """module,title,url
Modul Alfa,Bahan Ajar Alfa,https://elearning.example/alfa.pdf
"""
SCHEDULE_B = """date,start,end,title,speaker,link
2021-09-06,13:30,15:30,Bravo Gotong Royong,Dr. Citra,https://zoom.example/j/bravo1
2021-09-08,08:30,12:00,Bravo Agen Perubahan,Dr. Citra,https://zoom.example/j/bravo2
2021-09-09,08:30,12:00,Bravo Rencana Aksi,Dr. Citra,
"""
MATERIALS_B = """module,title,url
Modul Bravo,Bahan Ajar Bravo,https://elearning.example/bravo.pdf
Modul Bravo,Video Bravo,https://elearning.example/bravo-video
"""
ALFA = ("Alfa", "zoom.example/j/alfa", "Modul Alfa", "elearning.example/alfa.pdf")
BRAVO = ("Bravo", "zoom.example/j/bravo", "Modul Bravo", "elearning.example/bravo")


@pytest.fixture
async def bot(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> AsyncIterator[RunningBot | MemoryBot]:
    """Cohorts REVMEN1 (Alfa's sessions and materials) and LAIN1 (Bravo's), each their own."""
    for code, name, schedule, materials in (
        ("REVMEN1", "Angkatan I", SCHEDULE_A, MATERIALS_A),
        ("LAIN1", "Angkatan Lain", SCHEDULE_B, MATERIALS_B),
    ):
        cohort = await make_cohort(db, code=code, name=name)
        async with db.begin() as session:
            await apply_schedule(session, cohort, parse_schedule(schedule.encode(), cohort))
            await apply_materials(session, cohort, parse_materials(materials.encode()))
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    yield running
    await running.stop()


def shows_only(body: str, own: tuple[str, ...], other: tuple[str, ...]) -> None:
    for needle in own:
        assert needle in body, needle
    for needle in other:
        assert needle not in body, needle


async def test_each_cohort_sees_only_its_own_schedule_and_materials(
    bot: RunningBot | MemoryBot,
) -> None:
    ani = bot.person(1001, "Ani")
    await ani.send("/start REVMEN1")
    budi = bot.person(1002, "Budi")
    await budi.send("/start LAIN1")
    for person, own, other in ((ani, ALFA, BRAVO), (budi, BRAVO, ALFA)):
        shows_only(joined(await person.send("/jadwal")), own[:2], other)
        shows_only(joined(await person.send("/jadwal semua")), own[:2], other)
        shows_only(joined(await person.send("/materi")), own[2:], other)
    # What each is told counts their own cohort's sessions only.
    ani_all = joined(await ani.send("/jadwal semua"))
    assert "🗓 <b>Seluruh jadwal Angkatan I</b>\n2 sesi · waktu WITA" in ani_all
    budi_all = joined(await budi.send("/jadwal semua"))
    assert "🗓 <b>Seluruh jadwal Angkatan Lain</b>\n3 sesi · waktu WITA" in budi_all
    assert "📚 <b>Materi Angkatan Lain</b>" in joined(await budi.send("/materi"))
    # The English commands read the same rows.
    await ani.send("/bahasa en")
    shows_only(joined(await ani.send("/schedule all")), ALFA[:2], BRAVO)
    shows_only(joined(await ani.send("/materials")), ALFA[2:], BRAVO)
