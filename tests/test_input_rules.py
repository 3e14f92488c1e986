"""Refusals that name the rule that applies: each typed field's own length limit (not one
limit for everything), and dates or times that do not exist called impossible rather than badly
written — in Indonesian and English, end to end; and the readers of dates and times in
`core.reading` on their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.numbers import number
from core.reading import (
    BadDate,
    BadTime,
    read_clock,
    read_day,
    read_iso_date,
)
from storage.models import Announcement, CheckIn, Participant, Reflection
from tests.harness import Clock, MemoryBot, RunningBot, joined
from tests.typed_input import (
    DAILY,
    FACILITATOR,
    NOTE,
    NUMERIC,
    OTHER_REASON,
    SAVE,
    SKIP,
    one_habit_plan,
    person,
    start_with_facilitator,
)

pytestmark = pytest.mark.channels("telegram", "memory")


# --- the readers on their own -------------------------------------------------------------


def test_dates_that_do_not_exist_are_told_from_bad_writing() -> None:
    today = date(2026, 3, 5)
    assert read_day("2026-03-01", today) == date(2026, 3, 1)
    assert read_day("2026-3-1", today) == date(2026, 3, 1)
    assert read_day("1/3/2026", today) == date(2026, 3, 1)
    assert read_day("3/9", today) == date(2025, 9, 3)  # the latest 3 September not ahead
    for typed, reason, month in [
        ("2026-02-31", "no_such_day", (2026, 2)),
        ("2024-02-30", "no_such_day", (2024, 2)),
        ("31/2", "no_such_day", (2026, 2)),
        ("29/2", "no_such_day", (2026, 2)),  # 2026 is no leap year
        ("31/4/2021", "no_such_day", (2021, 4)),
        ("0/3", "no_such_day", (2026, 3)),
        ("2026-13-01", "no_such_month", (2026, 13)),
        ("1/13", "no_such_month", (2026, 13)),
        ("2026/02/03", "format", (0, 0)),
        ("kemarin lusa", "format", (0, 0)),
        ("0000-01-01", "format", (0, 0)),
    ]:
        with pytest.raises(BadDate) as refused:
            read_day(typed, today)
        assert (refused.value.reason, (refused.value.year, refused.value.month)) == (
            reason,
            month,
        ), typed
        assert refused.value.impossible == (reason != "format")
    assert read_day("29/2", date(2024, 3, 1)) == date(2024, 2, 29)
    with pytest.raises(BadDate) as strict:
        read_iso_date("2021-9-3", strict=True)
    assert strict.value.reason == "format"


def test_times_that_do_not_exist_are_told_from_bad_writing() -> None:
    assert read_clock("7.30") == time(7, 30) and read_clock(" 07:30 ") == time(7, 30)
    assert read_clock("23:59") == time(23, 59)
    for typed, impossible in [
        ("25:00", True),
        ("24:00", True),
        ("07:60", True),
        ("7:3", False),
        ("jam tujuh", False),
        ("0730", False),
    ]:
        with pytest.raises(BadTime) as refused:
            read_clock(typed)
        assert refused.value.impossible is impossible, typed


# --- end to end -------------------------------------------------------------------------------


@pytest.fixture
async def bot(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> AsyncIterator[RunningBot | MemoryBot]:
    running = await start_with_facilitator(standin, db_url, db, clock, chat_kind)
    yield running
    await running.stop()


TOO_LONG = {
    "id": "{what} terlalu panjang ({length} karakter): paling banyak {limit} karakter",
    "en": "{what} is too long ({length} characters): {limit} characters at most",
}
WHAT = {
    "id": {
        "full_name": "Nama",
        "work_unit": "Nama unit kerja",
        "plan_title": "Judul rencana aksi",
        "habit_name": "Nama kebiasaan",
        "habit_unit": "Satuan",
        "reflection": "Refleksi",
        "skip_reason": "Alasan",
    },
    "en": {
        "full_name": "The name",
        "work_unit": "The work unit",
        "plan_title": "The action plan title",
        "habit_name": "The habit name",
        "habit_unit": "The unit",
        "reflection": "The reflection",
        "skip_reason": "The reason",
    },
}


def too_long(lang: str, field: str, length: int, limit: int) -> str:
    """The refusal, its numbers written the reader's way: 1.500 karakter / 1,500 characters."""
    what = WHAT[lang][field]
    return TOO_LONG[lang].format(what=what, length=number(length, lang), limit=limit)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_each_field_names_its_own_limit(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], lang: str
) -> None:
    """Texts over 1000 characters used to be refused with "1000 at most" whatever was asked;
    now each answer names the limit of the field being answered, and the question stays."""
    budi = person(bot, lang)
    await budi.send("/start REVMEN1")

    async def refused(typed: str, field: str, limit: int) -> None:
        answer = joined(await budi.send(typed))
        assert answer.startswith(too_long(lang, field, len(typed), limit)), answer
        assert "1000" not in answer

    await refused("A" * 1500, "full_name", 100)
    await refused("A" * 101, "full_name", 100)
    await budi.send("Budi Santoso")
    await refused("B" * 2000, "work_unit", 150)
    await budi.send("Dinas Kesehatan")
    await budi.send("/rencana" if lang == "id" else "/plan")
    await refused("x" * 1100, "plan_title", 120)
    await refused("x" * 121, "plan_title", 120)
    await budi.send("Pelayanan prima tanpa antre")
    await refused("y" * 81, "habit_name", 80)
    await budi.send("Membaca regulasi")
    await budi.press(NUMERIC[lang])
    await refused("z" * 21, "habit_unit", 20)
    await budi.send("halaman")
    await budi.send("10")
    await budi.press(DAILY[lang])
    await budi.press(SAVE[lang])
    await budi.send("/lapor" if lang == "id" else "/checkin")
    await budi.press(NOTE[lang])
    await refused("r" * 1100, "reflection", 500)
    await refused("r" * 501, "reflection", 500)
    await budi.send("Hari ini lancar.")
    await budi.press("⏸")
    await budi.press(OTHER_REASON[lang])
    await refused("a" * 121, "skip_reason", 120)
    await budi.send("Rapat di kantor gubernur")
    async with db() as session:
        p = await session.scalar(select(Participant))
        note = await session.scalar(select(Reflection.text))
        reason = await session.scalar(select(CheckIn.skip_reason))
    assert p is not None and (p.full_name, p.unit) == ("Budi Santoso", "Dinas Kesehatan")
    assert note == "Hari ini lancar." and reason == "Rapat di kantor gubernur"


@pytest.mark.parametrize(
    ("lang", "asked", "refused"),
    [
        (
            "id",
            "(paling banyak 3.800 karakter)",
            "Pengumuman terlalu panjang (3.801 karakter); paling banyak 3.800. Persingkat lalu "
            "kirim lagi.",
        ),
        (
            "en",
            "(at most 3,800 characters)",
            "The announcement is too long (3,801 characters); at most 3,800. Shorten it and send "
            "it again.",
        ),
    ],
)
async def test_a_long_announcement_still_names_its_own_limit(
    bot: RunningBot, lang: str, asked: str, refused: str
) -> None:
    sari = bot.person(FACILITATOR, "Sari", language_code=lang)
    assert asked in joined(await sari.send("/umumkan" if lang == "id" else "/announce"))
    assert joined(await sari.send("a" * 3801)) == refused


IMPOSSIBLE = {
    "id": {
        "2021-02-31": "Tanggal 2021-02-31 tidak ada: Februari 2021 hanya sampai tanggal 28.",
        "31/2": "Tanggal 31/2 tidak ada: Februari 2021 hanya sampai tanggal 28.",
        "31/9/2021": "Tanggal 31/9/2021 tidak ada: September 2021 hanya sampai tanggal 30.",
        "2021-13-01": "Tanggal 2021-13-01 tidak ada: bulan hanya 1 sampai 12.",
    },
    "en": {
        "2021-02-31": "2021-02-31 is not a date that exists: February 2021 has only 28 days.",
        "31/2": "31/2 is not a date that exists: February 2021 has only 28 days.",
        "31/9/2021": "31/9/2021 is not a date that exists: September 2021 has only 30 days.",
        "2021-13-01": "2021-13-01 is not a date that exists: months run from 1 to 12.",
    },
}
BAD_ARGUMENT = {
    "id": "Ketik /lapor untuk hari ini, /lapor kemarin, atau tanggal seperti /lapor 2021-09-02.",
    "en": "Type /checkin for today, /checkin yesterday, or a date such as /checkin 2021-09-02.",
}
NO_SUCH_TIME = {
    "id": "Jam {typed} tidak ada: jam 00–23 dan menit 00–59, misalnya <i>07:30</i>.",
    "en": "{typed} is not a time that exists: hours run 00–23 and minutes 00–59, for example "
    "<i>07:30</i>.",
}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_impossible_dates_and_times_are_called_so(bot: RunningBot, lang: str) -> None:
    budi = person(bot, lang)
    await budi.send("/start REVMEN1")
    await budi.press(SKIP[lang])
    await budi.press(SKIP[lang])
    await one_habit_plan(budi, lang)
    command = "/lapor" if lang == "id" else "/checkin"
    for typed, answer in IMPOSSIBLE[lang].items():
        assert joined(await budi.send(f"{command} {typed}")) == answer, typed
    assert joined(await budi.send(f"{command} 2021/09/02")) == BAD_ARGUMENT[lang]
    day = {"id": "Kamis, 2 September 2021", "en": "Thursday, 2 September 2021"}[lang]
    assert day in joined(await budi.send(f"{command} 2/9/2021"))
    assert day in joined(await budi.send(f"{command} 2021-9-2"))
    # Reminder times, as an argument and typed after the button.
    reminders = "/pengingat" if lang == "id" else "/reminders"
    assert joined(await budi.send(f"{reminders} 25:00")) == NO_SUCH_TIME[lang].format(typed="25:00")
    await budi.send(reminders)
    await budi.press("➕")
    assert joined(await budi.send("07.60")) == NO_SUCH_TIME[lang].format(typed="07.60")
    unreadable = {"id": "Waktu itu tidak terbaca", "en": "I can't read that time"}[lang]
    assert unreadable in joined(await budi.send("jam tujuh"))
    assert "07" in joined(await budi.send("7.15"))


PAUSE_IMPOSSIBLE = {
    # Friday 3 September 2021: 31/2 without a year is the next one, in 2022.
    "id": {
        "2021-02-30": "Tanggal 2021-02-30 tidak ada: Februari 2021 hanya sampai tanggal 28.",
        "31/2": "Tanggal 31/2 tidak ada: Februari 2022 hanya sampai tanggal 28.",
        "31/9 cuti": "Tanggal 31/9 tidak ada: September 2021 hanya sampai tanggal 30.",
        "31.9.2021": "Tanggal 31.9.2021 tidak ada: September 2021 hanya sampai tanggal 30.",
        "2021-13-01": "Tanggal 2021-13-01 tidak ada: bulan hanya 1 sampai 12.",
    },
    "en": {
        "2021-02-31": "2021-02-31 is not a date that exists: February 2021 has only 28 days.",
        "31/2": "31/2 is not a date that exists: February 2022 has only 28 days.",
        "31/9 leave": "31/9 is not a date that exists: September 2021 has only 30 days.",
        "31-9-2021": "31-9-2021 is not a date that exists: September 2021 has only 30 days.",
        "2021-13-01": "2021-13-01 is not a date that exists: months run from 1 to 12.",
    },
}
PAUSE_UNREADABLE = {
    "id": "Tanggal itu tidak terbaca. Ketik misalnya <i>24/12</i>, <i>2026-12-24</i>, atau jumlah "
    "hari seperti <i>3</i>.",
    "en": "I can't read that date. Type for example <i>24/12</i>, <i>2026-12-24</i>, or a number "
    "of days such as <i>3</i>.",
}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_pause_until_an_impossible_date_is_called_so(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], lang: str
) -> None:
    """The date a pause ends is read as /lapor reads one: 30 February is impossible (naming
    the month's last day), `besok` is not written as a date — as an argument and typed after
    the "until a date" button; nothing is paused."""
    budi = person(bot, lang)
    await budi.send("/start REVMEN1")
    await budi.press(SKIP[lang])
    await budi.press(SKIP[lang])
    await one_habit_plan(budi, lang)
    pause = "/pengingat jeda" if lang == "id" else "/reminders pause"
    for typed, answer in PAUSE_IMPOSSIBLE[lang].items():
        assert joined(await budi.send(f"{pause} {typed}")) == answer, typed
    assert joined(await budi.send(f"{pause} besok")) == PAUSE_UNREADABLE[lang]
    await budi.send("/pengingat" if lang == "id" else "/reminders")
    await budi.press({"id": "Jeda", "en": "Pause"}[lang])
    await budi.press({"id": "Sampai tanggal", "en": "Until a date"}[lang])
    for typed, answer in PAUSE_IMPOSSIBLE[lang].items():
        assert joined(await budi.send(typed)) == answer, typed
    assert joined(await budi.send("besok")) == PAUSE_UNREADABLE[lang]
    async with db() as session:
        p = await session.scalar(select(Participant))
        assert p is not None and (p.reminders_paused_until, p.pause_reason) == (None, None)
    # The question is still open: a date that exists pauses.
    out = await budi.send("6/9")
    assert {"id": "Senin, 6 September", "en": "Monday, 6 September"}[lang] in joined(out)
    async with db() as session:
        p = await session.scalar(select(Participant))
        assert p is not None and p.reminders_paused_until == date(2021, 9, 6)


async def test_an_impossible_announcement_time_is_called_so(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    await bot.person(2001, "Ani").send("/start REVMEN1")
    for lang, button in (("id", "Atur waktu"), ("en", "Set a time")):
        sari = bot.person(FACILITATOR, "Sari", language_code=lang)
        await sari.send("/umumkan")
        await sari.send("Sesi besok dimulai pukul 08.00")
        await sari.press(button)
        expected = {
            "id": "Tanggal 2021-09-31 tidak ada: September 2021 hanya sampai tanggal 30.",
            "en": "2021-09-31 is not a date that exists: September 2021 has only 30 days.",
        }[lang]
        assert joined(await sari.send("2021-09-31 07:00")) == expected
        assert joined(await sari.send("2021-09-10 24:00")) == NO_SUCH_TIME[lang].format(
            typed="24:00"
        )
        assert joined(await sari.send("25.30")) == NO_SUCH_TIME[lang].format(typed="25.30")
        unreadable = {"id": "Waktu tidak terbaca", "en": "I cannot read that time"}[lang]
        assert unreadable in joined(await sari.send("2021-09-10 pagi"))
        await sari.send("/batal" if lang == "id" else "/cancel")
    async with db() as session:
        assert list(await session.scalars(select(Announcement.send_at))) == [None, None]
