"""One rule for "complete" in /rekap, the daily digest and the export's summary: a day is
complete only when every habit due that day is done (a number only when its target is
reached); a habit skipped with a reason is not due; "partly" when something is logged but not
everything is done."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.cohorts import get_cohort
from core.reports import DayState, cohort_report
from core.staff import add_facilitator
from scheduler.digest_job import render_digest
from storage.models import Cohort
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, Person, RunningBot, joined, settings_for, start_bot
from tests.people import new_person
from tests.reportdata import build

pytestmark = pytest.mark.channels("telegram", "memory")

# Friday 3 September 2021, 09:00 WITA.
NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
FACILITATOR = 5001


async def test_a_number_below_its_target_is_not_done(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Saturday 4 September in the constructed cohort: Ani logged both habits, but read 5 of
    her 10 pages — partly, not complete, as it used to be for having logged everything."""
    await build(db)
    async with db() as session:
        cohort = await get_cohort(session, "REVMEN1")
        report = await cohort_report(session, cohort, datetime(2021, 9, 4, 12, 0, tzinfo=UTC))
    states = {p.name: (p.state, p.done, p.logged, p.due, p.skipped) for p in report.people}
    assert states == {
        "Ani Lestari": (DayState.PARTLY, 1, 2, 2, 0),  # 5 < 10 halaman: logged, not done
        "Budi": (DayState.COMPLETE, 1, 1, 1, 0),  # B2 starts on the 8th
        "Citra Dewi": (DayState.NO_PLAN, 0, 0, 0, 0),
        "Dedi Kurniawan": (DayState.COMPLETE, 1, 1, 1, 0),  # a Saturday habit, done
        "Eka Putri": (DayState.PARTLY, 1, 1, 2, 0),  # three a week: not logged yet
    }
    assert report.counts[DayState.COMPLETE] == 2 and report.counts[DayState.PARTLY] == 2


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    await make_cohort(db)
    async with db.begin() as session:
        sari = await new_person(session, FACILITATOR, chat_kind)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), sari)
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), Clock(NOW))
    yield running
    await running.stop()


async def participant(bot: RunningBot, user_id: int, name: str, *habits: str) -> Person:
    """Joined with `name` as full name, no unit, and a plan of daily yes/no `habits`."""
    p = bot.person(user_id, name.split()[0])
    await p.send("/start REVMEN1")
    await p.send(name)
    await p.press("Lewati")
    await p.send("/rencana")
    await p.send(f"Rencana aksi {name}")
    for i, habit in enumerate(habits):
        if i:
            await p.press("Tambah kebiasaan")
        await p.send(habit)
        await p.press("Ya / tidak")
        await p.press("Setiap hari")
    await p.press("Simpan")
    await p.send("/lapor")
    return p


async def press_on(p: Person, line: int, label: str) -> None:
    """Press `label` on the check-in sheet's habit number `line` (from 0) among those not
    logged yet (a logged habit's row is one "change" button)."""
    message_id, buttons = p.last_keyboard()
    matches = [b for b in buttons if b["text"].startswith(label)]
    await p.press_data(message_id, matches[line]["callback_data"])


async def until(standin: BotApiStandIn, chat: int, method: str, since: int) -> Outgoing:
    for _ in range(400):
        for record in standin.outbox[since:]:
            if record.chat_id == chat and record.method == method:
                return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {method} in chat {chat}")


async def test_complete_only_when_every_due_habit_is_done(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    ani = await participant(bot, 2001, "Ani Lestari", "Apel pagi", "Senyum sapa")
    await press_on(ani, 0, "✅")
    await press_on(ani, 0, "❌")  # one of two done, the other logged as not done
    budi = await participant(bot, 2002, "Budi Santoso", "Apel pagi", "Senyum sapa")
    await press_on(budi, 0, "✅")
    await press_on(budi, 0, "✅")
    citra = await participant(bot, 2003, "Citra Dewi", "Apel pagi", "Senyum sapa")
    await press_on(citra, 0, "✅")
    await press_on(citra, 0, "⏸")
    await citra.press("Sakit")  # skipped: not due, so what is left is all done
    dedi = await participant(bot, 2004, "Dedi Kurniawan", "Apel pagi")
    await press_on(dedi, 0, "⏸")
    await dedi.press("Dinas luar")  # everything skipped: nothing left due today
    await participant(bot, 2005, "Eka Putri", "Apel pagi")  # nothing logged

    sari = bot.person(FACILITATOR, "Sari")
    answer = joined(await sari.send("/rekap"))
    assert (
        "✅ 2 lengkap · 🟡 1 sebagian · ⏳ 1 belum lapor\n"
        "📝 0 belum ada rencana · 💤 1 tanpa jadwal hari ini"
    ) in answer
    assert "⏳ <b>Belum lapor (1)</b>\n• Eka Putri\n" in answer
    assert "🟡 <b>Baru sebagian (1)</b>\n• Ani Lestari · 1/2 selesai\n" in answer
    assert "✅ <b>Sudah lengkap (2)</b>\n• Budi Santoso\n• Citra Dewi\n" in answer
    assert "💤 <b>Tanpa jadwal hari ini (1)</b>\n• Dedi Kurniawan · ⏸ 1 dilewati" in answer

    # The digest counts by the same rule.
    async with db() as session:
        cohort = await session.get(Cohort, 1)
        assert cohort is not None
        report = await cohort_report(session, cohort, NOW)
    i18n = bot.services.i18n
    digest = render_digest(i18n, "id", report, date(2021, 9, 3))
    assert (
        "⏳ <b>Belum lengkap hari ini: 2 dari 5</b>\n• Ani Lestari · 1/2 selesai\n• Eka Putri"
    ) in digest
    assert "✅ <b>Sudah lengkap (2)</b>: Budi Santoso, Citra Dewi" in digest
    assert "💤 Tanpa jadwal hari ini: 1" in digest
    digest_en = render_digest(i18n, "en", report, date(2021, 9, 3))
    assert "Not complete today: 2 of 5" in digest_en and "<b>Complete (2)</b>" in digest_en

    # And so does the export's summary sheet.
    mark = bot.standin.mark()
    await sari.send("/ekspor")
    document = await until(bot.standin, FACILITATOR, "sendDocument", mark)
    assert document.file_bytes is not None
    summary = load_workbook(io.BytesIO(document.file_bytes)).worksheets[1]
    rows = {r[0]: (r[4], r[5]) for r in summary.iter_rows(min_row=2, values_only=True)}
    assert rows == {
        "Ani Lestari": ("sebagian", "1/2"),
        "Budi Santoso": ("lengkap", "2/2"),
        "Citra Dewi": ("lengkap", "1/1"),
        "Dedi Kurniawan": ("tanpa jadwal hari ini", None),
        "Eka Putri": ("belum lapor", "0/1"),
    }
    assert [c.value for c in summary[1]][4:6] == ["Status hari ini", "Selesai hari ini"]

    # In English.
    english = joined(await bot.person(FACILITATOR, "Sari", language_code="en").send("/report"))
    assert "✅ 2 complete · 🟡 1 partly · ⏳ 1 not checked in" in english
    assert "• Ani Lestari · 1/2 done\n" in english
    assert "• Dedi Kurniawan · ⏸ 1 skipped" in english
