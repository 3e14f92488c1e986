"""The pacer: slots apart, replies before announcements, one message a second per chat for
announcements, a 429 pausing everything, and the rate limiter retrying after it."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.pacing import SAFETY, PacedRateLimiter, Pacer
from core.pacing import CATCH_UP

RATE = 100.0  # fast, so the tests are quick; the rules are the same at 30


async def test_announcement_slots_keep_the_rate() -> None:
    pacer = Pacer(RATE)
    assert pacer.allowed == RATE and pacer.interval == pytest.approx(1 / (RATE * SAFETY))
    stamps = []
    for chat in range(60):
        await pacer.bulk(chat)
        stamps.append(time.monotonic())
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) >= pacer.interval * CATCH_UP - 0.001  # a late slot is made up for
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert RATE * SAFETY * 0.85 <= rate <= RATE * SAFETY * 1.01
    # No window ever holds more than the rate allows.
    assert all(sum(1 for t in stamps if s <= t < s + pacer.window) <= RATE for s in stamps)


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A clock that moves only when someone sleeps (by as long, plus `now[1]` once: a late
    wake-up), or when a test moves it: `now[0]`."""
    now = [0.0, 0.0]
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        now[0] += max(seconds, 0.0) + now[1]
        now[1] = 0.0
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return now


async def test_a_late_wake_up_is_made_up_for_within_the_window(fake_time: list[float]) -> None:
    """A busy event loop wakes a waiting message late: the next slots come sooner (never
    closer than CATCH_UP of a slot, never more than `allowed` in a window) until the pace is
    back, so
    a minute of sends is not stretched by every late wake-up."""
    now = fake_time
    pacer = Pacer(RATE, clock=lambda: now[0])
    stamps: list[float] = []
    for chat in range(300):
        if chat % 10 == 5:  # every tenth wake-up comes a slot and a half late
            now[1] = 1.5 * pacer.interval
        await pacer.bulk(chat)
        stamps.append(now[0])
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) == pytest.approx(pacer.interval * CATCH_UP)
    assert all(sum(1 for t in stamps if s <= t < s + pacer.window) <= RATE for s in stamps)
    # Made up for: 300 slots take about what the even pace takes, not 30 x 1.5 slots more.
    took = (stamps[-1] - stamps[0]) / pacer.interval
    assert 299 <= took <= 299 + 5, took


async def slots_taken(pacer: Pacer, chats: range, now: list[float]) -> list[float]:
    """When each chat's bulk slot came, on the fake clock."""
    stamps = []
    for chat in chats:
        await pacer.bulk(chat)
        stamps.append(now[0])
    return stamps


def assert_even_pace(pacer: Pacer, stamps: list[float]) -> None:
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert gaps == pytest.approx([pacer.interval] * len(gaps))


async def test_an_idle_pacer_builds_up_no_credit(fake_time: list[float]) -> None:
    """Nobody was waiting: after a quiet spell, messages leave at the even pace from the first,
    not in a burst making up for the slots nobody wanted."""
    now = fake_time
    pacer = Pacer(RATE, clock=lambda: now[0])
    await pacer.bulk(0)
    now[0] += 5.0
    assert_even_pace(pacer, await slots_taken(pacer, range(1, 21), now))


async def test_a_very_late_wake_up_starts_the_pace_afresh(fake_time: list[float]) -> None:
    """Lateness beyond a quarter of the window is not made up for: the slots after it keep the
    even pace from there (no quarter of a second at a faster pace)."""
    now = fake_time
    pacer = Pacer(RATE, clock=lambda: now[0])
    for chat in range(5):
        await pacer.bulk(chat)
    now[1] = pacer.window / 2  # the next wake-up comes after a long stall
    assert_even_pace(pacer, await slots_taken(pacer, range(5, 25), now))


async def test_room_for_jitter_keeps_any_second_of_arrivals_within_the_rate(
    fake_time: list[float],
) -> None:
    """Departures paced for ±`jitter`, each then arriving up to that early or late, can never
    put more than the rate into one window of arrivals (the worst case: those departing just
    before the window late, those just after it early); without the room, they can. On a
    clock that moves only when the pacer sleeps, so the slots are exact."""
    window, jitter = 1.0, 0.05  # the server's one-second window; ±50 ms
    now = fake_time

    async def departures(pacer: Pacer) -> list[float]:
        stamps = []
        for chat in range(3 * int(RATE)):
            await pacer.bulk(chat)
            stamps.append(now[0])
        return stamps

    def most_in_a_window(stamps: list[float]) -> int:
        # Whatever departs within a window widened by the jitter at both ends may arrive in it.
        return max(sum(1 for t in stamps if s <= t < s + window + 2 * jitter) for s in stamps)

    roomy = Pacer(RATE, clock=lambda: now[0], jitter=jitter)
    assert roomy.per_chat_interval == pytest.approx(1.0 + 2 * jitter)
    assert most_in_a_window(await departures(roomy)) <= RATE
    assert most_in_a_window(await departures(Pacer(RATE, clock=lambda: now[0]))) > RATE


async def test_a_reply_goes_before_a_waiting_announcement() -> None:
    pacer = Pacer(10.0)  # 100 ms slots make the order plain
    order: list[str] = []

    async def announcement() -> None:
        for chat in range(5):
            await pacer.bulk(chat)
            order.append(f"bulk{chat}")

    task = asyncio.create_task(announcement())
    await asyncio.sleep(0.15)  # two announcement messages out, the third waiting for its slot
    started = time.monotonic()
    await pacer.interactive(999)
    waited = time.monotonic() - started
    order.append("reply")
    await task
    assert waited < 0.12  # at most one slot
    assert order.index("reply") <= 3
    assert order[-1] == "bulk4"


async def test_an_announcement_waits_a_second_after_a_reply_to_the_same_chat() -> None:
    pacer = Pacer(RATE, per_chat_interval=0.3)
    await pacer.interactive(42)
    assert not pacer.chat_ready(42)
    assert pacer.chat_ready(43)
    started = time.monotonic()
    await pacer.bulk(42)
    assert time.monotonic() - started >= 0.28


async def test_a_pause_holds_everything() -> None:
    pacer = Pacer(RATE)
    pacer.pause(0.25)
    started = time.monotonic()
    await pacer.interactive(1)
    assert time.monotonic() - started >= 0.24
    pacer.pause(0.2)
    started = time.monotonic()
    await pacer.bulk(2)
    assert time.monotonic() - started >= 0.19


async def test_off_when_the_rate_is_zero() -> None:
    pacer = Pacer(0)
    started = time.monotonic()
    for chat in range(200):
        await pacer.bulk(chat)
        await pacer.interactive(chat + 1000)
    assert time.monotonic() - started < 0.5


@pytest.mark.timeout(20)
async def test_the_limiter_retries_after_a_429_and_pauses_the_pacer() -> None:
    pacer = Pacer(RATE)
    limiter = PacedRateLimiter(pacer, max_retries=2)
    calls: list[float] = []

    async def send(**_: Any) -> dict[str, Any]:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RetryAfter(1)
        return {"ok": True}

    result = await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert result == {"ok": True}
    assert len(calls) == 2 and calls[1] - calls[0] >= 1.0

    # An edit takes no slot, but its retry after a 429 still waits the pause out.
    calls.clear()
    result = await limiter.process_request(
        send, (), {}, "editMessageText", {"chat_id": 5, "message_id": 1}, None
    )
    assert result == {"ok": True}
    assert len(calls) == 2 and calls[1] - calls[0] >= 1.0

    async def always(**_: Any) -> dict[str, Any]:
        raise RetryAfter(1)

    with pytest.raises(RetryAfter):
        await limiter.process_request(always, (), {}, "sendMessage", {"chat_id": 5}, 0)
