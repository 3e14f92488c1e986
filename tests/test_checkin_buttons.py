"""End to end over HTTP: the check-in sheet and its buttons — every forged or stale button
refused with nothing changed, and an entry changed or undone from the sheet."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.harness import Clock, RunningBot, joined
from tests.planning import (
    callback_data,
    entries,
    habits,
    joined_person,
    sheet_message,
    write_plan,
)

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

# Friday 3 September 2021, 09:00 WITA.


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
