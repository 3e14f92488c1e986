"""PTB's updates through `bot.chats.ChatOrder`: chats side by side, each in order.

PTB starts a task per update in arrival order; each goes to its chat's turn at once. PTB's own
semaphore, which comes before the chat's turn, is set far above what a process sees
(`MAX_QUEUED`), so it never queues (queueing there could reorder a chat)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.chats import RUNNING, ChatOrder

MAX_QUEUED = 4096
HANDLED_KEPT = 1024


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
        self.order = ChatOrder(running)
        self.last_update_id = 0  # the newest update handed over
        # The latest updates handled, however they ended (a test waits for its own).
        self.handled_ids: deque[int] = deque(maxlen=HANDLED_KEPT)
        # Told of each update handled and how long it took (`aksi serve`'s metrics).
        self.observe: Callable[[object, float], None] | None = None

    @property
    def busy_chats(self) -> int:
        return self.order.busy_chats

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if update_id is not None:
            self.last_update_id = max(self.last_update_id, update_id)
        started = time.perf_counter()
        try:
            await self.order.run(chat_key(update), coroutine)
        finally:
            if update_id is not None:
                self.handled_ids.append(update_id)
            if self.observe is not None:
                self.observe(update, time.perf_counter() - started)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
