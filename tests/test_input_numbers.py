"""Refusals that say why a number was not taken (zero, a unit, a separator, too large) — in
Indonesian and English, end to end, as a plan's daily target and as a day's value; and the
reader of amounts in `core.reading` on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from core.reading import (
    Amount,
    BadNumber,
    read_amount,
)
from storage.models import CheckIn, Habit
from tests.harness import Clock, MemoryBot, RunningBot, joined
from tests.typed_input import (
    DAILY,
    NUMERIC,
    SAVE,
    SKIP,
    one_habit_plan,
    person,
    start_with_facilitator,
)

pytestmark = pytest.mark.channels("telegram", "memory")


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


async def habits(db: async_sessionmaker[AsyncSession]) -> list[Habit]:
    async with db() as session:
        return list(await session.scalars(select(Habit).order_by(Habit.id)))


async def check_ins(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, float | None]]:
    async with db() as session:
        rows = await session.execute(select(CheckIn.status, CheckIn.value).order_by(CheckIn.id))
        return [(status, value) for status, value in rows]


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
