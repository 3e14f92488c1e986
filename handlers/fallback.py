"""Everything no other handler took: a short helpful answer pointing to /bantuan."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import AksiContext
from core.announcements import open_draft
from core.participants import find_participant, language_for
from handlers.common import answer_button, identify, plain, reply, text

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: AksiContext) -> None:
    """An unknown /command: say so and point to /bantuan."""
    message = update.effective_message
    command = (message.text or "").split()[0].split("@")[0][:40] if message else ""
    async with context.services.db() as session:
        reader = await identify(session, update, context)
    key = "fallback.command" if reader.participant else "join.ask_code"
    await reply(update, context, text(context, reader.lang, key, command=command))


async def other_message(update: Update, context: AksiContext) -> None:
    """Stickers, photos, voice notes and the like."""
    async with context.services.db() as session:
        reader = await identify(session, update, context)
        draft = await open_draft(session, reader.person.user_id)
    if draft is not None and draft.state == "compose":  # a facilitator writing an announcement
        await reply(update, context, text(context, draft.author_language, "announce.text_only"))
        return
    key = "fallback.media" if reader.participant else "join.ask_code"
    await reply(update, context, text(context, reader.lang, key))


async def unknown_button(update: Update, context: AksiContext) -> None:
    """A button whose data no handler knows: forged, or from an old version of the bot."""
    query = update.callback_query
    assert query is not None
    async with context.services.db() as session:
        reader = await identify(session, update, context)
    await answer_button(update, plain(context, reader.lang, "button.stale"), alert=True)


async def on_error(update: object, context: AksiContext) -> None:
    """Log the error; tell the person something went wrong rather than staying silent."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    try:
        async with context.services.db() as session:
            participant = await find_participant(session, user.id) if user else None
    except Exception:  # the error may be the database itself
        participant = None
    lang = language_for(
        participant,
        user.language_code if user else None,
        context.services.settings.aksi_default_language,
    )
    try:
        if update.callback_query is not None:
            await answer_button(update, plain(context, lang, "error.generic"), alert=True)
        else:
            await reply(update, context, plain(context, lang, "error.generic"))
    except Exception:  # the error may be the network itself
        log.warning("could not tell the user about the error", exc_info=True)
