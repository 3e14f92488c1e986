"""The Telegram application's error handler: log the error, and tell the person something went
wrong rather than staying silent (`handlers.fallback.sorry`, as the engine does)."""

from __future__ import annotations

import logging

from telegram import Update

from bot.channels.telegram_inbound import inbound_of, sender_of
from bot.context import AksiContext
from handlers.fallback import sorry
from handlers.turn import Turn

log = logging.getLogger("handlers.fallback")


async def on_error(update: object, context: AksiContext) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    if update.effective_chat is None or update.effective_user is None:
        return
    try:
        await sorry(Turn(context.services, sender_of(update), inbound_of(update)))
    except Exception:  # the error may be the network itself
        log.warning("could not tell the user about the error", exc_info=True)
