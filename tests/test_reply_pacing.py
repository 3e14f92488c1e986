"""Replies take the shared pacer's slots (`bot.pacing.PacedRateLimiter` over `core.pacing.Pacer`):
at a low `AKSI_MAX_MESSAGES_PER_SECOND` the bot's answers in a chat come a slot apart."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.pacing import SAFETY, Pacer
from bot.standin import BotApiStandIn
from tests.conftest import make_cohort
from tests.harness import Clock, RunningBot, settings_for, start_bot

RATE = 3.0  # a slot every 0.34 s: plain beside replies that otherwise go out in milliseconds
SLOT = 1 / (RATE * SAFETY)


@pytest.fixture
def consulted(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The chats the pacer gave an interactive slot to, in order."""
    chats: list[object] = []
    interactive = Pacer.interactive

    async def counted(pacer: Pacer, chat_id: object = None) -> None:
        chats.append(chat_id)
        await interactive(pacer, chat_id)

    monkeypatch.setattr(Pacer, "interactive", counted)
    return chats


@pytest.fixture
async def bot(
    standin: BotApiStandIn,
    db_url: str,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    consulted: list[object],
) -> AsyncIterator[Any]:
    """The Telegram bot (the stand-in) at `RATE` messages a second, cohort REVMEN1."""
    await make_cohort(db)
    settings = settings_for(standin, db_url, aksi_max_messages_per_second=RATE)
    running = await start_bot("telegram", standin, settings, clock)
    yield running
    await running.stop()


async def test_replies_wait_for_the_pacers_slots(bot: RunningBot, consulted: list[object]) -> None:
    budi = bot.person(1001, "Budi")
    await budi.send_and_wait("/start REVMEN1", 2)  # the greeting, then the name question
    await budi.press_and_wait("Lewati", 2)  # a toast, the next question
    # Three commands at once: their answers go out a slot apart, not as fast as they are ready.
    mark = bot.standin.mark()
    for command in ("/jadwal", "/materi", "/bantuan"):
        bot.standin.push_message(budi.user_id, command, first_name="Budi")
    await bot.standin.wait_for_outgoing(budi.user_id, 3, timeout=20, since=mark)
    await bot.standin.wait_quiet(budi.user_id, quiet=3 * SLOT, since=mark)
    sent = [
        r
        for r in bot.standin.outgoing_for(budi.user_id)
        if r.method in ("sendMessage", "editMessageText")
    ]
    assert len(sent) >= 6, [r.text for r in sent]
    gaps = [b.at - a.at for a, b in itertools.pairwise(sent)]
    # A slot apart each (a late wake-up may shorten one by a quarter slot).
    assert min(gaps) >= 0.7 * SLOT, gaps
    assert consulted.count(budi.user_id) >= len(sent)
