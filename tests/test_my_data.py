"""End to end over HTTP: the participant's own data — /dataku as CSV in either separator,
dated by the participant's own day, and erased with /hapusdata."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from storage.models import (
    ActionPlan,
    CheckIn,
    Delivery,
    Habit,
    Participant,
    PlanDraft,
    Reflection,
    Reminder,
)
from tests.harness import Clock, RunningBot, joined, texts
from tests.planning import (
    count,
    joined_person,
    write_plan,
)

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

# Friday 3 September 2021, 09:00 WITA.


async def test_my_data_and_erasure(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], standin: BotApiStandIn
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/lapor")
    await budi.press("Membaca")
    await budi.send("12")
    await budi.press("Refleksi")
    await budi.send("Hari pertama, semangat.")
    out = await budi.send("/dataku")
    [document] = [r for r in out if r.method == "sendDocument"]
    data = (document.file_bytes or b"").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))  # Indonesian: ';'
    assert rows[0] == ["jenis", "tanggal", "kebiasaan", "satuan", "target", "jadwal", "status",
                       "nilai", "alasan", "catatan"]  # fmt: skip
    kinds = [r[0] for r in rows[1:]]
    assert kinds == ["profil", "rencana aksi", "kebiasaan", "kebiasaan", "laporan", "refleksi"]
    assert ["laporan", "2021-09-03", "Membaca regulasi", "halaman", "10", "", "selesai", "12",
            "", ""] in rows  # fmt: skip
    # Erasure asks first; "Batal" keeps everything.
    await budi.send("/hapusdata")
    assert "tidak dihapus" in joined(await budi.press("Batal"))
    assert await count(db, Participant) == 1
    await budi.send("/hapusdata")
    out = await budi.press("Ya, hapus")
    body = joined(out)
    assert "1 rencana aksi dan 2 kebiasaan" in body
    assert "1 laporan" in body and "1 refleksi" in body
    for model in (
        Participant,
        ActionPlan,
        Habit,
        CheckIn,
        Reflection,
        PlanDraft,
        Reminder,
        Delivery,
    ):
        assert await count(db, model) == 0, model
    assert "kode angkatan" in joined(await budi.send("/lapor"))


async def test_my_data_keeps_typed_formulas_as_text_in_either_separator(bot: RunningBot) -> None:
    """/dataku writes typed text that starts like a formula (= + - @) as text, as the
    facilitator's export does; the separator follows the language or the word typed."""
    budi = await joined_person(bot)
    await budi.send("/rencana")
    await budi.send('=HYPERLINK("http://x.example","klik")')
    await budi.send("+62 Senam pagi")
    await budi.press("Angka")
    await budi.send("-menit")
    await budi.send("2,5")
    await budi.press("Setiap hari")
    await budi.press("Simpan")
    await budi.send("/lapor")
    await budi.press("Senam")
    await budi.send("1,25")
    await budi.press("Refleksi")
    await budi.send("@semua: hari ini berat")

    async def my_data(command: str, separator: str) -> tuple[list[list[str]], str]:
        [document] = [r for r in await budi.send(command) if r.method == "sendDocument"]
        data = (document.file_bytes or b"").decode("utf-8-sig")
        return list(csv.reader(io.StringIO(data), delimiter=separator)), document.text or ""

    captions = {}
    for command, separator, target, value in (
        ("/dataku", ";", "2,5", "1,25"),
        ("/dataku koma", ",", "2.5", "1.25"),
    ):
        rows, captions[separator] = await my_data(command, separator)
        assert all(len(row) == 10 for row in rows), command
        by_kind = {row[0]: row for row in rows[1:]}
        assert by_kind["rencana aksi"][9] == '\'=HYPERLINK("http://x.example","klik")'
        assert by_kind["kebiasaan"][2:5] == ["'+62 Senam pagi", "'-menit", target]
        assert by_kind["laporan"][2:5] == ["'+62 Senam pagi", "'-menit", target]
        assert by_kind["laporan"][7] == value
        assert by_kind["refleksi"][9] == "'@semua: hari ini berat"
        assert not any(cell[:1] in "=+-@" for row in rows for cell in row if cell), command
    assert captions[";"].startswith("Data Anda di Aksi: profil, rencana aksi")
    assert (
        "Kolom dipisah titik koma (;) dan desimal memakai koma, seperti Excel berpengaturan "
        "wilayah Indonesia. Jika semua isi masuk ke satu kolom, kirim <code>/dataku koma</code>."
    ) in captions[";"]
    assert "Kolom dipisah koma (,) dan desimal memakai titik." in captions[","]
    assert "kirim <code>/dataku titikkoma</code>." in captions[","]

    await budi.send("/bahasa en")
    rows, caption = await my_data("/mydata", ",")
    assert rows[0][:3] == ["record", "date", "habit"]
    assert ["'+62 Senam pagi", "'-menit", "2.5"] in [row[2:5] for row in rows]
    assert (
        "Columns are separated by commas (,) and decimals use a point. If everything lands in "
        "one column (Excel with Indonesian regional settings), send <code>/mydata semicolon</code>."
    ) in caption
    rows, caption = await my_data("/mydata semicolon", ";")
    assert ["'+62 Senam pagi", "'-menit", "2,5"] in [row[2:5] for row in rows]
    assert "send <code>/mydata comma</code>." in caption


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("id", ("/rencana", "Angka", "Setiap hari", "Simpan", "/lapor", "/dataku", "2,5")),
        ("en", ("/plan", "A number", "Every day", "Save", "/checkin", "/mydata", "2.5")),
    ],
)
async def test_my_data_says_partly_for_a_number_below_its_target(
    bot: RunningBot, lang: str, words: tuple[str, ...]
) -> None:
    """1 of 2.5 pages is partly in /dataku, as on the check-in sheet (🟡 1/2,5) and in /rekap;
    the target reached is done."""
    plan, number, daily, save, checkin, mydata, target = words
    person = bot.person(1001, "Budi", language_code=lang)
    await person.send("/start REVMEN1")
    await person.press({"id": "Lewati", "en": "Skip"}[lang])
    await person.press({"id": "Lewati", "en": "Skip"}[lang])
    await person.send(plan)
    await person.send("Hidup sehat di kantor")
    await person.send("Membaca buku")
    await person.press(number)
    await person.send("halaman")
    await person.send(target)
    await person.press(daily)
    await person.press(save)
    await person.send(checkin)
    await person.press("Membaca buku")
    out = await person.send("1")
    assert f"🟡 1/{target} halaman" in joined(out)

    async def statuses() -> list[tuple[str, str]]:
        [document] = [r for r in await person.send(mydata) if r.method == "sendDocument"]
        data = (document.file_bytes or b"").decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(data), delimiter=";" if lang == "id" else ","))
        return [(row[6], row[7]) for row in rows if row[0] in ("laporan", "check-in")]

    partly, done = {"id": ("sebagian", "selesai"), "en": ("partly", "done")}[lang]
    assert await statuses() == [(partly, "1")]
    await person.send(checkin)
    await person.press("Membaca buku")
    await person.press({"id": "Ubah angka", "en": "Change the number"}[lang])
    await person.send("3")
    assert await statuses() == [(done, "3")]


async def test_my_data_dates_every_row_by_the_participants_own_day(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    """Joined, planned and checked in at 00:30 WITA on Saturday 4 September (16:30 UTC on
    the 3rd): the profile and plan rows carry the 4th, as the habits and check-ins do."""
    clock.now = datetime(2021, 9, 3, 16, 30, tzinfo=UTC)
    budi = await joined_person(bot)
    async with db.begin() as session:  # joining stamps the wall clock, not the test's
        participant = await session.scalar(select(Participant))
        assert participant is not None
        participant.joined_at = clock.now
    await write_plan(budi)
    await budi.send("/lapor")
    await budi.press("Membaca")
    await budi.send("12")
    await budi.press("Refleksi")
    await budi.send("Lewat tengah malam.")
    [document] = [r for r in await budi.send("/dataku") if r.method == "sendDocument"]
    data = (document.file_bytes or b"").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("profil", "2021-09-04"),
        ("rencana aksi", "2021-09-04"),
        ("kebiasaan", "2021-09-04"),
        ("kebiasaan", "2021-09-04"),
        ("laporan", "2021-09-04"),
        ("refleksi", "2021-09-04"),
    ]


async def test_english_counts_and_file_names_and_a_checkin_example_of_this_cohort(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    """One of a thing reads "1 day", "1 check-in" in English (never "1 days", "check-in(s)"),
    files are named in the reader's language, and /checkin's example date is a day that can
    be logged now, not a fixed one."""
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/lapor")
    await budi.press("Membaca")
    await budi.send("12")
    out = await budi.send_and_wait("/progres", 2)
    assert [r.file_name for r in out if r.method == "sendPhoto"] == ["kemajuan.png"]
    out = await budi.send("/dataku")
    assert [r.file_name for r in out if r.method == "sendDocument"] == ["aksi-dataku-budi.csv"]

    await budi.send("/bahasa en")
    out = await budi.send_and_wait("/progress", 2)
    summary = texts(out)[0]
    assert "Apel pagi tepat waktu — Working days (Mon–Fri)\n🔥 Streak: 0 days (best 0 days)" in (
        summary
    )
    assert "Membaca regulasi — 10 halaman — Every day\n🔥 Streak: 1 day (best 1 day)" in summary
    assert [r.file_name for r in out if r.method == "sendPhoto"] == ["progress.png"]
    out = await budi.send("/mydata")
    assert [r.file_name for r in out if r.method == "sendDocument"] == ["aksi-mydata-budi.csv"]
    # A week on (Friday 10 September), the example is Wednesday 8 September: it can be logged.
    for _ in range(7):
        clock.next_day()
    assert "a date such as /checkin 2021-09-08." in joined(await budi.send("/checkin someday"))

    await budi.send("/deletedata")
    body = joined(await budi.press("Yes, erase my data"))
    assert "• membership of 1 cohort with the profile" in body
    assert "• 1 action plan and 2 habits\n• 1 check-in\n• 0 reflections" in body
