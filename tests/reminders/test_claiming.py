"""How the reminder job claims: what is due is read and composed outside the write transaction,
and the transaction that follows only moves the rows on and claims their deliveries (so a
peak never holds the write turn, or on SQLite the event loop, for long); a reminder found by
two ticks or workers is taken by one of them only — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.reminders import SNOOZE
from handlers.reminders import MESSAGES
from scheduler import reminders as rem
from scheduler.reminder_job import ReminderMessages, prepare
from storage.db import in_write_transaction
from storage.models import Delivery, Reminder
from tests.harness import Clock, MemoryBot, RunningBot
from tests.reminders.reminding import WITA, ctx, deliveries, participant, utc

pytestmark = [pytest.mark.databases("sqlite", "postgresql"), pytest.mark.channels("memory")]


async def add_snooze(services: Any, pid: int, local_time: str, due: datetime) -> None:
    """ "Remind me in an hour" pressed: its one-off row, due at `due`."""
    async with services.db.begin() as session:
        session.add(
            Reminder(participant_id=pid, kind=SNOOZE, local_time=local_time, next_due_at=due)
        )


async def test_the_claiming_transaction_only_moves_rows_on_and_claims(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = ctx(bot).services
    for uid in range(30, 35):
        await participant(services.db, clock, chat_kind, uid, WITA)
    clock.now = utc(2, 23)
    composed_in_a_write: list[bool] = []

    async def compose(*args: Any, **kwargs: Any) -> Any:
        composed_in_a_write.append(in_write_transaction())
        return await MESSAGES.compose(*args, **kwargs)

    writing = False
    written: list[str] = []
    here = asyncio.current_task()
    begin = services.db.begin

    @asynccontextmanager
    async def watched_begin() -> AsyncIterator[AsyncSession]:
        nonlocal writing
        mine = asyncio.current_task() is here  # the running bot's own tasks write too
        async with begin() as session:
            writing = writing or mine
            try:
                yield session
            finally:
                writing = writing and not mine

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if writing and asyncio.current_task() is here:
            written.append(" ".join(statement.split()[:3]).upper())

    monkeypatch.setattr(services.db, "begin", watched_begin)
    event.listen(services.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        messages = ReminderMessages(compose, MESSAGES.session)
        report = await prepare(ctx(bot), utc(2, 23), messages, limit=100)
    finally:
        event.remove(services.db.engine.sync_engine, "before_cursor_execute", record)
    # Each one's morning summary (quiet: no session today) and daily reminder.
    assert (len(report.outgoing), report.quiet) == (5, 5)
    assert composed_in_a_write == [False] * 10
    # Per reminder: its row moved on, its delivery claimed. No reading while holding the turn.
    assert sorted(written) == ["INSERT INTO DELIVERIES"] * 10 + ["UPDATE REMINDERS SET"] * 10
    async with db() as session:
        moved = list(await session.scalars(select(Reminder.next_due_at)))
    assert moved and all(when > utc(2, 23) for when in moved)


async def test_a_reminder_found_twice_is_taken_once(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    services = ctx(bot).services
    await participant(services.db, clock, chat_kind, 40, WITA)
    at, catch_up = utc(2, 23), timedelta(minutes=60)
    clock.now = at
    async with services.db() as session:
        first = await rem.find_due(session, at, catch_up)
    async with services.db() as session:
        second = await rem.find_due(session, at, catch_up)  # another worker, same moment
    assert [d.reminder.id for d in first] == [d.reminder.id for d in second] != []
    async with services.db.begin() as session:
        assert [await rem.take(session, due) for due in first] == [True] * len(first)
    async with services.db.begin() as session:  # moved on since they were found
        assert [await rem.take(session, due) for due in second] == [False] * len(second)
    # Through the job: both ticks' claims for what they found at the same moment.
    report = await prepare(ctx(bot), at, MESSAGES)
    assert (report.found, report.outgoing) == (0, [])


async def test_a_snooze_found_twice_is_sent_once_and_keeps_the_daily_quiet(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    services = ctx(bot).services
    pid = await participant(services.db, clock, chat_kind, 41, WITA, reminder_times="08:00")
    # "Remind me in an hour" pressed at 07:00 WITA: due at 08:00, with the daily of 08:00.
    await add_snooze(services, pid, "08:00", utc(3, 0))
    at = clock.now = utc(3, 0)
    async with services.db() as session:
        twice = [d for d in await rem.find_due(session, at, timedelta(minutes=60))]
    snooze = next(d for d in twice if d.reminder.kind == SNOOZE)
    report = await prepare(ctx(bot), at, MESSAGES)
    assert [(o.kind, o.participant_id) for o in report.outgoing] == [(SNOOZE, pid)]
    assert (pid, "daily", date(2021, 9, 3), "08:00", "quiet") in await deliveries(db)
    async with services.db.begin() as session:
        assert not await rem.take(session, snooze)  # deleted already: nothing to take
    async with db() as session:
        left = list(
            await session.scalars(select(Reminder.kind).where(Reminder.participant_id == pid))
        )
        claimed = await session.scalar(
            select(Delivery.status).where(Delivery.participant_id == pid, Delivery.kind == SNOOZE)
        )
    assert SNOOZE not in left and claimed == "sending"


async def test_a_snooze_skipped_as_late_does_not_silence_the_daily_due_now(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
) -> None:
    services = ctx(bot).services
    pid = await participant(services.db, clock, chat_kind, 42, WITA, reminder_times="09:00")
    # "In an hour" due at 08:10 WITA; the bot was down from 08:00 to 09:30 (catch-up 60 min):
    # the snooze is 80 minutes late and skipped, the 09:00 daily is 30 minutes late and sent.
    await add_snooze(services, pid, "08:10", utc(3, 0, 10))
    at = clock.now = utc(3, 1, 30)
    report = await prepare(ctx(bot), at, MESSAGES, limit=100)
    assert [(o.kind, o.participant_id) for o in report.outgoing] == [("daily", pid)]
    assert (pid, SNOOZE, date(2021, 9, 3), "08:10", "late") in await deliveries(db)
