"""The Telegram application's error handler: log the error, and tell the person something went
wrong rather than staying silent."""

from __future__ import annotations

import logging

from telegram import Update

from bot.channels.telegram import address
from bot.context import AksiContext
from core.channel import TELEGRAM, Outbound
from core.participants import find_participant, language_for

log = logging.getLogger("handlers.fallback")


async def on_error(update: object, context: AksiContext) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    services = context.services
    try:
        async with services.db() as session:
            participant = await find_participant(session, user.id) if user else None
    except Exception:  # the error may be the database itself
        participant = None
    lang = language_for(
        participant, user.language_code if user else None, services.settings.aksi_default_language
    )
    try:
        if update.callback_query is not None:
            notice = services.i18n.plain(lang, "error.generic")
            await update.callback_query.answer(notice, show_alert=True)
        else:
            where = address(update.effective_chat.id)
            await services.channels[TELEGRAM].send(
                where, Outbound(services.i18n.text(lang, "error.generic"))
            )
    except Exception:  # the error may be the network itself
        log.warning("could not tell the user about the error", exc_info=True)
