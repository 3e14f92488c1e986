"""Chats side by side, each in order: how inbound events are handed to the features, on every
channel.

Handling one event at a time would let a heatmap for one person delay everybody's /jadwal;
handling any number at once would let two presses of one person overtake each other. `ChatOrder`
does both right: events of the same chat wait for each other and run in the order they came;
events of different chats run concurrently. Telegram's adapter puts PTB's updates through it
(`bot.channels.telegram_order`); the engine (`bot.engine`) puts every other channel's events
through it, keyed by the sender's address.

Order holds because each event's first step is to queue on its chat's lock (asyncio locks wake
waiters first come, first served). How many are handled at once is bounded after the chat lock
(`RUNNING`): a burst of a thousand updates would otherwise put a thousand requests in the HTTP
client's queue, whose bookkeeping grows with its length squared (bench/checkin.py: 0.47 of the
echo bot's rate unbounded). The bound is as many as the replies' connections
(`bot.app.REPLY_CONNECTIONS`): an event holds its place while its replies cross Telegram's
round trip (two of 150 ms for a button press), so 32 places held the bot to about 90 events a
second whatever its CPU could do (bench/poll.py, 300 participants: 36 answers/s with 32 places
and 12 connections, 90 with 128 of each; then the CPU is the limit).

What this means for the database: on SQLite the write transactions of this process take turns
(`storage.db.Database`) while reads go on beside them; on PostgreSQL they run in parallel.
Work that takes the CPU for long (pictures) runs in another process (`core.rendering`), so
the event loop stays free for the others.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Hashable
from typing import TypeVar

RUNNING = 128
T = TypeVar("T")


class ChatOrder:
    """Different chats concurrently, each chat's events one after another in arrival order."""

    def __init__(self, running: int = RUNNING) -> None:
        self._running = asyncio.Semaphore(running)
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}  # chat -> events holding or waiting for its lock
        self.handling = 0  # events given to `run` and not yet finished (waiting or running)
        self.handled = 0  # events finished, however they ended

    @property
    def busy_chats(self) -> int:
        """How many chats have an event being handled or waiting (for metrics and tests)."""
        return len(self._users)

    @property
    def idle(self) -> bool:
        """No event is being handled or waiting for its turn."""
        return not self.handling

    async def run(self, key: Hashable | None, work: Awaitable[T]) -> T:
        """Run `work` in its turn for chat `key` (None: an event of no chat, needing no order).
        Call it in arrival order: the turn is taken at the call's first step."""
        self.handling += 1
        try:
            return await self._run(key, work)
        finally:
            self.handling -= 1
            self.handled += 1

    async def _run(self, key: Hashable | None, work: Awaitable[T]) -> T:
        if key is None:
            async with self._running:
                return await work
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            try:
                await lock.acquire()
            except asyncio.CancelledError:  # stopped while waiting its turn: never to run
                if inspect.iscoroutine(work):
                    work.close()
                raise
            try:
                async with self._running:
                    return await work
            finally:
                lock.release()
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody else queued: forget the chat
                del self._users[key]
                del self._locks[key]
