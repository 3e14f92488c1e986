"""PTB's updates through `bot.chats.ChatOrder`: chats side by side, each in order.

PTB starts a task per update in arrival order; each goes to its chat's turn at once. PTB's own
semaphore, which comes before the chat's turn, is set far above what a process sees
(`MAX_QUEUED`), so it never queues (queueing there could reorder a chat)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.chats import RUNNING, ChatOrder

MAX_QUEUED = 4096


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

    @property
    def busy_chats(self) -> int:
        return self.order.busy_chats

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await self.order.run(chat_key(update), coroutine)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
