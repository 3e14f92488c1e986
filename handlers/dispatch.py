"""The engine's router: which feature an inbound event goes to, by the tables of `handlers`
(the same tables Telegram's routes are built from, `bot.routes`)."""

from __future__ import annotations

import handlers
from core.channel import Command, FileIn, Inbound, PollAnswer, Press, Text
from handlers.turn import Feature, Turn


def commands() -> dict[str, Feature]:
    """Every command by each of its names (Indonesian and English)."""
    return {
        name: feature
        for names, feature in handlers.COMMANDS + handlers.STAFF_COMMANDS
        for name in names
    }


_COMMANDS = commands()


def route(inbound: Inbound | None) -> Feature:
    """The feature that answers `inbound`; the catch-alls for what no table takes."""
    if isinstance(inbound, Command):
        return _COMMANDS.get(inbound.name.lower(), handlers.UNKNOWN_COMMAND)
    if isinstance(inbound, Press):
        for prefix, feature in handlers.BUTTONS:
            if inbound.data.startswith(f"{prefix}:"):
                return feature
        return handlers.UNKNOWN_BUTTON
    if isinstance(inbound, Text):
        return handlers.TYPED_TEXT
    if isinstance(inbound, FileIn):
        return handlers.FILE
    if isinstance(inbound, PollAnswer):
        return handlers.POLL_ANSWER
    return handlers.OTHER


async def dispatch(turn: Turn) -> None:
    """Run what `turn`'s event asks for, after voiding questions it does not answer."""
    await handlers.BEFORE_EVERYTHING(turn)
    await route(turn.inbound)(turn)
