"""Shared steps of the action-plan and check-in tests: joining, writing the two-habit plan,
and reading back what was stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CheckIn, Habit
from tests.harness import Person, RunningBot, joined

# Friday 3 September 2021, 09:00 WITA.


async def joined_person(
    bot: RunningBot, user_id: int = 1001, name: str = "Budi", code: str = "REVMEN1"
) -> Person:
    """Someone who joined `code` and skipped the name and unit questions (the plan offer then
    waits for them)."""
    person = bot.person(user_id, name)
    await person.send(f"/start {code}")
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
