"""`PacedRateLimiter` plugs the interactive side of the pacer (`core.pacing`) into
python-telegram-bot (instead of `AIORateLimiter`, which has no per-chat limit and no notion of
priority), and refuses any Bot API call made inside a write transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery import retry_seconds
from core.pacing import SAFETY, Pacer
from storage.db import in_write_transaction

__all__ = ["SAFETY", "PacedRateLimiter", "Pacer"]

log = logging.getLogger(__name__)

# Bot API calls that change or answer what is already there, rather than send a message.
UNMETERED = frozenset(
    {
        "answerCallbackQuery",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "deleteMessage",
        "sendChatAction",
    }
)


class PacedRateLimiter(BaseRateLimiter[int]):
    """python-telegram-bot's hook: every request to a chat waits for an interactive slot; a
    `429` pauses the pacer and is retried up to `max_retries` times."""

    def __init__(self, pacer: Pacer, max_retries: int = 3) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if in_write_transaction():  # see storage.db.after_commit
            raise RuntimeError(f"{endpoint}: a call to Telegram inside a write transaction")
        # Only messages take a slot: Telegram's limits count messages sent (its Bot FAQ); an
        # edit or a button's answer is the answer to the person's own press, and waiting a slot
        # for it only slowed presses down. They still wait out a pause (a 429 on any call
        # pauses everything, below).
        chat_id = None if endpoint in UNMETERED else data.get("chat_id")
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            if chat_id is not None:
                await self.pacer.interactive(chat_id)
            else:
                await self.pacer.unpaused()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                self.pacer.pause(seconds + 0.1)
                if attempt == retries:
                    raise
                log.info("%s: Telegram asked to wait %.1f s; retrying", endpoint, seconds)
        raise AssertionError("unreachable")
