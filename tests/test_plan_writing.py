"""End to end over HTTP: writing the action plan with /rencana — cancelled and restarted half
way, habits edited and removed with their history kept, every typed answer checked, and numbers
shown and read in the reader's language."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from storage.models import (
    ActionPlan,
    CheckIn,
    PlanDraft,
)
from tests.conftest import make_cohort
from tests.harness import Clock, Person, RunningBot, joined, settings_for
from tests.planning import (
    count,
    habits,
    joined_person,
    write_plan,
)

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

# Friday 3 September 2021, 09:00 WITA.


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
