"""Refusals that name the rule that applies: each typed field's own length limit (not one
limit for everything), why a number was not taken (zero, a unit, a separator, too large), and
dates or times that do not exist called impossible rather than badly written — in Indonesian
and English, end to end; and the readers of `core.reading` on their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.cohorts import get_cohort
from core.numbers import number
from core.reading import (
    Amount,
    BadDate,
    BadNumber,
    BadTime,
    read_amount,
    read_clock,
    read_day,
    read_iso_date,
)
from core.staff import add_facilitator
from storage.models import Announcement, CheckIn, Habit, Participant, Reflection
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, Person, RunningBot, joined, settings_for, start_bot
from tests.people import new_person

pytestmark = pytest.mark.channels("telegram", "memory")

# Friday 3 September 2021, 09:00 WITA.
NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
FACILITATOR = 5001
SKIP = {"id": "Lewati", "en": "Skip"}
NUMERIC = {"id": "Angka", "en": "A number"}
YESNO = {"id": "Ya / tidak", "en": "Yes / no"}
DAILY = {"id": "Setiap hari", "en": "Every day"}
SAVE = {"id": "Simpan", "en": "Save"}
NOTE = {"id": "Refleksi", "en": "Reflection"}
OTHER_REASON = {"id": "Alasan lain", "en": "Another reason"}


# --- the readers on their own -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value", "grouped"),
    [
        ("10", 10, False),
        ("2,5", 2.5, False),
        ("2.5", 2.5, False),
        ("0,75", 0.75, False),
        ("0,500", 0.5, False),  # a leading 0 never starts a group of thousands
        ("0.500", 0.5, False),
        (",5", 0.5, False),
        ("10 000", 10000, True),  # spaces group thousands in both languages
        ("1.000.000", 1_000_000, True),  # a mark repeated can only group thousands
        ("1,000,000", 1_000_000, True),
        ("1.000,5", 1000.5, True),  # both: the last one is the decimal point
        ("1,000.5", 1000.5, True),
        ("1234,5", 1234.5, False),
        ("1234.5", 1234.5, False),
        ("+3", 3, False),
        ("10 halaman", 10, False),  # the habit's own unit
        ("10 Halaman.", 10, False),
        ("10halaman", 10, False),
    ],
)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_amounts_as_people_type_them(typed: str, value: float, grouped: bool, lang: str) -> None:
    assert read_amount(typed, unit="halaman", maximum=10**7, lang=lang) == Amount(value, grouped)


@pytest.mark.parametrize(
    ("typed", "lang", "value", "grouped"),
    [
        # Indonesian: the comma is the decimal mark; a dot before three digits groups them.
        ("1.000", "id", 1000, True),
        ("10.000", "id", 10000, True),
        ("2.555", "id", 2555, True),
        ("1,25", "id", 1.25, False),
        # English: the point is the decimal mark; a comma before three digits groups them.
        ("1,000", "en", 1000, True),
        ("10,000", "en", 10000, True),
        ("2,555", "en", 2555, True),
        ("1,250 liter", "en", 1250, True),
        ("1.25", "en", 1.25, False),
    ],
)
def test_a_separator_before_three_digits_is_read_by_the_readers_language(
    typed: str, lang: str, value: float, grouped: bool
) -> None:
    assert read_amount(typed, unit="liter", maximum=100_000, lang=lang) == Amount(value, grouped)


@pytest.mark.parametrize(
    ("typed", "lang", "rounded", "thousands"),
    [
        # The reader's own decimal mark before three digits: three decimals, or thousands
        # written the other language's way. Refused, with both readings for the answer.
        ("2,555", "id", "2.56", 2555),
        ("1,250 liter", "id", "1.25", 1250),
        ("1,000", "id", "1.00", 1000),
        ("2.555", "en", "2.56", 2555),
        ("1.250", "en", "1.25", 1250),
        ("10.000", "en", "10.00", 10000),
        # Plain too many decimals: no thousands reading.
        ("0,001", "id", "0.00", None),
        ("0.001", "en", "0.00", None),
        ("2,1255", "id", "2.13", None),
        ("2.1255", "en", "2.13", None),
        ("12.3456", "id", "12.35", None),  # a dot before four digits is no group either
        ("1234,567", "id", "1234.57", None),
    ],
)
def test_three_decimals_are_refused_in_either_language(
    typed: str, lang: str, rounded: str, thousands: int | None
) -> None:
    with pytest.raises(BadNumber) as refused:
        read_amount(typed, unit="liter", maximum=100_000, lang=lang)
    assert refused.value.reason == "decimals"
    assert (str(refused.value.rounded), refused.value.thousands) == (rounded, thousands)


def test_a_unit_in_english_may_be_singular_or_plural() -> None:
    assert read_amount("1 page", unit="pages", maximum=100, lang="en").value == 1
    assert read_amount("12 pages", unit="page", maximum=100, lang="en").value == 12


@pytest.mark.parametrize(
    ("typed", "reason", "unit"),
    [
        ("sepuluh", "not_a_number", None),
        ("sekitar 10", "not_a_number", None),
        ("10-12", "not_a_number", None),
        ("1e9", "not_a_number", None),
        ("1.00.000", "not_a_number", None),  # not groups of three
        ("1,00,000", "not_a_number", None),
        ("1,5.000,5", "not_a_number", None),
        ("", "not_a_number", None),
        ("10 menit", "other_unit", "menit"),
        ("10 %", "other_unit", "%"),
        ("-5", "negative", None),
        ("−5 halaman", "negative", None),  # a typographic minus
        ("0", "zero", None),
        ("0,00", "zero", None),
        ("-0", "zero", None),
        ("100001", "too_large", None),
        ("1.000.000", "too_large", None),
        ("1,000,000", "too_large", None),
        ("9" * 400, "too_large", None),
    ],
)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_refused_amounts_say_why(typed: str, reason: str, unit: str | None, lang: str) -> None:
    with pytest.raises(BadNumber) as refused:
        read_amount(typed, unit="halaman", maximum=100_000, lang=lang)
    assert (refused.value.reason, refused.value.unit) == (reason, unit)


def test_a_thousands_reading_over_the_maximum_is_not_suggested() -> None:
    with pytest.raises(BadNumber) as refused:
        read_amount("999,999", unit=None, maximum=100_000, lang="id")
    assert (refused.value.reason, refused.value.thousands) == ("decimals", None)
    with pytest.raises(BadNumber) as large:
        read_amount("2,125", unit=None, maximum=1000, lang="en")  # 2125 > 1000
    assert large.value.reason == "too_large"


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
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def bot(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> AsyncIterator[RunningBot | MemoryBot]:
    await make_cohort(db)
    async with db.begin() as session:
        facilitator = await new_person(session, FACILITATOR, chat_kind)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), facilitator)
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    yield running
    await running.stop()


def person(bot: RunningBot, lang: str, user_id: int = 1001) -> Person:
    return bot.person(user_id, "Budi", language_code=lang)


async def one_habit_plan(p: Person, lang: str, *, unit: str | None = None) -> None:
    """A plan with one daily habit, `Membaca` (a number of `unit`, target 10) or yes/no."""
    await p.send("/rencana" if lang == "id" else "/plan")
    await p.send("Pelayanan prima tanpa antre")
    await p.send("Membaca regulasi")
    if unit is None:
        await p.press(YESNO[lang])
    else:
        await p.press(NUMERIC[lang])
        await p.send(unit)
        await p.send("10")
    await p.press(DAILY[lang])
    await p.press(SAVE[lang])


async def habits(db: async_sessionmaker[AsyncSession]) -> list[Habit]:
    async with db() as session:
        return list(await session.scalars(select(Habit).order_by(Habit.id)))


async def check_ins(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, float | None]]:
    async with db() as session:
        rows = await session.execute(select(CheckIn.status, CheckIn.value).order_by(CheckIn.id))
        return [(status, value) for status, value in rows]


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


NUMBER_ANSWERS = {
    "id": {
        "sepuluh": "«sepuluh» bukan angka. Ketik angkanya saja, misalnya <i>10</i> atau "
        "<i>2,5</i>.",
        "10 menit": (
            "Kebiasaan ini diukur dalam <b>halaman</b>, bukan «menit». Ketik jumlahnya dalam "
            "halaman, misalnya <i>10</i> atau <i>10 halaman</i>."
        ),
        "-3": "Angka tidak boleh negatif («-3»). Ketik angka lebih dari 0, misalnya <i>10</i>.",
        "0": "Target harian harus lebih dari 0. Ketik misalnya <i>10</i> atau <i>0,5</i>.",
        "1.000.000": "«1.000.000» terlalu besar: paling banyak 100.000. Ketik angka yang lebih "
        "kecil.",
        "2,1255": "Paling banyak 2 angka di belakang koma, misalnya <i>2,13</i>.",
        # The comma is the decimal mark: 2,555 is not two thousand five hundred and fifty-five.
        "2,555": "«2,555» punya 3 angka di belakang koma: paling banyak 2, misalnya <i>2,56</i>. "
        "Kalau maksudnya ribuan, pakai titik: <i>2.555</i>.",
        "1,250 halaman": "«1,250 halaman» punya 3 angka di belakang koma: paling banyak 2, "
        "misalnya <i>1,25</i>. Kalau maksudnya ribuan, pakai titik: <i>1.250</i>.",
    },
    "en": {
        "sepuluh": "«sepuluh» is not a number. Type just the number, for example <i>10</i> or "
        "<i>2.5</i>.",
        "10 menit": (
            "This habit is measured in <b>halaman</b>, not «menit». Type the amount in halaman, "
            "for example <i>10</i> or <i>10 halaman</i>."
        ),
        "-3": "The number can't be negative («-3»). Type a number above 0, for example <i>10</i>.",
        "0": "The daily target must be more than 0. Type for example <i>10</i> or <i>0.5</i>.",
        "1.000.000": "«1.000.000» is too large: 100,000 at most. Type a smaller number.",
        "2,1255": "At most 2 digits after the decimal point, for example <i>2.13</i>.",
        # The point is the decimal mark: 2.555 is not two thousand five hundred and fifty-five.
        "2.555": "«2.555» has 3 digits after the decimal point: 2 at most, for example "
        "<i>2.56</i>. If you mean thousands, use a comma: <i>2,555</i>.",
    },
}
READ_AS = {
    "id": "ℹ️ «{typed}» saya baca sebagai <b>{amount}</b> (dengan pemisah ribuan).",
    "en": "ℹ️ I read «{typed}» as <b>{amount}</b> (with a thousands separator).",
}


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_daily_target_is_refused_with_its_reason(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], lang: str
) -> None:
    budi = person(bot, lang)
    await budi.send("/start REVMEN1")
    await budi.press(SKIP[lang])
    await budi.press(SKIP[lang])
    await budi.send("/rencana" if lang == "id" else "/plan")
    await budi.send("Pelayanan prima tanpa antre")
    await budi.send("Membaca regulasi")
    await budi.press(NUMERIC[lang])
    await budi.send("halaman")
    for typed, answer in NUMBER_ANSWERS[lang].items():
        assert joined(await budi.send(typed)) == answer, typed
    # The habit's own unit after the number is fine; the reader's thousands separator is read
    # and said so, the number written back the reader's way.
    typed = {"id": "1.500 halaman", "en": "1,500 halaman"}[lang]
    out = await budi.send(typed)
    shown = {"id": "1.500 halaman", "en": "1,500 halaman"}[lang]
    assert joined(out).startswith(READ_AS[lang].format(typed=typed, amount=shown))
    await budi.press(DAILY[lang])
    await budi.press(SAVE[lang])
    [habit] = await habits(db)
    assert (habit.unit, habit.target) == ("halaman", 1500)


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_days_value_is_refused_with_its_reason(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], lang: str
) -> None:
    budi = person(bot, lang)
    await budi.send("/start REVMEN1")
    await budi.press(SKIP[lang])
    await budi.press(SKIP[lang])
    await one_habit_plan(budi, lang, unit="halaman")
    await budi.send("/lapor" if lang == "id" else "/checkin")
    await budi.press("Membaca")
    zero = {
        "id": "0 tidak dicatat sebagai jumlah. Kalau belum dikerjakan, tekan ❌ di daftar /lapor; "
        "kalau sudah, ketik jumlahnya, misalnya <i>5</i>.",
        "en": "0 is not recorded as an amount. If you haven't done it, press ❌ on the /checkin "
        "list; if you have, type the amount, for example <i>5</i>.",
    }
    assert joined(await budi.send("0")) == zero[lang]
    assert joined(await budi.send("10 menit")) == NUMBER_ANSWERS[lang]["10 menit"]
    assert joined(await budi.send("sepuluh")) == NUMBER_ANSWERS[lang]["sepuluh"]
    assert await check_ins(db) == []  # nothing logged, the question is still open
    out = await budi.send("12 halaman")
    assert "12/10 halaman" in joined(out) or "12 halaman" in joined(out)
    assert await check_ins(db) == [("done", 12)]
    await budi.press("Membaca")  # logged: its choices again, the number among them
    await budi.press({"id": "Ubah angka", "en": "Change the number"}[lang])
    # A day's value is read by the reader's language too: 2,555 is 2555 in English only.
    out = await budi.send("2,555")
    if lang == "id":
        assert joined(out) == NUMBER_ANSWERS["id"]["2,555"]
        assert await check_ins(db) == [("done", 12)]  # nothing changed, the question is open
        typed = "2.000"
    else:
        notice = READ_AS["en"].format(typed="2,555", amount="2,555 halaman")
        assert out[0].text == f"Saved ✅\n{notice}"
        assert await check_ins(db) == [("done", 2555)]
        await budi.press("Membaca")
        await budi.press("Change the number")
        typed = "2,000"
    out = await budi.send(typed)
    saved = {"id": "Tersimpan ✅", "en": "Saved ✅"}[lang]
    shown = {"id": "2.000 halaman", "en": "2,000 halaman"}[lang]
    notice = READ_AS[lang].format(typed=typed, amount=shown)
    assert out[0].text == f"{saved}\n{notice}"
    assert await check_ins(db) == [("done", 2000)]


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
