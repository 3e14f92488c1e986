"""Chats side by side, each in order: how updates are handed to the handlers.

PTB either handles one update at a time (then a heatmap for one person delays everybody's
/jadwal) or any number at once (then two presses of one person may overtake each other). This
processor does both right: updates of the same chat wait for each other and run in the order
Telegram gave them; updates of different chats run concurrently.

Order holds because PTB starts a task per update in arrival order and each task's first step
is to queue on its chat's lock (asyncio locks wake waiters first come, first served). PTB's own
semaphore, which comes before the chat lock, is set far above what a process sees
(`MAX_QUEUED`), so it never queues (queueing there could reorder a chat). How many are handled
at once is bounded after the chat lock (`RUNNING`): a burst of a thousand updates would
otherwise put a thousand requests in the HTTP client's queue, whose bookkeeping grows with its
length squared (bench/checkin.py: 0.47 of the echo bot's rate unbounded).

What this means for the database: on SQLite the write transactions of this process take turns
(`storage.db.Database`) while reads go on beside them; on PostgreSQL they run in parallel.
Work that takes the CPU for long (pictures) runs in another process (`bot.rendering`), so
the event loop stays free for the others.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_QUEUED = 4096
RUNNING = 32


def chat_key(update: object) -> int | None:
    """Whose updates must stay in order: the chat (the person, in a private chat); None for
    updates that belong to no chat (they need no order)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Different chats concurrently, each chat's updates one after another in order."""

    def __init__(self, running: int = RUNNING) -> None:
        super().__init__(MAX_QUEUED)
        self._running = asyncio.Semaphore(running)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # chat -> updates holding or waiting for its lock

    @property
    def busy_chats(self) -> int:
        """How many chats have an update being handled or waiting (for metrics and tests)."""
        return len(self._users)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            try:
                await lock.acquire()
            except asyncio.CancelledError:  # stopped while waiting its turn: never to run
                if inspect.iscoroutine(coroutine):
                    coroutine.close()
                raise
            try:
                async with self._running:
                    await coroutine
            finally:
                lock.release()
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody else queued: forget the chat
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
