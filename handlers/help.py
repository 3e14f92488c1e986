"""/bantuan (/help): what the bot does."""

from __future__ import annotations

from telegram import Update

from bot.context import AksiContext
from core.i18n import Html
from handlers.common import identify, reply, text
from handlers.menu import main_menu
from handlers.staff import is_staff, staff_of


def help_lines(context: AksiContext, lang: str) -> Html:
    """The list of what a participant can do, shared by the greeting and /bantuan."""
    return Html(text(context, lang, "help.features"))


async def show_help(update: Update, context: AksiContext) -> None:
    """/bantuan: the commands a participant can use, and for a member the main menu's buttons."""
    async with context.services.db() as session:
        reader = await identify(session, update, context)
        staff = await staff_of(session, update, context)
    key = "help.member" if reader.participant else "help.stranger"
    body = text(context, reader.lang, key, features=help_lines(context, reader.lang))
    if is_staff(staff):  # facilitators also see what they can do, and nobody else does
        body += "\n\n" + text(context, staff.lang, "help.staff")
    member = reader.participant
    keyboard = await main_menu(context, reader.lang, member) if member else None
    await reply(update, context, body, keyboard)
