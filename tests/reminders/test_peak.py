"""A minute with many reminders due: claimed a batch at a time and sent side by side through
the pacer's bulk slots, replies going first, a 429 waited out, every outcome recorded once."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from handlers.reminders import MESSAGES
from scheduler import reminder_job
from scheduler.reminder_job import run_tick
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, MemoryRecords, RunningBot, settings_for, start_bot
from tests.reminders.reminding import WITA, ctx, deliveries, participant, sent_to, utc

PEOPLE = range(10, 22)  # twelve participants, their reminders all due at 07:00 WITA


EXPECTED = {("daily", "sent"): 12, ("morning", "quiet"): 12}


async def outcomes(db: async_sessionmaker[AsyncSession]) -> Counter[tuple[str, str]]:
    return Counter((kind, status) for _, kind, _, _, status in await deliveries(db))


def chats(standin: BotApiStandIn | MemoryRecords) -> list[int]:
    return sorted(chat for chat, _ in sent_to(standin) if chat is not None)


async def everyone_due(bot: RunningBot | MemoryBot, clock: Clock, chat_kind: str) -> None:
    # Written through the bot's own database (its writes take turns with these).
    bot_db: Any = ctx(bot).services.db
    for uid in PEOPLE:
        await participant(bot_db, clock, chat_kind, uid, WITA)
    clock.now = utc(2, 23)  # 07:00 WITA on Friday


@pytest.mark.databases("sqlite", "postgresql")
@pytest.mark.channels("telegram", "memory")
async def test_more_due_than_a_batch_all_go_out_once_in_one_tick(
    bot: RunningBot | MemoryBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    chat_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await everyone_due(bot, clock, chat_kind)
    monkeypatch.setattr(reminder_job, "CLAIM_BATCH", 5)  # twelve due: three batches
    report = await run_tick(ctx(bot), clock.now, MESSAGES)
    # Each has two reminders due: the daily commitment at 07:00, and the morning summary of
    # 06:00 that has nothing to say on the first day.
    assert (report.sent, report.quiet, report.failed, report.found) == (12, 12, 0, 24)
    assert chats(bot.standin) == list(PEOPLE)
    assert await outcomes(db) == EXPECTED
    # The next tick in the same minute finds nothing left to take.
    again = await run_tick(ctx(bot), clock.now, MESSAGES)
    assert (again.sent, again.found) == (0, 0)
    assert len(sent_to(bot.standin)) == 12


@pytest.mark.channels("telegram")
async def test_reminders_leave_side_by_side_on_a_slow_network(
    bot: RunningBot, clock: Clock, chat_kind: str
) -> None:
    await everyone_due(bot, clock, chat_kind)
    standin = bot.standin
    standin.network(rtt_ms=120, jitter_ms=20)
    standin.reset_records()
    report = await run_tick(ctx(bot), clock.now, MESSAGES)
    assert report.sent == 12
    # One after another, one would be in flight at a time; at the pacer's 30 a second and a
    # 120 ms round trip, about four are.
    assert standin.most_in_flight >= 3


@pytest.fixture
async def slow_bot(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> Any:
    """The bot on Telegram allowed 5 messages a second: a reminder every 200 ms."""
    await make_cohort(db)
    settings = settings_for(standin, db_url, aksi_max_messages_per_second=5)
    running = await start_bot("telegram", standin, settings, clock)
    yield running
    await running.stop()


async def test_a_reply_goes_ahead_of_the_reminders_still_waiting(
    slow_bot: RunningBot, clock: Clock
) -> None:
    await everyone_due(slow_bot, clock, "telegram")
    standin = slow_bot.standin
    tick = asyncio.create_task(run_tick(ctx(slow_bot), clock.now, MESSAGES))
    await standin.wait_for_outgoing(None, count=2)  # the reminders have begun
    asks = slow_bot.person(10)
    await asks.send("/jadwal")
    assert (await tick).sent == 12
    order = [(o.chat_id, o.method) for o in standin.outbox if o.method == "sendMessage"]
    reply = [i for i, (chat, _) in enumerate(order) if chat == 10][-1]  # after its reminder
    assert reply < len(order) - 3, order  # not behind the whole minute's reminders


async def test_a_429_pauses_the_reminders_and_each_is_sent_after_it(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    await everyone_due(bot, clock, "telegram")
    standin = bot.standin
    standin.fail("sendMessage", 429, "Too Many Requests: retry after 1", times=2, retry_after=1)
    report = await run_tick(ctx(bot), clock.now, MESSAGES)
    assert (report.sent, report.failed) == (12, 0)
    assert chats(standin) == list(PEOPLE)
    assert await outcomes(db) == EXPECTED
