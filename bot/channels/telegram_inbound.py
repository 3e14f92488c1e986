"""Telegram's side of the features written against the channel contract (`handlers.turn`):
an update becomes a `Sender` and a `Turn`, the feature runs, and its answers are sent through
the Telegram channel once it has returned (after its transactions have committed)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from bot.channels.telegram import address
from bot.context import AksiContext
from core.channel import TELEGRAM, Sender, Sent
from handlers.turn import Feature, Turn

log = logging.getLogger("aksi.telegram")

Callback = Callable[[Update, AksiContext], Coroutine[Any, Any, None]]


def sender_of(update: Update) -> Sender:
    """Who wrote: their private chat's address (the same number as their user id), name and
    app language."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        raise ValueError("update without a user or chat")
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    return Sender(address(chat.id), name, user.username or "", user.language_code)


def run_feature(feature: Feature) -> Callback:
    """The PTB callback that runs `feature` for a command (or a menu button standing for it)."""

    async def handle(update: Update, context: AksiContext) -> None:
        services = context.services
        turn = Turn(services, sender_of(update))
        await feature(turn, tuple(context.args or ()))
        channel = services.channels[TELEGRAM]
        for answer in turn.answers:
            result = await channel.send(turn.sender.address, answer)
            if not isinstance(result, Sent):
                log.warning("answer to %s not sent: %s", turn.sender.address, result)

    handle.__name__ = handle.__qualname__ = getattr(feature, "__name__", "feature")
    return handle
