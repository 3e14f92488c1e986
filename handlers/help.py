"""/bantuan (/help): what the bot does."""

from __future__ import annotations

from telegram import Update

from bot.context import AksiContext
from bot.i18n import Html
from handlers.common import identify, reply, text


def help_lines(context: AksiContext, lang: str) -> Html:
    """The list of what a participant can do, shared by the greeting and /bantuan."""
    return Html(text(context, lang, "help.features"))


async def show_help(update: Update, context: AksiContext) -> None:
    """/bantuan: the commands a participant can use."""
    async with context.services.db() as session:
        reader = await identify(session, update, context)
    key = "help.member" if reader.participant else "help.stranger"
    await reply(
        update, context, text(context, reader.lang, key, features=help_lines(context, reader.lang))
    )
