"""What the engine's features and jobs reach, whatever the channel: the settings they read, the
database, the catalogs, the clock, the drawing process, the channels to send on and the pace
they allow."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from core import held
from core.channel import Address, Channel, Outbound, RetryLater, SendResult, Unreachable
from core.contacts import Arrivals, find_person
from core.i18n import Catalogs
from core.pacing import Pacer, chat_key
from core.rendering import Renderer
from storage.db import Database
from storage.leadership import Leadership

UNPROMPTED_ATTEMPTS = 3


def utc_now() -> datetime:
    return datetime.now(UTC)


class EngineSettings(Protocol):
    """The settings features read (`bot.settings.Settings` has them, among others)."""

    @property
    def aksi_default_timezone(self) -> str: ...

    @property
    def aksi_default_language(self) -> str: ...

    @property
    def aksi_admin_ids(self) -> tuple[int, ...]: ...

    @property
    def aksi_reminder_catch_up_minutes(self) -> int: ...


@dataclass(frozen=True)
class Pricing:
    """What a channel charges a message (WhatsApp: by Meta's category), to estimate what an
    announcement costs before it is sent; and which kinds of message it has a template for,
    outside the service window."""

    in_window: float  # a free message inside the service window ("service")
    template: float  # a template outside it ("utility")
    currency: str
    templated: frozenset[str]  # kinds (`core.channel.UNPROMPTED`) with a template configured


@dataclass
class Services:
    settings: EngineSettings
    engine: AsyncEngine
    db: Database
    i18n: Catalogs
    clock: Callable[[], datetime] = field(default=utc_now)
    # Set when an announcement is confirmed, so the sender (scheduler.broadcast) starts at once.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Who may have an open confirmation (handlers.confirm): a hint in front of the table, so
    # that the check before every update costs nothing for everyone else. None: not read yet.
    asking: set[int] | None = None
    # Who wrote lately: each address's person, and when their contact was last written.
    people: Arrivals = field(default_factory=Arrivals)
    # Draws pictures away from the event loop (worker processes in `aksi run`).
    renderer: Renderer = field(default_factory=Renderer)
    # The channels messages go out on, by name (`core.channel`); set when the bot is built.
    channels: dict[str, Channel] = field(default_factory=dict)
    # A channel's side for messages nobody waits for, where it has one (Telegram: a connection
    # pool of its own, not paced by itself: `send_unprompted` takes the pacer's bulk slots).
    bulk_channels: dict[str, Channel] = field(default_factory=dict)
    # Paces everything sent: replies first, then announcements, reminders and digests.
    pacer: Pacer = field(default_factory=lambda: Pacer(0))
    # Channels that pace their own unprompted sends (WhatsApp: its messages a second per
    # number and seconds between bulk messages to one person), once they know a message goes
    # at all (a closed window without a template takes no slot): sent at once, never on
    # `pacer`'s slots.
    self_paced: set[str] = field(default_factory=set)
    # Give a person (at an address) the facilitators' command menu, or take it back; set by a
    # channel with command menus (Telegram's wiring).
    staff_menu: Callable[[Address, bool], Awaitable[None]] | None = None
    # What each channel charges a message, where it charges (WhatsApp's wiring sets it).
    pricing: dict[str, Pricing] = field(default_factory=dict)
    # Whether this worker sends what nobody waits for (announcements, reminders, digests):
    # one of several on PostgreSQL (`storage.leadership`); None: the only one, it does.
    leadership: Leadership | None = None
    # Each repeating job's finished ticks, by name (`bot.jobs`): for health and for tests that
    # must know a tick has passed.
    ticks: Counter[str] = field(default_factory=Counter)

    def leads(self) -> bool:
        return self.leadership is None or self.leadership.leading

    async def send(self, where: Address, message: Outbound) -> SendResult:
        """Send through the channel of `where` (a channel this process does not serve, such as
        the demo's made-up people's, reaches nobody)."""
        channel = self.channels.get(where.channel)
        if channel is None:
            return Unreachable(f"no channel {where.channel!r} here")
        return await self._kept(where, message, await channel.send(where, message))

    async def _kept(self, where: Address, message: Outbound, result: SendResult) -> SendResult:
        """`result`, after keeping `message` for its reader's next message when a closed window
        kept it from them whole (`core.held`)."""
        if held.worth_keeping(message, result):
            async with self.db.begin() as session:
                person_id = await find_person(session, where)
                if person_id is not None:
                    await held.keep(session, person_id, message, self.clock())
        return result

    async def send_unprompted(self, where: Address, message: Outbound) -> SendResult:
        """A message nobody is waiting for (a reminder, a digest): it leaves at the pacer's bulk
        slot (after every waiting reply, within the chat's own limit) on the channel's bulk
        side; a wait the channel asks of everyone (Telegram's 429) pauses every send and the
        message is tried again, up to UNPROMPTED_ATTEMPTS times. Without a kind of its own it
        is a NOTICE (outside WhatsApp's window, that kind's template)."""
        message = message.unasked()
        own = where.channel in self.self_paced
        channel = (self.channels if own else self.bulk_channels).get(where.channel)
        if channel is None:  # no bulk side (the in-memory one): nothing to pace
            return await self.send(where, message)
        result: SendResult = Unreachable("not tried")
        for _ in range(UNPROMPTED_ATTEMPTS):
            if not own:
                await self.pacer.bulk(chat_key(where))
            result = await channel.send(where, message)
            if not (isinstance(result, RetryLater) and result.pause_all):
                return await self._kept(where, message, result)
            if not own:  # a channel pacing itself has paused itself
                self.pacer.pause(result.seconds + 0.1)
        return result


class HasServices(Protocol):
    """Anything that carries the engine's services: a feature's turn, or a job's context."""

    @property
    def services(self) -> Services: ...
