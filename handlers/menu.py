"""/menu: the daily actions as buttons — check in, progress, schedule, materials, settings (and
writing the plan while there is none) — also under /start and /bantuan for a member. Each
button runs its command's own handler, so a press answers exactly as the command does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from core import buttons
from core.channel import Action, Rows, button_rows
from core.plans import load_plan
from handlers.common import plain, text
from handlers.turn import HasServices, Turn
from storage.models import Participant

Command = Callable[[Turn], Awaitable[None]]
# The action in a button's data → its label's catalog key. Which command each runs is given
# by handlers/__init__.py (COMMANDS_OF_MENU), where the commands are composed.
LABELS = {
    "plan": "mainmenu.plan",
    "checkin": "mainmenu.checkin",
    "progress": "mainmenu.progress",
    "schedule": "mainmenu.schedule",
    "materials": "mainmenu.materials",
    "settings": "mainmenu.settings",
}
_LAYOUT = [["checkin", "progress"], ["schedule", "materials"], ["settings"]]
_ARGS = {action: frozenset({""}) for action in LABELS}


def _button(context: HasServices, lang: str, action: str) -> Action:
    return Action(
        plain(context, lang, LABELS[action]),
        buttons.pack(buttons.MENU, action),
    )


async def main_menu(context: HasServices, lang: str, participant: Participant) -> Rows:
    """The menu's buttons; writing the plan comes first while the participant has none."""
    rows = [[_button(context, lang, action) for action in row] for row in _LAYOUT]
    async with context.services.db() as session:
        has_plan = await load_plan(session, participant.id) is not None
    if not has_plan:
        rows.insert(0, [_button(context, lang, "plan")])
    return button_rows(rows)


async def show_menu(turn: Turn) -> None:
    """/menu: the daily actions as buttons (someone who has not joined is asked for the code)."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
    if reader.participant is None:
        await turn.ask_for_code(reader.lang)
        return
    keyboard = await main_menu(turn, reader.lang, reader.participant)
    await turn.reply(text(turn, reader.lang, "mainmenu.title"), keyboard)


def menu_button(commands: Mapping[str, Command]) -> Command:
    """The handler of the menu's buttons, each running the command `commands` gives it."""

    async def pressed(turn: Turn) -> None:
        """A press on a menu button: answered, then its command runs as if typed."""
        button = buttons.unpack(turn.data, buttons.MENU, _ARGS)
        async with turn.services.db() as session:
            reader = await turn.identify(session)
        if reader.participant is None:
            await turn.ask_for_code(reader.lang)
            return
        if button is None:
            await turn.answer_button(plain(turn, reader.lang, "button.stale"), alert=True)
            return
        await turn.answer_button()
        await commands[button.action](turn)

    return pressed
