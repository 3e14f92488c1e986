"""Commit, then send (storage.db.after_commit), and writers on each database: on SQLite the
process's write transactions take turns, on PostgreSQL they run side by side. The tests that run
a bot do so on each channel (Telegram's through PTB, and the in-memory one)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.channels.telegram_inbound import inbound_of, sender_of
from bot.context import AksiContext
from core.channel import Address, Command, Sender
from handlers.turn import Turn
from storage.db import Database, after_commit, in_write_transaction
from storage.models import Cohort
from tests.harness import MemoryBot, RunningBot, texts

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]


def cohort(code: str) -> Cohort:
    return Cohort(
        code=code,
        name=code,
        timezone="Asia/Makassar",
        starts_on=date(2021, 9, 2),
        ends_on=date(2021, 10, 25),
    )


async def count_cohorts(db: Database) -> int:
    async with db() as session:
        return int((await session.execute(select(func.count()).select_from(Cohort))).scalar_one())


async def test_work_after_commit_runs_once_committed_in_order(engine: AsyncEngine) -> None:
    db = Database(engine)
    seen: list[tuple[str, int]] = []

    async def note(name: str) -> None:
        assert not in_write_transaction()  # the transaction is over ...
        seen.append((name, await count_cohorts(db)))  # ... and its row is there for all

    assert after_commit(lambda: note("outside")) is False  # no transaction: do it now
    async with db.begin() as session:
        assert in_write_transaction()
        session.add(cohort("A"))
        assert after_commit(lambda: note("first"))
        assert after_commit(lambda: note("second"))
        assert seen == []  # nothing yet while the transaction is open
    assert seen == [("first", 1), ("second", 1)]


async def test_work_after_a_rolled_back_transaction_is_dropped(engine: AsyncEngine) -> None:
    db = Database(engine)
    seen: list[str] = []

    async def note() -> None:
        seen.append("sent")

    async def refused_write() -> None:
        async with db.begin() as session:
            session.add(cohort("A"))
            after_commit(note)
            raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await refused_write()
    assert seen == []
    assert await count_cohorts(db) == 0


async def test_a_transaction_inside_another_is_refused(engine: AsyncEngine) -> None:
    db = Database(engine)
    with pytest.raises(RuntimeError, match="inside another"):
        async with db.begin(), db.begin():
            pass


async def test_a_task_started_inside_a_transaction_is_not_in_it(engine: AsyncEngine) -> None:
    db = Database(engine)
    async with db.begin():
        inside = asyncio.create_task(asyncio.sleep(0, result=None))
        await inside
        probe = asyncio.create_task(_in_transaction())
        assert await probe is False  # it inherits the context, not the transaction
        assert in_write_transaction()


async def _in_transaction() -> bool:
    return in_write_transaction()


async def test_writers_side_by_side_on_postgresql_in_turn_on_sqlite(engine: AsyncEngine) -> None:
    """Two writers: on PostgreSQL the second begins while the first is still open; on SQLite
    it begins only once the first has committed."""
    db = Database(engine)
    events: list[str] = []
    first_open = asyncio.Event()

    async def first() -> None:
        async with db.begin() as session:
            session.add(cohort("A"))
            await session.flush()
            events.append("A open")
            first_open.set()
            await asyncio.sleep(0.2)
            events.append("A commits")

    async def second() -> None:
        await first_open.wait()
        async with db.begin() as session:
            events.append("B open")
            session.add(cohort("B"))

    await asyncio.gather(first(), second())
    if engine.dialect.name == "postgresql":
        assert events == ["A open", "B open", "A commits"]
    else:
        assert events == ["A open", "A commits", "B open"]
    assert await count_cohorts(db) == 2


@pytest.mark.channels("telegram")  # a PTB handler, and PTB's Bot refusing a direct call
async def test_a_reply_written_inside_a_transaction_is_sent_after_it(bot: RunningBot) -> None:
    """Through the real bot: `Turn.reply` inside a write transaction waits for the commit (and is
    then sent); a direct call to Telegram inside one is refused, so none can slip in."""
    seen: dict[str, object] = {}

    async def probe(update: Update, context: AksiContext) -> None:
        assert update.effective_chat is not None
        async with context.services.db.begin() as session:
            session.add(cohort("PROBE"))
            turn = Turn(context.services, sender_of(update), inbound_of(update))
            await turn.reply("tersimpan")
            seen["sent while open"] = bot.standin.outgoing_for(update.effective_chat.id)
            try:
                await context.bot.send_message(update.effective_chat.id, "langsung")
            except RuntimeError as exc:
                seen["refused"] = str(exc)
        raise ApplicationHandlerStop

    bot.app.add_handler(CommandHandler("probe", probe), group=-5)
    budi = bot.person()
    out = await budi.send("/probe")
    assert seen["sent while open"] == []
    assert "sendMessage: a call to Telegram inside a write transaction" in str(seen["refused"])
    assert texts(out) == ["tersimpan"]  # sent once committed; the direct call never went


async def test_a_turns_reply_inside_a_transaction_waits_for_the_commit_on_its_channel(
    bot: RunningBot | MemoryBot, chat_kind: str
) -> None:
    """On either channel, with the running bot's services: what a turn says inside a write
    transaction is not on the channel while it is open, and is there once it has committed."""
    sender = Sender(Address(chat_kind, "1001"), "Budi", "", "id", "Budi")
    turn = Turn(bot.services, sender, Command(sender, "probe", (), "/probe", "/probe"))
    async with bot.services.db.begin() as session:
        session.add(cohort("PROBE"))
        await turn.reply("tersimpan")
        sent_while_open = bot.standin.outgoing_for(1001)
    assert sent_while_open == []
    assert texts(bot.standin.outgoing_for(1001)) == ["tersimpan"]
    assert await count_cohorts(bot.services.db) == 2  # REVMEN1 and the probe's


@pytest.mark.channels("memory")  # on Telegram, PTB's Bot refuses such a call (the test above)
async def test_the_engine_calls_the_channel_only_outside_write_transactions(
    bot: MemoryBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the engine on the in-memory channel, which refuses nothing: a person joins,
    answers, presses and asks, and not one of the channel's calls is made while a write
    transaction is open."""
    calls: list[tuple[str, bool]] = []

    def watched(name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(bot.channel, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, in_write_transaction()))
            return await method(*args, **kwargs)

        return call

    for name in ("send", "edit", "acknowledge", "drop_actions"):
        monkeypatch.setattr(bot.channel, name, watched(name))
    budi = bot.person()
    await budi.send("/start REVMEN1")
    await budi.press("Lewati")
    await budi.press("Lewati")
    await budi.send("/jadwal")
    await budi.send("/hapusdata")
    await budi.press("Ya, hapus")
    assert {name for name, _ in calls} == {"send", "edit", "acknowledge", "drop_actions"}
    assert [call for call in calls if call[1]] == []
