"""The stand-in as a real network looks: a round trip with jitter, Telegram's limits in either
window shape with the wait it asks for, and calls carried out but never answered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import RetryAfter, TimedOut

from bot.channels.telegram_request import AiohttpRequest
from bot.delivery import retry_seconds
from bot.standin import BotApiStandIn
from bot.standin.records import Network


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(
        standin.token,
        base_url=standin.base_url,
        request=AiohttpRequest(40, read_timeout=1.0),
        get_updates_request=AiohttpRequest(1),
    ) as client:
        yield client


async def round_trip(bot: Bot, chat_id: int = 1001) -> float:
    began = time.perf_counter()
    await bot.send_message(chat_id, "halo")
    return time.perf_counter() - began


async def test_a_round_trip_takes_the_set_time_give_or_take_the_jitter(
    bot: Bot, standin: BotApiStandIn
) -> None:
    loopback = min([await round_trip(bot) for _ in range(5)])
    assert loopback < 0.05
    standin.network(rtt_ms=120, jitter_ms=40, seed=7)
    trips = [await round_trip(bot) for _ in range(12)]
    assert all(0.08 <= t < 0.16 + 0.05 for t in trips), trips
    assert max(trips) - min(trips) > 0.01  # it varies
    assert "round trip 120 ± 40 ms" in standin.network_settings
    standin.network(0)
    assert await round_trip(bot) < 0.05
    assert standin.network_settings.startswith("loopback")


async def test_calls_sent_in_order_may_arrive_out_of_order(
    bot: Bot, standin: BotApiStandIn
) -> None:
    standin.network(rtt_ms=200, jitter_ms=200, seed=3)

    async def send(i: int) -> None:
        await asyncio.sleep(i * 0.005)  # sent 5 ms apart, in order
        await bot.send_message(1001, str(i))

    await asyncio.gather(*(send(i) for i in range(20)))
    arrived = [int(o.text or "") for o in standin.outgoing_for(1001)]
    assert sorted(arrived) == list(range(20))
    assert arrived != list(range(20))


def test_a_network_needs_sensible_figures() -> None:
    with pytest.raises(ValueError, match="jitter"):
        Network(rtt=0.1, jitter=0.2)
    with pytest.raises(ValueError, match="jitter"):
        Network(rtt=-0.1)


async def test_the_sliding_window_counts_any_second(bot: Bot, standin: BotApiStandIn) -> None:
    standin.limit_rate(overall_per_second=5, per_chat_per_second=100, per_chat_burst=100)
    for i in range(5):
        await bot.send_message(1001 + i, "ok")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(1010, "one too many")
    assert retry_seconds(raised.value) == 1  # until a slot frees: under a second, said as 1
    assert standin.too_many_requests == 1
    assert standin.rate_limited == [("overall", 1010)]
    await asyncio.sleep(1.0)
    await bot.send_message(1010, "room again")


async def test_a_fixed_window_starts_afresh_each_clock_second(
    bot: Bot, standin: BotApiStandIn
) -> None:
    standin.limit_rate(5, 100, 100, window="fixed")
    # Start just after a clock second begins, so that all six land in the same one.
    await asyncio.sleep(1.0 - time.monotonic() % 1.0 + 0.01)
    for i in range(5):
        await bot.send_message(1001 + i, "ok")
    with pytest.raises(RetryAfter):
        await bot.send_message(1010, "one too many")
    # The next clock second has room for five at once, which a sliding window would refuse
    # to the last ones sent less than a second after the first.
    await asyncio.sleep(1.0 - time.monotonic() % 1.0 + 0.01)
    for i in range(5):
        await bot.send_message(1020 + i, "ok")
    assert "fixed window" in standin.network_settings
    with pytest.raises(ValueError, match="window"):
        standin.limit_rate(window="round")


async def test_a_429_can_ask_for_several_seconds(bot: Bot, standin: BotApiStandIn) -> None:
    standin.limit_rate(overall_per_second=1, retry_after=5)
    await bot.send_message(1001, "ok")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(1002, "too soon")
    assert retry_seconds(raised.value) == 5
    assert "429 asks to wait 5 s" in standin.network_settings


async def test_a_stalled_call_is_delivered_but_never_answered(
    bot: Bot, standin: BotApiStandIn
) -> None:
    standin.stall("sendMessage", times=1, chat_id=1002)
    await bot.send_message(1001, "another chat: answered")
    began = time.perf_counter()
    with pytest.raises(TimedOut):
        await bot.send_message(1002, "delivered, unanswered", read_timeout=0.3)
    assert 0.25 < time.perf_counter() - began < 1.0
    assert [m.text for m in standin.messages(1002)] == ["delivered, unanswered"]
    assert standin.stalled == [("sendmessage", 1002)]
    await bot.send_message(1002, "answered again")  # `times` used up
    assert len(standin.messages(1002)) == 2
    with pytest.raises(ValueError, match="times"):
        standin.stall("sendMessage", times=0)
