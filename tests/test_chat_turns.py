"""Several workers on one database (core.chat_turns, core.shared_pace): a chat's updates handled
one at a time and in order whichever worker took each in, a copy dropped, a dead worker's chat
taken over when its turn runs out; the workers' messages sharing one window of 30 a second.
Two workers here are two objects on the same database, as two processes would be (the
processes themselves: tests/test_workers.py)."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.chat_turns import ChatTurns
from core.pacing import Pacer
from core.shared_pace import SharedWindow
from storage.db import Database, create_engine
from storage.models import ChatTurn, InboundSeen, PaceSlot

pytestmark = pytest.mark.databases("sqlite", "postgresql")


class Handling:
    """What each worker handled, when, and whether two handled one chat at once."""

    def __init__(self) -> None:
        self.order: dict[str, list[int]] = defaultdict(list)
        self.by: dict[int, str] = {}
        self.busy: set[str] = set()
        self.overlaps = 0

    def handler(self, worker: str, pause: float = 0.005):  # type: ignore[no-untyped-def]
        async def handle(payload: str) -> None:
            update = json.loads(payload)
            chat, seq = update["chat"], update["seq"]
            if chat in self.busy:
                self.overlaps += 1
            self.busy.add(chat)
            await asyncio.sleep(pause)
            self.order[chat].append(seq)
            self.by[seq] = worker
            self.busy.discard(chat)

        return handle


async def _until(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("not within the time")
        await asyncio.sleep(0.01)


def update(chat: str, seq: int) -> tuple[str, str, str, int, str]:
    return ("telegram", str(seq), chat, seq, json.dumps({"chat": chat, "seq": seq}))


async def test_each_chat_in_order_whichever_worker_took_its_updates_in(
    engine: AsyncEngine,
) -> None:
    handling = Handling()
    db = Database(engine)
    a = ChatTurns(db, handling.handler("a", pause=0.02), holder="a")
    b = ChatTurns(db, handling.handler("b", pause=0.02), holder="b")
    chats = ["telegram:1", "telegram:2", "telegram:3"]
    seq = 0
    taker: dict[int, str] = {}
    for _ in range(8):
        for chat in chats:
            seq += 1
            # The proxy alternates: every chat's updates split between the workers, arriving
            # while the chat's earlier ones are still being handled (20 ms each).
            worker = a if seq % 2 else b
            taker[seq] = worker.holder
            assert await worker.take_in(*update(chat, seq))
            await asyncio.sleep(0.004)
    await _until(lambda: sum(len(v) for v in handling.order.values()) == seq)
    await a.stop()
    await b.stop()
    assert handling.overlaps == 0  # never two workers (or two tasks) on one chat at once
    for chat in chats:
        got = handling.order[chat]
        assert got == sorted(got) and len(got) == 8, (chat, got)
    # Updates one worker took in were handled by the other, which had the chat's turn.
    assert any(handling.by[s] != taker[s] for s in taker)
    async with db() as session:
        rows = (await session.execute(select(InboundSeen.handled_at, InboundSeen.payload))).all()
        turns = (await session.execute(select(ChatTurn))).scalars().all()
    assert len(rows) == seq and all(h is not None and p is None for h, p in rows)
    assert turns == []  # every turn let go


async def test_a_copy_is_dropped_whichever_worker_it_reaches(engine: AsyncEngine) -> None:
    handling = Handling()
    db = Database(engine)
    a = ChatTurns(db, handling.handler("a"), holder="a")
    b = ChatTurns(db, handling.handler("b"), holder="b")
    assert await a.take_in(*update("telegram:1", 41))
    assert not await b.take_in(*update("telegram:1", 41))  # Telegram posted it again
    assert not await a.take_in(*update("telegram:1", 41))
    await _until(lambda: handling.order["telegram:1"] == [41])
    await asyncio.sleep(0.05)
    assert handling.order["telegram:1"] == [41]
    await a.stop()
    await b.stop()


async def test_a_dead_workers_chat_is_taken_over_when_its_turn_runs_out(
    engine: AsyncEngine,
) -> None:
    """Worker "dead" took the chat's turn and died: its updates wait until the turn runs out;
    then another worker's sweep takes the chat over and handles them in order."""
    handling = Handling()
    db = Database(engine)
    now = datetime.now(UTC)
    async with db.begin() as session:
        session.add(ChatTurn(chat="telegram:7", holder="dead", until=now + timedelta(seconds=1)))
    a = ChatTurns(
        db, handling.handler("a"), holder="a", sweep_every=0.1,
        stranded_after=timedelta(seconds=0.2),
    )  # fmt: skip
    await a.start()
    assert await a.take_in(*update("telegram:7", 1))
    assert await a.take_in(*update("telegram:7", 2))
    await asyncio.sleep(0.5)
    assert handling.order["telegram:7"] == []  # the dead worker's turn still runs
    await _until(lambda: handling.order["telegram:7"] == [1, 2], timeout=5.0)
    assert set(handling.by.values()) == {"a"}
    await a.stop()


async def test_a_live_turn_is_renewed_while_its_chat_is_handled(engine: AsyncEngine) -> None:
    """A slow update (an export) outlasts the lease: the holder renews its turn, so no other
    worker's sweep takes the chat meanwhile."""
    handling = Handling()
    db = Database(engine)
    lease = timedelta(seconds=0.3)
    slow = ChatTurns(db, handling.handler("slow", pause=1.0), holder="slow", lease=lease)
    other = ChatTurns(
        db, handling.handler("other"), holder="other", lease=lease, sweep_every=0.05,
        stranded_after=timedelta(0),
    )  # fmt: skip
    await slow.start()
    await other.start()
    assert await slow.take_in(*update("telegram:9", 1))
    assert await slow.take_in(*update("telegram:9", 2))
    await _until(lambda: handling.order["telegram:9"] == [1, 2], timeout=5.0)
    assert handling.overlaps == 0 and set(handling.by.values()) == {"slow"}
    await slow.stop()
    await other.stop()


@pytest.mark.databases("postgresql")
async def test_the_workers_share_one_window(engine: AsyncEngine) -> None:
    """Two workers, five messages a half second between them; an announcement leaves the last
    slot of a window to replies."""
    db = Database(engine)
    one, two = SharedWindow(db, 5, 0.5), SharedWindow(db, 5, 0.5)
    assert [await w.take(bulk=False) for w in (one, two, one)] == [0.0] * 3
    assert await two.take(bulk=True) == 0.0
    assert await one.take(bulk=True) > 0  # the fifth is left to replies
    assert await two.take(bulk=False) == 0.0  # a reply takes it
    wait = await one.take(bulk=False)
    assert 0 < wait <= 0.5
    assert await one.used() == 5
    await asyncio.sleep(wait + 0.01)
    assert await two.take(bulk=False) == 0.0  # the window moved on
    # Twenty at once from both workers, on a fresh window: exactly five go.
    await asyncio.sleep(0.55)
    answers = await asyncio.gather(*(w.take(bulk=False) for w in [one, two] * 10))
    assert answers.count(0.0) == 5 and all(a > 0 for a in answers if a != 0.0)


@pytest.mark.databases("postgresql")
async def test_paced_messages_wait_for_the_shared_window(engine: AsyncEngine) -> None:
    """Each worker's pacer asks the shared window before a message leaves: two pacers of 30
    a second, sending together, stay at 30 a second between them."""
    db = Database(engine)
    pacers = [Pacer(30), Pacer(30)]
    for pacer in pacers:
        pacer.shared = SharedWindow(db, pacer.allowed, pacer.window)
    # Each would send 26 in 0.9 s on its own pace: 52 between them, more than 30 a second.
    await asyncio.gather(
        *(p.bulk(1000 * i + n) for i, p in enumerate(pacers) for n in range(22)),
        *(p.interactive(5000 + n) for p in pacers for n in range(4)),
    )
    async with db() as session:
        times = sorted((await session.scalars(select(PaceSlot.at))).all())
    assert len(times) == 52
    window = pacers[0].window
    busiest = max(sum(1 for t in times if start <= t < start + window) for start in times)
    assert busiest <= 30, busiest


async def test_a_shared_window_out_of_reach_does_not_stop_messages() -> None:
    unreachable = create_engine("postgresql+asyncpg://aksi@127.0.0.1:9/nothing")
    window = SharedWindow(Database(unreachable), 5, 0.5)
    try:
        assert await window.take(bulk=False) == 0.0
        assert window.failures == 1
    finally:
        await unreachable.dispose()
