"""Several workers on one database (core.chat_turns, core.shared_pace): a chat's updates handled
one at a time and in order whichever worker took each in, a copy dropped, a dead worker's chat
taken over when its turn runs out; the workers' messages sharing one window of 30 a second.
Two workers here are two objects on the same database, as two processes would be (the
processes themselves: tests/test_workers.py)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from core import inbound
from core.chat_turns import ChatTurns
from core.pacing import Pacer
from core.shared_pace import NOW, SharedWindow
from storage.db import Database, create_engine
from storage.messaging import ChatTurn, InboundSeen, PaceSlot

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
    a = ChatTurns(db, handling.handler("a", pause=0.02), holder="a", backlog_spacing=0.0)
    b = ChatTurns(db, handling.handler("b", pause=0.02), holder="b", backlog_spacing=0.0)
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


async def test_updates_of_one_chat_taken_in_all_at_once_are_all_handled_without_a_sweep(
    engine: AsyncEngine,
) -> None:
    """Forty updates of one chat taken in at the same moment, split between two workers: each
    handled once, never two at once, every turn let go — without the sweeper (which would
    otherwise pick up an update nobody tried the turn for, seconds later), now that the
    queueing step also tries for the turn (`ChatTurns.take_in`)."""
    handling = Handling()
    db = Database(engine)
    never = 3600.0  # no sweeps: nothing may depend on them
    a = ChatTurns(db, handling.handler("a", pause=0.002), holder="a", backlog_spacing=0.0,
                  sweep_every=never)  # fmt: skip
    b = ChatTurns(db, handling.handler("b", pause=0.002), holder="b", backlog_spacing=0.0,
                  sweep_every=never)  # fmt: skip
    await a.start()
    await b.start()
    try:
        taken = await asyncio.gather(
            *((a if n % 2 else b).take_in(*update("telegram:7", n)) for n in range(1, 41))
        )
        assert all(taken)
        await _until(lambda: len(handling.order["telegram:7"]) == 40)
    finally:
        await a.stop()
        await b.stop()
    assert handling.overlaps == 0
    assert sorted(handling.order["telegram:7"]) == list(range(1, 41))
    async with db() as session:
        assert (await session.execute(select(ChatTurn))).scalars().all() == []


async def test_an_update_another_worker_queued_while_the_turn_was_held_is_handled_by_its_holder(
    engine: AsyncEngine,
) -> None:
    """The step marking the holder's last update handled also lets go of the turn and looks
    once more: an update another worker queued meanwhile (finding the turn taken) is seen
    there and handled by the holder, under the turn taken again — no sweep needed; then the
    turn is let go."""
    db = Database(engine)
    release = asyncio.Event()
    handled: list[tuple[str, int]] = []

    def handler(worker: str):  # type: ignore[no-untyped-def]
        async def handle(payload: str) -> None:
            seq = json.loads(payload)["seq"]
            if seq == 1:
                await release.wait()
            handled.append((worker, seq))

        return handle

    never = 3600.0
    a = ChatTurns(db, handler("a"), holder="a", backlog_spacing=0.0, sweep_every=never)
    b = ChatTurns(db, handler("b"), holder="b", backlog_spacing=0.0, sweep_every=never)
    try:
        assert await a.take_in(*update("telegram:9", 1))
        await _until(lambda: "telegram:9" in a._serving)
        assert await b.take_in(*update("telegram:9", 2))  # queued; the turn is a's
        assert "telegram:9" not in b._serving
        async with db() as session:
            turn = (await session.execute(select(ChatTurn))).scalars().one()
        assert turn.holder == "a"
        release.set()
        await _until(lambda: len(handled) == 2, timeout=2.0)
        await _until(lambda: not a._serving, timeout=2.0)
    finally:
        await a.stop()
        await b.stop()
    assert handled == [("a", 1), ("a", 2)]
    async with db() as session:
        assert (await session.execute(select(ChatTurn))).scalars().all() == []
        rows = (await session.execute(select(InboundSeen.handled_at))).scalars().all()
    assert len(rows) == 2 and all(rows)


async def test_a_backlog_is_answered_a_few_at_once_then_spaced(engine: AsyncEngine) -> None:
    """Five updates of one chat waiting (a worker took over a dead one's chats): two at once,
    then one a `backlog_spacing` — ten answers at once would meet Telegram's per-chat limit.
    Another chat is not held up meanwhile."""
    db = Database(engine)
    times: dict[str, list[float]] = defaultdict(list)

    async def handle(payload: str) -> None:
        times[json.loads(payload)["chat"]].append(asyncio.get_running_loop().time())

    turns = ChatTurns(db, handle, holder="a", backlog_spacing=0.2)
    async with db.begin() as session:  # queued by a worker that died before handling them
        for seq in range(1, 6):
            await inbound.queue(
                session, *update("telegram:5", seq)[:2], chat="telegram:5", seq=seq,
                payload=update("telegram:5", seq)[4], now=datetime.now(UTC),
            )  # fmt: skip
    turns.kick("telegram:5")
    assert await turns.take_in(*update("telegram:6", 99))
    await _until(lambda: len(times["telegram:5"]) == 5)
    await turns.stop()
    five = times["telegram:5"]
    gaps = [b - a for a, b in itertools.pairwise(five)]
    assert gaps[0] < 0.1 and all(g >= 0.19 for g in gaps[1:]), gaps
    assert times["telegram:6"][0] < five[2]  # the other chat went first


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
    """Two workers, five messages a half second between them; announcements take at most four
    of a window, replies the rest, and a reply that finds the window full is booked for the
    first free moment — ahead of any announcement."""
    db = Database(engine)
    one, two = SharedWindow(db, 5, 0.5), SharedWindow(db, 5, 0.5)
    assert [await w.take(bulk=True) for w in (one, two, one, two)] == [NOW] * 4
    refused = await one.take(bulk=True)  # the fifth is left to replies
    assert not refused.taken and 0 < refused.wait <= 0.5 and not refused.chat_busy
    assert await two.take(bulk=False) == NOW  # a reply takes it
    booked = await one.take(bulk=False)  # the window is full: booked when the first frees
    assert booked.taken and 0.4 < booked.wait <= 0.5
    again = await two.take(bulk=False)  # and the next after it
    assert again.taken and booked.wait < again.wait <= 0.5
    assert await one.used() == 7
    late = await two.take(bulk=True)  # not before the replies booked ahead of it
    assert not late.taken and late.wait >= again.wait - 0.05
    await asyncio.sleep(0.6)
    assert await two.take(bulk=True) == NOW
    # Twenty replies at once from both workers, on a fresh window: five now, the others
    # booked so that no half second ever holds more than five.
    await asyncio.sleep(0.55)
    answers = await asyncio.gather(*(w.take(bulk=False) for w in [one, two] * 10))
    assert all(slot.taken for slot in answers)
    assert sorted(slot.wait for slot in answers)[:5] == [0.0] * 5
    async with db() as session:
        times = sorted((await session.scalars(select(PaceSlot.at))).all())[-20:]
    assert all(times[i + 5] - times[i] >= 0.5 - 1e-6 for i in range(15)), times
    assert times[-1] - times[0] < 1.6  # and no later than that


@pytest.mark.databases("postgresql")
async def test_replies_fill_what_announcements_leave(engine: AsyncEngine) -> None:
    """Announcements count only their own kind against their share: with three replies in a
    window of five, announcements still get two; with none, four; never a sixth in all."""
    db = Database(engine)
    window = SharedWindow(db, 5, 0.5)
    assert [await window.take(bulk=False) for _ in range(3)] == [NOW] * 3
    assert [await window.take(bulk=True) for _ in range(2)] == [NOW] * 2
    assert not (await window.take(bulk=True)).taken
    assert (await window.take(bulk=False)).wait > 0.3
    await asyncio.sleep(1.05)
    assert [await window.take(bulk=True) for _ in range(4)] == [NOW] * 4
    assert not (await window.take(bulk=True)).taken
    assert await window.take(bulk=False) == NOW


@pytest.mark.databases("postgresql")
async def test_an_announcement_waits_for_another_workers_message_to_its_chat(
    engine: AsyncEngine,
) -> None:
    """Telegram counts a chat's messages whichever worker sent them: an announcement to a chat
    another worker just answered waits out the per-chat interval; other chats do not."""
    db = Database(engine)
    replier, announcer = SharedWindow(db, 30, 1.0, 0.4), SharedWindow(db, 30, 1.0, 0.4)
    assert await replier.take(bulk=False, chat=7) == NOW
    refused = await announcer.take(bulk=True, chat=7)
    assert refused.chat_busy and not refused.taken and 0.3 < refused.wait <= 0.4
    assert await announcer.take(bulk=True, chat=8) == NOW
    assert await replier.take(bulk=False, chat=7) == NOW  # replies never wait for it
    await asyncio.sleep(0.45)
    assert await announcer.take(bulk=True, chat=7) == NOW
    # Through a pacer: the announcement leaves once the chat's interval has passed.
    pacer = Pacer(30, per_chat_interval=0.4)
    pacer.shared = announcer
    assert await replier.take(bulk=False, chat=9) == NOW
    started = asyncio.get_running_loop().time()
    await pacer.bulk(9)
    assert asyncio.get_running_loop().time() - started >= 0.3


@pytest.mark.databases("postgresql")
async def test_paced_messages_wait_for_the_shared_window(engine: AsyncEngine) -> None:
    """Each worker's pacer asks the shared window before a message leaves: two pacers of 30
    a second, sending together, stay at 30 a second between them."""
    db = Database(engine)
    pacers = [Pacer(30), Pacer(30)]
    for pacer in pacers:
        pacer.shared = SharedWindow(db, pacer.allowed, pacer.window, pacer.per_chat_interval)
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
        assert await window.take(bulk=False) == NOW
        assert window.failures == 1
    finally:
        await unreachable.dispose()
