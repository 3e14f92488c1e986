"""The reminder tests' helpers: participants of REVMEN1 written straight to the database, the
reminder job's tick at a given moment, what was sent and delivered, and presses on a reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.participants import Writer, join_cohort
from core.plans import Draft, HabitDraft, save_draft
from core.reminders import sync_reminders
from core.services import Services
from handlers.reminders import MESSAGES
from scheduler.reminder_job import TickReport, run_tick
from storage.models import CheckIn, Delivery, Reminder
from tests.harness import (
    Clock,
    MemoryBot,
    MemoryRecords,
    RunningBot,
)
from tests.people import new_person

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def utc(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Ctx:
    """A job's context: what the reminder tick reaches the engine's services through."""

    services: Services


def ctx(bot: RunningBot | MemoryBot) -> Ctx:
    found: Services | None = bot.services
    assert found is not None
    return Ctx(found)


async def participant(
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    channel: str,
    user_id: int,
    tz: str = WITA,
    *,
    plan: bool = True,
    **settings: Any,
) -> int:
    """A participant of REVMEN1 writing as `user_id` on `channel` (the test's bot's)."""
    async with db.begin() as session:
        person = Writer(
            await new_person(session, user_id, channel), f"P{user_id}", language_code="id"
        )
        result = await join_cohort(session, person, "REVMEN1")
        assert result is not None
        p = result.participant
        p.timezone, p.awaiting = tz, None
        for key, value in settings.items():
            setattr(p, key, value)
        if plan:
            draft = Draft(
                step="menu", title="Pelayanan prima", habits=[HabitDraft(name="Apel pagi")]
            )
            await save_draft(session, p, draft, clock(), date(2021, 9, 2))
        await sync_reminders(session, p, clock())
        return p.id


def sent_to(standin: BotApiStandIn | MemoryRecords, since: int = 0) -> list[tuple[int | None, str]]:
    return [(o.chat_id, o.text or "") for o in standin.outbox[since:] if o.method == "sendMessage"]


async def deliveries(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, str, date, str, str]]:
    async with db() as session:
        rows = await session.scalars(select(Delivery).order_by(Delivery.id))
        return [(d.participant_id, d.kind, d.local_date, d.slot, d.status) for d in rows]


async def tick_at(bot: RunningBot | MemoryBot, clock: Clock, when: datetime) -> TickReport:
    clock.now = when
    return await run_tick(ctx(bot), when, MESSAGES)


async def press(
    bot: RunningBot | MemoryBot, user_id: int, message_id: int, data: str
) -> list[Outgoing]:
    """A button press by `user_id` on the test's channel: what the bot did in their chat."""
    return await bot.person(user_id).press_data(message_id, data)


def answers(records: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in records if r.method == "answerCallbackQuery"]


async def count_snoozes(db: async_sessionmaker[AsyncSession]) -> int:
    async with db() as session:
        q = select(func.count()).select_from(Reminder).where(Reminder.kind == "snooze")
        return int(await session.scalar(q) or 0)


async def check_ins(db: async_sessionmaker[AsyncSession], pid: int) -> list[tuple[date, str, Any]]:
    async with db() as session:
        rows = await session.execute(
            select(CheckIn.day, CheckIn.status, CheckIn.skip_reason)
            .where(CheckIn.participant_id == pid)
            .order_by(CheckIn.day)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]
