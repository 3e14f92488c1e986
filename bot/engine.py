"""The engine for features written against the channel contract, on any channel: an inbound
event in, the feature run, its answers sent on the event's channel after it has returned.

The Telegram adapter (`bot.channels.telegram_inbound`) does the same from PTB's updates; this
one takes the contract's events directly, e.g. from the in-memory channel the feature tests
use (no HTTP, nothing to wait for: `handle` returns once everything is sent)."""

from __future__ import annotations

from collections.abc import Mapping

import handlers
from core.channel import Channel, Command, Inbound, SendResult
from core.services import Services
from handlers.turn import Feature, Turn


def contract_commands() -> dict[str, Feature]:
    """Every command (both languages' names) whose feature is written against the contract."""
    return {
        name: feature
        for names, feature in handlers.COMMANDS
        if feature in handlers.FEATURES
        for name in names
    }


class Engine:
    def __init__(self, services: Services, commands: Mapping[str, Feature] | None = None) -> None:
        self.services = services
        self.commands = dict(contract_commands() if commands is None else commands)

    async def handle(self, channel: Channel, event: Inbound) -> list[SendResult]:
        """Run the feature `event` asks for; the results of sending its answers, in order."""
        turn = Turn(self.services, event.sender)
        feature = self.commands.get(event.name) if isinstance(event, Command) else None
        if isinstance(event, Command) and feature is None:
            turn.say(turn.text("fallback.command", command=f"/{event.name}"[:64]))
        elif feature is None:
            turn.say(turn.text("fallback.text"))
        else:
            await feature(turn, event.args if isinstance(event, Command) else ())
        return [await channel.send(event.sender.address, answer) for answer in turn.answers]
