"""Announcements in tests (tests/test_announce*.py), on either channel: cohort REVMEN1 with its
facilitator on the test's channel, composing, counting what was delivered, and — on the
in-memory channel, where only the background sender (`scheduler.broadcast`) acts later — waiting
for that sender without fixed sleeps, or holding it part way through an announcement."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.channel import Text
from core.cohorts import get_cohort
from core.pacing import Pacer
from core.staff import add_facilitator
from scheduler.broadcast import Broadcaster
from scheduler.outbox import Queued, next_batch
from storage.models import OutboxMessage
from tests.conftest import make_cohort
from tests.harness import (
    MemoryBot,
    MemoryPerson,
    MemoryRecords,
    Person,
    RunningBot,
    joined,
    settings_for,
    start_bot,
)
from tests.people import new_person

FACILITATOR = 9001
PARTICIPANTS = [2001, 2002, 2003, 2004]

Someone = Person | MemoryPerson
Records = BotApiStandIn | MemoryRecords


def delivered(records: Records, chat_id: int, needle: str) -> int:
    return sum(1 for m in records.outbox if m.chat_id == chat_id and needle in (m.text or ""))


def report_of(records: Records) -> str:
    """The first delivery report the author got."""
    report = next(m.text for m in records.outbox if "Laporan pengumuman" in (m.text or ""))
    assert report is not None
    return report


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 15.0
) -> None:
    """Poll `predicate` (plain or async) until it holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        met = predicate()
        if inspect.isawaitable(met):
            met = await met
        if met:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def sent_rows(db: async_sessionmaker[AsyncSession]) -> int:
    """How many outbox rows are recorded as sent."""
    async with db() as session:
        statuses = (await session.execute(select(OutboxMessage.status))).scalars().all()
    return statuses.count("sent")


async def start_announcing(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    chat_kind: str,
    clock: Callable[[], datetime] | None = None,
) -> RunningBot | MemoryBot:
    """Cohort REVMEN1 with Sari, its facilitator, on `chat_kind`; the bot started there."""
    await make_cohort(db)
    async with db.begin() as session:
        sari = await new_person(session, FACILITATOR, chat_kind)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), sari)
    return await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)


async def compose_records(facilitator: Someone, body: str) -> list[Outgoing]:
    await facilitator.send("/umumkan")
    return await facilitator.send(body)


async def compose(facilitator: Someone, body: str = "Besok sesi dimulai pukul 08.00") -> str:
    return joined(await compose_records(facilitator, body))


async def send_formatted(
    bot: RunningBot | MemoryBot,
    user_id: int,
    first_name: str,
    text: str,
    entities: list[dict[str, Any]],
    markup: str,
) -> list[Outgoing]:
    """A formatted message, as each channel carries it: on Telegram `text` with its `entities`
    (as the client sends them), on the in-memory channel `text` with its `markup`."""
    if isinstance(bot, MemoryBot):
        person = bot.person(user_id, first_name)
        assert bot.running is not None, "the memory bot is not started"
        mark = bot.standin.mark()
        await bot.running.handle(Text(person.sender, text, markup))
        return bot.records(person.address, mark)
    mark = bot.standin.mark()
    bot.standin.push_message(user_id, text, first_name=first_name, entities=entities)
    return await bot.standin.wait_quiet(user_id, quiet=0.3, since=mark)


class SenderTurns:
    """The announcement sender's turns, counted as each reads the outbox (`next_batch`), and its
    sends under way (`Broadcaster._send`): how a test waits for the sender without a fixed
    sleep, on any channel."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.sending = 0

        async def counted(*args: Any, **kwargs: Any) -> list[Queued]:
            self.count += 1
            return await next_batch(*args, **kwargs)

        send = Broadcaster._send

        async def sending(broadcaster: Broadcaster, queued: Queued) -> None:
            self.sending += 1
            try:
                await send(broadcaster, queued)
            finally:
                self.sending -= 1

        monkeypatch.setattr("scheduler.broadcast.next_batch", counted)
        monkeypatch.setattr(Broadcaster, "_send", sending)

    async def passed(self, turns: int = 3, wake: asyncio.Event | None = None) -> None:
        """Wait for `turns` more reads of the outbox and then for every send under way to end.
        With three, a whole turn began after now (it saw everything done so far), and a send
        ends only once the channel has it (the stand-in records a request before answering).
        `wake`: the sender's wake-up (`Services.outbox_wakeup`), set while waiting, so that a
        sender idling between looks (5 s in `aksi run`) takes its turns at once."""
        target = self.count + turns

        def turned() -> bool:
            if self.count < target and wake is not None:
                wake.set()
            return self.count >= target

        await wait_until(turned)
        await wait_until(lambda: self.sending == 0)


async def sender_had_its_chance(bot: RunningBot | MemoryBot, turns: SenderTurns) -> None:
    """Give the sender its chance to send what it must not: whole turns, and every send they
    began ended."""
    await turns.passed(wake=bot.services.outbox_wakeup)


class HeldSender:
    """For a test on the in-memory channel that acts while an announcement is part way (there
    is no pace to make it last): the first `free` announcement messages go at once, the next
    waits at its slot (`Pacer.bulk`) until `go` is set — as one waits for its slot at 30 a
    second on Telegram. Replies are not held (they take `Pacer.interactive` slots)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, free: int) -> None:
        self.free = free
        self.go = asyncio.Event()
        bulk = Pacer.bulk

        async def held(pacer: Pacer, chat_id: int) -> None:
            if self.free > 0:
                self.free -= 1
            else:
                await self.go.wait()
            await bulk(pacer, chat_id)

        monkeypatch.setattr(Pacer, "bulk", held)
