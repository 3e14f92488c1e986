"""End to end over HTTP: /rencana → a week of /lapor (with a skip and a backfill) → /progres,
the participant's own data, and every forged or stale button refused with nothing changed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
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
from tests.conftest import make_cohort
from tests.harness import Clock, Person, RunningBot, joined, settings_for, texts

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

# Friday 3 September 2021, 09:00 WITA.


async def joined_person(bot: RunningBot, user_id: int = 1001, name: str = "Budi") -> Person:
    person = bot.person(user_id, name)
    await person.send("/start REVMEN1")
    await person.press("Lewati")
    await person.press("Lewati")
    return person


async def write_plan(person: Person) -> None:
    out = await person.send("/rencana")
    assert "Langkah 1" in joined(out)
    await person.send("Pelayanan izin selesai dalam satu hari")
    out = await person.send("Apel pagi tepat waktu")
    assert "Bagaimana <b>Apel pagi tepat waktu</b> dilaporkan?" in joined(out)
    await person.press("Ya / tidak")
    out = await person.press("Hari kerja")
    assert "1. Apel pagi tepat waktu — Hari kerja (Sen–Jum)" in joined(out)
    await person.press("Tambah kebiasaan")
    await person.send("Membaca regulasi")
    await person.press("Angka")
    await person.send("halaman")
    await person.send("10")
    out = await person.press("Setiap hari")
    assert "2. Membaca regulasi — 10 halaman — Setiap hari" in joined(out)
    out = await person.press("Simpan")
    assert "Rencana aksi tersimpan" in joined(out)


async def count(db: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def habits(db: async_sessionmaker[AsyncSession]) -> list[Habit]:
    async with db() as session:
        return list(await session.scalars(select(Habit).order_by(Habit.position)))


def sheet_message(person: Person) -> int:
    message_id, _ = person.last_keyboard()
    return message_id


async def test_plan_then_a_week_of_checkins_then_progress(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock, standin: BotApiStandIn
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    apel, baca = await habits(db)
    assert (apel.kind, apel.schedule, baca.kind, baca.unit, baca.target, baca.schedule) == (
        "yesno", "weekdays:0,1,2,3,4", "numeric", "halaman", 10.0, "daily"
    )  # fmt: skip
    assert apel.created_on == date(2021, 9, 3)
    # Friday 3 Sep: both done; reading 12 pages typed after pressing its number button.
    out = await budi.send("/lapor")
    assert "Jumat, 3 September 2021" in joined(out)
    await budi.press("Apel pagi")
    await budi.press("Membaca")
    out = await budi.send("12")
    assert "Membaca regulasi — ✅ 12 halaman" in joined(out)
    assert "Semua kebiasaan hari ini sudah dilaporkan" in joined(out)
    # Saturday 4 Sep: the weekday habit is not due; reading skipped for sickness.
    clock.next_day()
    out = await budi.send("/lapor")
    assert "Tidak terjadwal hari ini: Apel pagi tepat waktu" in joined(out)
    _, buttons = budi.last_keyboard()
    assert not any("Apel" in b["text"] for b in buttons)
    await budi.press("⏸")
    out = await budi.press("Sakit")
    assert "⏸ dilewati (🤒 Sakit)" in joined(out)
    # Sunday: nothing logged. Monday 6 Sep: backfill Sunday's reading (8 pages, below target).
    clock.next_day()
    clock.next_day()
    out = await budi.send("/lapor kemarin")
    assert "Minggu, 5 September 2021" in joined(out)
    await budi.press("Membaca")
    out = await budi.send("8")
    assert "🟡 8/10 halaman" in joined(out)
    # Monday itself: apel done twice (a double tap: the same button twice, before the sheet
    # changed), reading done at target, a reflection.
    await budi.send("/lapor")
    await budi.press_data(sheet_message(budi), f"ci:y:{apel.id}.20210906")
    await budi.press_data(sheet_message(budi), f"ci:y:{apel.id}.20210906")
    await budi.press("Membaca")
    await budi.send("10")
    await budi.press("Refleksi")
    out = await budi.send("Apel tepat waktu, membaca di jam istirahat.")
    assert "Refleksi tersimpan" in joined(out)
    # Tuesday 7 Sep: apel not done; reading open (today not over).
    clock.next_day()
    await budi.send("/lapor")
    await budi.press_data(sheet_message(budi), f"ci:n:{apel.id}.20210907")
    assert await count(db, CheckIn) == 7  # the double tap counted once
    assert await count(db, Reflection) == 1

    out = await budi.send_and_wait("/progres", 2)
    summary = texts(out)[0]
    # Apel (Mon-Fri): Fri done, Mon done, Tue not done -> streak 0, best 2, 2 of 3.
    assert (
        "1.</b> Apel pagi tepat waktu — Hari kerja (Sen–Jum)\n🔥 Beruntun: 0 hari (terbaik 2 hari)"
        in summary
    )
    assert "7 hari: 67%" in summary
    # Reading (daily, target 10): Fri 12 ok, Sat skipped, Sun 8 (below), Mon 10, Tue open.
    assert "🔥 Beruntun: 1 hari (terbaik 1 hari)" in summary
    assert "7 hari: 67%" in summary.split("2.</b>")[1]
    photos = [r for r in out if r.method == "sendPhoto"]
    assert len(photos) == 1
    assert (photos[0].file_bytes or b"").startswith(b"\x89PNG")


async def test_cancel_and_restart_in_the_middle_of_the_plan(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    await make_cohort(db)
    first = RunningBot(standin, settings_for(standin, db_url), clock=clock)
    await first.start()
    budi = await joined_person(first)
    await budi.send("/rencana")
    await budi.send("Judul yang akan dibatalkan")
    out = await budi.send("/batal")
    assert "Draf tidak disimpan" in joined(out)
    assert await count(db, ActionPlan) == 0
    assert await count(db, PlanDraft) == 0
    # Start again and restart the bot half way: the draft and its step survive.
    await budi.send("/rencana")
    await budi.send("Pelayanan izin selesai dalam satu hari")
    await first.stop()
    second = RunningBot(standin, settings_for(standin, db_url), clock=clock)
    await second.start()
    try:
        out = await budi.send("Apel pagi tepat waktu")
        assert "Bagaimana <b>Apel pagi tepat waktu</b> dilaporkan?" in joined(out)
        await budi.press("Ya / tidak")
        await budi.press("Setiap hari")
        out = await budi.press("Simpan")
        assert "Pelayanan izin selesai dalam satu hari" in joined(out)
    finally:
        await second.stop()
    assert [h.name for h in await habits(db)] == ["Apel pagi tepat waktu"]


async def test_edit_and_remove_habits_keeps_history(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/lapor")
    await budi.press("Apel pagi")
    out = await budi.send("/rencana")
    assert "Ubah rencana aksi" in joined(out)
    await budi.press("✏️ 1")
    await budi.press("Nama")
    await budi.send("Apel pagi pukul 07.30")
    await budi.press("✏️ 2")
    out = await budi.press("Hapus")
    assert "Membaca regulasi" not in joined(out)
    await budi.press("Simpan")
    rows = await habits(db)
    assert [(h.name, h.removed_at is None) for h in rows] == [
        ("Apel pagi pukul 07.30", True),
        ("Membaca regulasi", False),
    ]
    assert await count(db, CheckIn) == 1  # the history of the renamed habit stays
    out = await budi.send("/lapor")
    assert "Membaca" not in joined(out)


async def test_plan_input_is_checked(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    budi = await joined_person(bot)
    await budi.send("/rencana")
    assert "paling banyak 120 karakter" in joined(await budi.send("x" * 121))
    assert "paling sedikit 5 karakter" in joined(await budi.send("abc"))
    await budi.send("Pelayanan prima")
    assert "paling banyak 80 karakter" in joined(await budi.send("y" * 81))
    await budi.send("Membaca")
    await budi.press("Angka")
    await budi.send("halaman")
    refusals = {
        "sepuluh": "«sepuluh» bukan angka.",
        "1e9": "«1e9» bukan angka.",
        "-5": "Angka tidak boleh negatif («-5»)",
        "0": "Target harian harus lebih dari 0.",
        "100001": "«100001» terlalu besar: paling banyak 100.000.",
    }
    for bad, why in refusals.items():
        assert why in joined(await budi.send(bad)), bad
    await budi.send("2,5")
    await budi.press("Pilih hari")
    out = await budi.press("Selesai")
    assert any("Pilih paling sedikit satu hari" in (r.text or "") for r in out)
    await budi.press("Sen")
    await budi.press("Rab")
    await budi.press("Sen")  # unpicked again
    out = await budi.press("Selesai")
    assert "Membaca — 2,5 halaman — Rab" in joined(out)  # Indonesian decimal comma
    for i in range(2, 6):
        await budi.press("Tambah kebiasaan")
        await budi.send(f"Kebiasaan nomor {i}")
        await budi.press("Ya / tidak")
        await budi.press("Setiap hari")
    _, buttons = budi.last_keyboard()
    assert not any("Tambah" in b["text"] for b in buttons)  # five is the most
    await budi.press("Simpan")
    assert len(await habits(db)) == 5


async def test_forged_and_stale_buttons(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    siti = await joined_person(bot, 1002, "Siti")
    await siti.send("/rencana")
    await siti.send("Rencana milik Siti")
    await siti.send("Kebiasaan Siti")
    await siti.press("Ya / tidak")
    await siti.press("Setiap hari")
    await siti.press("Simpan")
    [siti_habit] = [h for h in await habits(db) if h.name == "Kebiasaan Siti"]
    [apel] = [h for h in await habits(db) if h.name == "Apel pagi tepat waktu"]
    [baca] = [h for h in await habits(db) if h.name == "Membaca regulasi"]
    await siti.send("/lapor")
    await siti.press("Kebiasaan Siti")
    sitis = [("Kebiasaan Siti", date(2021, 9, 3), "done", None, None)]
    await budi.send("/lapor")
    message_id = sheet_message(budi)
    forged = [
        f"ci:y:{siti_habit.id}.20210903",  # another participant's habit
        f"ci:u:{siti_habit.id}.20210903",  # undoing another participant's entry
        f"ci:e:{siti_habit.id}.20210903",  # or opening its choices
        "ci:y:999999.20210903",  # no such habit
        "ci:u:999999.20210903",
        f"ci:y:{apel.id}.20210826",  # eight days back
        f"ci:u:{apel.id}.20210826",
        f"ci:e:{apel.id}.20210826",
        f"ci:y:{apel.id}.20210904",  # tomorrow
        f"ci:u:{apel.id}.20210904",
        f"ci:e:{apel.id}.20210904",
        f"ci:y:{apel.id}.20219999",  # not a date
        f"ci:u:{apel.id}.20219999",
        f"ci:zz:{apel.id}.20210903",  # no such action
        f"ci:u:-{apel.id}.20210903",
        f"ci:u:{apel.id}.2021090",
        "ci:y:abc",
        "ci:u:abc",
        "plan:save:",  # the plan was saved already: no draft, a stale button
        "plan:edit:7",
        "data:erase:maybe",
        "set:lang:xx",
        "\u0000" * 10,
    ]
    for data in forged:
        out = await budi.press_data(message_id, data)
        alerts = [r for r in out if r.method == "answerCallbackQuery"]
        assert alerts, data
        assert "berlaku" in (alerts[0].text or "") or "tidak bisa dilaporkan" in (
            alerts[0].text or ""
        ), data
        assert not [r for r in out if r.method in ("sendMessage", "editMessageText")], data
    assert await entries(db) == sitis
    # Budi logs both; then stale buttons after the habit was removed from the plan.
    await budi.press_data(message_id, f"ci:y:{apel.id}.20210903")
    await budi.press_data(message_id, f"ci:y:{baca.id}.20210903")
    logged = await entries(db)
    assert len(logged) == 3
    await budi.send("/rencana")
    await budi.press("✏️ 1")
    await budi.press("Hapus")
    await budi.press("Simpan")
    for action in ("y", "n", "e", "u"):
        out = await budi.press_data(message_id, f"ci:{action}:{apel.id}.20210903")
        assert "tidak berlaku" in (out[0].text or ""), action
        assert not [r for r in out if r.method in ("sendMessage", "editMessageText")], action
    assert await entries(db) == logged
    # Nine days later, the old sheet's buttons are out of range.
    clock.now += timedelta(days=9)
    for action in ("y", "n", "e", "u"):
        out = await budi.press_data(message_id, f"ci:{action}:{baca.id}.20210903")
        assert "tidak bisa dilaporkan" in (out[0].text or ""), action
        assert not [r for r in out if r.method in ("sendMessage", "editMessageText")], action
    assert await entries(db) == logged


async def test_checkin_guards(bot: RunningBot, db: async_sessionmaker[AsyncSession]) -> None:
    budi = await joined_person(bot)
    assert "belum punya rencana aksi" in joined(await budi.send("/lapor"))
    assert "belum punya rencana aksi" in joined(await budi.send("/progres"))
    await write_plan(budi)
    assert "/lapor kemarin" in joined(await budi.send("/lapor lusa"))
    assert "tidak bisa dilaporkan" in joined(await budi.send("/lapor 2021-08-01"))
    out = await budi.send("/lapor 2/9")
    assert "Kamis, 2 September 2021" in joined(out)
    await budi.send("/lapor")
    await budi.press("Refleksi")
    assert "paling banyak 500 karakter" in joined(await budi.send("r" * 501))
    await budi.press("Membaca")
    assert "Ketik angkanya saja" in joined(await budi.send("banyak"))
    await budi.send("/lapor")
    await budi.press("⏸")
    await budi.press("Alasan lain")
    out = await budi.send("Rapat koordinasi di kantor gubernur")
    assert "dilewati (Rapat koordinasi di kantor gubernur)" in joined(out)


@pytest.mark.channels("telegram")  # the stand-in refuses the picture
async def test_picture_failure_falls_back_to_text(bot: RunningBot, standin: BotApiStandIn) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    standin.fail("sendPhoto", 400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    out = await budi.send_and_wait("/progres", 2)
    assert "Kemajuan Anda" in texts(out)[0]
    assert "Gambar peta kebiasaan belum bisa dikirim" in texts(out)[-1]


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


async def test_another_day_button_logs_a_past_day(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    clock.now += timedelta(days=3)  # Monday 6 September
    await budi.send("/lapor")
    out = await budi.press("Hari lain")
    labels = [b["text"] for b in budi.last_keyboard()[1]]
    assert "Jum 3/9" in labels
    assert "Kam 2/9" in labels  # the cohort's first day, within a week back
    assert not any("1/9" in label for label in labels)  # before the cohort started
    out = await budi.press("Jum 3/9")
    assert "Jumat, 3 September 2021" in joined(out)
    await budi.press("Apel pagi")
    async with db() as session:
        days = list(await session.scalars(select(CheckIn.day)))
    assert days == [date(2021, 9, 3)]


async def test_a_question_left_open_does_not_catch_later_text(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/lapor")
    await budi.press("⏸")
    await budi.press("Alasan lain")  # asks for a typed reason...
    await budi.press("Kembali")  # ...but the person goes back
    await budi.press("Apel pagi")
    out = await budi.send("terima kasih")
    assert "/bantuan" in joined(out)
    async with db() as session:
        assert list(await session.scalars(select(CheckIn.status))) == ["done"]


async def test_changing_a_habits_target_starts_a_new_habit(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/lapor")
    await budi.press("Apel pagi")
    clock.next_day()
    await budi.send("/rencana")
    await budi.press("✏️ 1")
    await budi.press("Jenis & target")
    await budi.press("Angka")
    await budi.send("kali")
    out = await budi.send("2")
    assert "Apel pagi tepat waktu — 2 kali" in joined(out)
    await budi.press("Simpan")
    rows = [(h.name, h.kind, h.removed_at is None, h.created_on) for h in await habits(db)]
    assert ("Apel pagi tepat waktu", "yesno", False, date(2021, 9, 3)) in rows
    assert ("Apel pagi tepat waktu", "numeric", True, date(2021, 9, 4)) in rows
    # The new habit cannot be logged before it existed; the old day keeps its "done".
    out = await budi.send("/lapor kemarin")
    assert "Belum ada pada hari itu: Apel pagi tepat waktu (ditambahkan pada 4 Sep)" in joined(out)
    assert "Tidak terjadwal" not in joined(out)
    async with db() as session:
        assert list(await session.scalars(select(CheckIn.status))) == ["done"]


async def test_back_from_editing_the_title(bot: RunningBot) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/rencana")
    await budi.press("Ubah judul")
    out = await budi.press("Kembali")
    assert "Rencana aksi (draf)" in joined(out)


async def write_numeric_plan(person: Person, words: dict[str, str]) -> None:
    """A plan of two numeric habits: water in litres with a decimal target, and steps."""
    await person.send(words["/plan"])
    await person.send(words["title"])
    await person.send(words["water"])
    await person.press(words["number"])
    await person.send("liter")
    await person.send(words["1.5"])
    out = await person.press(words["daily"])
    assert words["water_line"] in joined(out)
    await person.press(words["add"])
    await person.send(words["walk"])
    await person.press(words["number"])
    await person.send(words["steps"])
    await person.send(words["10000"])
    out = await person.press(words["daily"])
    assert words["walk_line"] in joined(out)
    await person.press(words["save"])


INDONESIAN = {
    "/plan": "/rencana", "title": "Hidup sehat di kantor", "water": "Minum air putih",
    "number": "Angka", "1.5": "1,5", "daily": "Setiap hari",
    "water_line": "Minum air putih — 1,5 liter — Setiap hari", "add": "Tambah kebiasaan",
    "walk": "Jalan kaki", "steps": "langkah", "10000": "10.000",
    "walk_line": "Jalan kaki — 10.000 langkah — Setiap hari", "save": "Simpan",
    "/checkin": "/lapor", "target": "Target: 1,5 liter", "partial": "🟡 1,25/1,5 liter",
    "1.25": "1,25", "walked": "✅ 12.500 langkah", "12500": "12.500",
}  # fmt: skip
ENGLISH = {
    "/plan": "/plan", "title": "Healthy habits at the office", "water": "Drink water",
    "number": "A number", "1.5": "1.5", "daily": "Every day",
    "water_line": "Drink water — 1.5 liter — Every day", "add": "Add a habit",
    "walk": "Walking", "steps": "steps", "10000": "10,000",
    "walk_line": "Walking — 10,000 steps — Every day", "save": "Save",
    "/checkin": "/checkin", "target": "Target: 1.5 liter", "partial": "🟡 1.25/1.5 liter",
    "1.25": "1.25", "walked": "✅ 12,500 steps", "12500": "12,500",
}  # fmt: skip


@pytest.mark.parametrize("words", [INDONESIAN, ENGLISH], ids=["id", "en"])
async def test_numbers_are_shown_and_read_in_the_readers_language(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], words: dict[str, str]
) -> None:
    """`2,5 halaman` and `1,25/1,5 liter` in Indonesian, `2.5` in English; thousands grouped
    as each language does, and typed back the same way."""
    if words is INDONESIAN:
        person = await joined_person(bot)
    else:
        person = bot.person(1001, "Tom", language_code="en")
        await person.send("/start REVMEN1")
        await person.press("Skip")
        await person.press("Skip")
    await write_numeric_plan(person, words)
    assert sorted(h.target for h in await habits(db)) == [1.5, 10000.0]
    await person.send(words["/checkin"])
    out = await person.press(words["water"])
    assert words["target"] in joined(out)
    out = await person.send(words["1.25"])
    assert words["partial"] in joined(out)
    await person.press(words["walk"])
    out = await person.send(words["12500"])
    assert words["walked"] in joined(out)
    async with db() as session:
        values = sorted(v for v in await session.scalars(select(CheckIn.value)) if v is not None)
    assert values == [1.25, 12500.0]


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


def callback_data(person: Person, label: str) -> str:
    _, buttons = person.last_keyboard()
    [data] = [b["callback_data"] for b in buttons if label in b["text"]]
    return str(data)


async def entries(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, date, str, Any, Any]]:
    """(habit, day, status, value, skip reason) of every check-in."""
    async with db() as session:
        rows = await session.execute(
            select(Habit.name, CheckIn.day, CheckIn.status, CheckIn.value, CheckIn.skip_reason)
            .join(Habit, Habit.id == CheckIn.habit_id)
            .order_by(CheckIn.day, CheckIn.habit_id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_day_before_the_habits_existed_says_so(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)  # Friday 3 September; the cohort started on Thursday
    out = await budi.send("/lapor kemarin")
    body = joined(out)
    assert "Kamis, 2 September 2021" in body
    assert (
        "Kebiasaan Anda baru ditambahkan setelah hari itu, jadi tidak ada yang perlu dilaporkan."
        in body
    )
    assert (
        "Belum ada pada hari itu: Apel pagi tepat waktu, Membaca regulasi (ditambahkan pada 3 Sep)"
        in body
    )
    assert "Tidak ada kebiasaan terjadwal" not in body and "Tidak terjadwal" not in body
    _, buttons = budi.last_keyboard()
    assert [b["text"] for b in buttons] == ["💬 Refleksi", "📅 Hari lain"]
    # Monday: an every-day habit added today; Sunday's sheet shows each line for what it is.
    clock.now += timedelta(days=3)
    await budi.send("/rencana")
    await budi.press("Tambah kebiasaan")
    await budi.send("Senam pagi")
    await budi.press("Ya / tidak")
    await budi.press("Setiap hari")
    await budi.press("Simpan")
    body = joined(await budi.send("/lapor kemarin"))
    assert "1. Membaca regulasi — ⬜ belum dilaporkan" in body
    assert "Tidak terjadwal hari ini: Apel pagi tepat waktu" in body  # weekdays only
    assert "Belum ada pada hari itu: Senam pagi (ditambahkan pada 6 Sep)" in body
    assert "Senam pagi —" not in body
    # The same in English, and the cohort's first day, before all three.
    await budi.send("/bahasa en")
    body = joined(await budi.send("/checkin yesterday"))
    assert "Not scheduled this day: Apel pagi tepat waktu" in body
    assert "Not in your plan yet on this day: Senam pagi (added on 6 Sep)" in body
    body = joined(await budi.send("/checkin 2021-09-02"))
    assert "Your habits were added after this day, so there is nothing to log for it." in body
    assert (
        "Not in your plan yet on this day: Apel pagi tepat waktu, Membaca regulasi "
        "(added on 3 Sep); Senam pagi (added on 6 Sep)" in body
    )
    assert "No habit is scheduled" not in body
    # A made-up press for a habit on a day before it existed changes nothing.
    [apel] = [h for h in await habits(db) if h.name == "Apel pagi tepat waktu"]
    for action in ("y", "e", "u"):
        out = await budi.press_data(sheet_message(budi), f"ci:{action}:{apel.id}.20210902")
        assert "did not exist yet" in (out[0].text or ""), action
    assert await entries(db) == []


async def test_change_and_undo_from_the_sheet(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/lapor")
    out = await budi.press("Apel pagi")
    assert "1. Apel pagi tepat waktu — ✅ selesai" in joined(out)
    _, buttons = budi.last_keyboard()
    # A logged habit has one button that opens its choices again; the open one keeps its three.
    assert [b["text"] for b in buttons][:4] == [
        "✏️ Ubah: Apel pagi tepat waktu",
        "🔢 Membaca regulasi",
        "❌",
        "⏸",
    ]
    out = await budi.press("Ubah: Apel")
    assert (
        "✏️ <b>Apel pagi tepat waktu</b> · Jumat, 3 September 2021\nSekarang: ✅ selesai"
        in joined(out)
    )
    assert [b["text"] for b in budi.last_keyboard()[1]] == [
        "✅ Selesai",
        "❌ Tidak",
        "⏸ Lewati",
        "↩️ Batalkan laporan",
        "⬅️ Kembali",
    ]
    out = await budi.press("❌ Tidak")
    assert "1. Apel pagi tepat waktu — ❌ tidak" in joined(out)
    assert await entries(db) == [
        ("Apel pagi tepat waktu", date(2021, 9, 3), "not_done", None, None)
    ]
    await budi.press("Ubah: Apel")
    await budi.press("⏸ Lewati")
    out = await budi.press("Cuti")
    assert "1. Apel pagi tepat waktu — ⏸ dilewati (🏖 Cuti)" in joined(out)
    assert await entries(db) == [
        ("Apel pagi tepat waktu", date(2021, 9, 3), "skipped", None, "leave")
    ]
    # Undo: back to not logged, the row gone; a double tap on it is no error.
    await budi.press("Ubah: Apel")
    undo = callback_data(budi, "Batalkan laporan")
    out = await budi.press("Batalkan laporan")
    [toast] = [r for r in out if r.method == "answerCallbackQuery"]
    assert toast.text == "↩️ Laporan dibatalkan"
    assert "1. Apel pagi tepat waktu — ⬜ belum dilaporkan" in joined(out)
    assert await entries(db) == []
    out = await budi.press_data(sheet_message(budi), undo)
    assert [r.text for r in out if r.method == "answerCallbackQuery"] == ["↩️ Laporan dibatalkan"]
    assert not [r for r in out if r.method == "sendMessage"]
    assert "✅ Apel pagi tepat w…" in [b["text"] for b in budi.last_keyboard()[1]]
    # A number changed: 12 pages, then 8.
    await budi.press("Membaca")
    await budi.send("12")
    await budi.press("Ubah: Membaca")
    out = await budi.press("Ubah angka")
    assert "Berapa halaman untuk <b>Membaca regulasi</b>" in joined(out)
    out = await budi.send("8")
    assert "2. Membaca regulasi — 🟡 8/10 halaman" in joined(out)
    assert await entries(db) == [("Membaca regulasi", date(2021, 9, 3), "done", 8.0, None)]
    # Monday: Friday's entry undone from "another day", and an English undo of today's.
    clock.now += timedelta(days=3)
    await budi.send("/lapor")
    await budi.press("Hari lain")
    await budi.press("Jum 3/9")
    await budi.press("Ubah: Membaca")
    out = await budi.press("Batalkan laporan")
    assert "2. Membaca regulasi — ⬜ belum dilaporkan" in joined(out)
    assert "Jumat, 3 September 2021" in joined(out)
    assert await entries(db) == []
    await budi.send("/bahasa en")
    await budi.send("/checkin")
    await budi.press("Apel pagi")
    out = await budi.press("Change: Apel")
    assert "Now: ✅ done" in joined(out)
    out = await budi.press("Undo this entry")
    assert [r.text for r in out if r.method == "answerCallbackQuery"] == ["↩️ Entry undone"]
    assert "1. Apel pagi tepat waktu — ⬜ not logged yet" in joined(out)
    assert await entries(db) == []


async def test_progress_after_the_training_counts_up_to_its_last_day(
    bot: RunningBot, clock: Clock
) -> None:
    """Nothing can be logged after the cohort's end: /progres then shows the figures of its
    last day, not weeks of days that look missed."""
    budi = await joined_person(bot)
    await write_plan(budi)
    clock.now = datetime(2021, 10, 25, 4, 0, tzinfo=UTC)  # the last day (Monday 25 October)
    last_day = texts(await budi.send_and_wait("/progres", 2))[0]
    clock.now = datetime(2021, 12, 1, 4, 0, tzinfo=UTC)  # five weeks after the end
    later = texts(await budi.send_and_wait("/progres", 2))[0]
    assert later == last_day
