"""A logged day changed: the change wins, in the database and on the sheet the participant sees
(through the sheet's buttons and through a typed number or reason); and a double tap on the
same check-in button records the entry once, with no error for anyone."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import Outgoing
from storage.models import CheckIn
from tests.harness import Clock, MemoryBot, RunningBot, joined
from tests.planning import entries, habits, joined_person, sheet_message, write_plan

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

# Friday 3 September 2021, 09:00 WITA.
FRIDAY = date(2021, 9, 3)
SORRY = "Maaf, terjadi kesalahan"  # error.generic


async def logged_at(db: async_sessionmaker[AsyncSession]) -> list[datetime]:
    async with db() as session:
        return list(await session.scalars(select(CheckIn.logged_at).order_by(CheckIn.habit_id)))


async def test_a_changed_entry_wins_on_the_sheet_and_in_the_database(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    apel_line, baca_line = "1. Apel pagi tepat waktu — ", "2. Membaca regulasi — "
    await budi.send("/lapor")
    out = await budi.press("Apel pagi")
    assert apel_line + "✅ selesai" in joined(out)
    await budi.press("Membaca")
    out = await budi.send("12")
    assert baca_line + "✅ 12 halaman" in joined(out)
    first = await logged_at(db)
    assert await entries(db) == [
        ("Apel pagi tepat waktu", FRIDAY, "done", None, None),
        ("Membaca regulasi", FRIDAY, "done", 12.0, None),
    ]
    # An hour later, every change replaces what was there: done -> not done -> skipped (a
    # reason button) -> done again; 12 pages -> 8 (typed) -> not done -> skipped (typed).
    clock.now += timedelta(hours=1)
    await budi.press("Ubah: Apel")
    out = await budi.press("❌ Tidak")
    assert apel_line + "❌ tidak" in joined(out)
    await budi.press("Ubah: Membaca")
    await budi.press("Ubah angka")
    out = await budi.send("8")
    assert baca_line + "🟡 8/10 halaman" in joined(out)
    assert await entries(db) == [
        ("Apel pagi tepat waktu", FRIDAY, "not_done", None, None),
        ("Membaca regulasi", FRIDAY, "done", 8.0, None),
    ]
    assert await logged_at(db) == [t + timedelta(hours=1) for t in first]
    await budi.press("Ubah: Apel")
    await budi.press("⏸ Lewati")
    out = await budi.press("Sakit")
    assert apel_line + "⏸ dilewati (🤒 Sakit)" in joined(out)
    await budi.press("Ubah: Membaca")
    out = await budi.press("❌ Tidak")
    assert baca_line + "❌ tidak" in joined(out)
    assert await entries(db) == [
        ("Apel pagi tepat waktu", FRIDAY, "skipped", None, "sick"),
        ("Membaca regulasi", FRIDAY, "not_done", None, None),
    ]
    await budi.press("Ubah: Apel")
    out = await budi.press("✅ Selesai")
    assert apel_line + "✅ selesai" in joined(out)
    await budi.press("Ubah: Membaca")
    await budi.press("⏸ Lewati")
    await budi.press("Alasan lain")
    out = await budi.send("Rapat koordinasi di kantor gubernur")
    assert baca_line + "⏸ dilewati (Rapat koordinasi di kantor gubernur)" in joined(out)
    assert await entries(db) == [
        ("Apel pagi tepat waktu", FRIDAY, "done", None, None),
        ("Membaca regulasi", FRIDAY, "skipped", None, "Rapat koordinasi di kantor gubernur"),
    ]
    # Read afresh, the day shows the last change of each habit.
    sheet = joined(await budi.send("/lapor"))
    assert apel_line + "✅ selesai" in sheet
    assert baca_line + "⏸ dilewati (Rapat koordinasi di kantor gubernur)" in sheet
    assert "Semua kebiasaan hari ini sudah dilaporkan" in sheet


async def double_tap(bot: RunningBot | MemoryBot, user_id: int, message_id: int, data: str) -> None:
    """The same button pressed twice at once: both presses are in before either is answered."""
    if isinstance(bot, MemoryBot):
        person = bot.person(user_id, "Budi")
        await asyncio.gather(
            person.press_data(message_id, data), person.press_data(message_id, data)
        )
        return
    mark = bot.standin.mark()
    for _ in range(2):
        bot.standin.push_callback(user_id, message_id, data, first_name="Budi")
    # Each press gets its toast; the sheet changes once (the second edit would change nothing).
    await bot.standin.wait_for_outgoing(user_id, 3, timeout=20, since=mark)
    await bot.standin.wait_quiet(user_id, since=mark)


def said(records: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in records]


async def test_a_double_tap_records_once_without_an_error(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    budi = await joined_person(bot)  # type: ignore[arg-type]
    await write_plan(budi)
    [apel, baca] = await habits(db)
    await budi.send("/lapor")
    message_id = sheet_message(budi)
    mark = bot.standin.mark()
    caplog.set_level(logging.ERROR)
    for data in (f"ci:y:{apel.id}.20210903", f"ci:sick:{baca.id}.20210903"):
        await double_tap(bot, budi.user_id, message_id, data)
    answers = bot.standin.outgoing_for(budi.user_id, mark)
    assert not [t for t in said(answers) if SORRY in t]
    toasts = [r.text for r in answers if r.method == "answerCallbackQuery"]
    assert toasts == ["Tersimpan ✅"] * 4
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await entries(db) == [
        ("Apel pagi tepat waktu", FRIDAY, "done", None, None),
        ("Membaca regulasi", FRIDAY, "skipped", None, "sick"),
    ]
    sheet = joined(await budi.send("/lapor"))
    assert "1. Apel pagi tepat waktu — ✅ selesai" in sheet
    assert "2. Membaca regulasi — ⏸ dilewati (🤒 Sakit)" in sheet
    assert datetime(2021, 9, 3, 1, 0, tzinfo=UTC) in await logged_at(db)
