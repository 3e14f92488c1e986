"""The engine on any channel: an inbound event in, routed to its feature by the tables of
`handlers` (`handlers.dispatch`), the feature run, its answers sent on the event's channel
after its transactions have committed.

Telegram's adapter (`bot.channels.telegram_inbound`) runs the same features from PTB's
updates; this one takes the contract's events directly, e.g. from the in-memory channel the
feature tests use (no HTTP, nothing to wait for: `handle` returns once everything is sent).
Events of one chat are handled one after another in the order `handle` was called, those of
different chats side by side (`bot.chats.ChatOrder`), as on Telegram."""

from __future__ import annotations

import logging

from bot.chats import ChatOrder
from core.channel import Channel, Inbound, SendResult
from core.services import Services
from handlers.dispatch import dispatch
from handlers.fallback import sorry
from handlers.turn import NotSent, Turn

log = logging.getLogger("aksi.engine")


class Engine:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.order = ChatOrder()

    async def handle(self, channel: Channel, event: Inbound) -> list[SendResult]:
        """Run what `event` asks for, in its chat's turn; the results of sending its answers,
        in order. A feature that fails is logged and the person told something went wrong, as
        on Telegram."""
        return await self.order.run(event.sender.address, self._handle(channel, event))

    async def _handle(self, channel: Channel, event: Inbound) -> list[SendResult]:
        self.services.channels.setdefault(channel.name, channel)
        turn = Turn(self.services, event.sender, event)
        try:
            await dispatch(turn)
        except NotSent as exc:
            log.info("an answer to %s was not sent: %s", event.sender.address, exc.result)
        except Exception:
            log.exception("error while handling %s", type(event).__name__)
            await sorry(turn)
        return turn.results
