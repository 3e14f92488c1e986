"""/bantuan (/help): what the bot does."""

from __future__ import annotations

from core.i18n import Html
from handlers.common import text
from handlers.menu import main_menu
from handlers.staff import is_staff, staff_of
from handlers.turn import HasServices, Turn


def help_lines(context: HasServices, lang: str) -> Html:
    """The list of what a participant can do, shared by the greeting and /bantuan."""
    return Html(text(context, lang, "help.features"))


async def show_help(turn: Turn) -> None:
    """/bantuan: the commands a participant can use, and for a member the main menu's buttons."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        staff = await staff_of(session, turn)
    key = "help.member" if reader.participant else "help.stranger"
    body = text(turn, reader.lang, key, features=help_lines(turn, reader.lang))
    if not turn.channel.capabilities.command_menu:  # WhatsApp: the words are the commands
        body += "\n\n" + text(turn, reader.lang, "help.words")
    if is_staff(staff):  # facilitators also see what they can do, and nobody else does
        body += "\n\n" + text(turn, staff.lang, "help.staff")
    member = reader.participant
    keyboard = await main_menu(turn, reader.lang, member) if member else None
    await turn.reply(body, keyboard)
