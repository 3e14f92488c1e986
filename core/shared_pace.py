"""Several workers, one budget: Telegram's 30 messages a second count for the bot, whichever
process sends them.

What nobody waits for (announcements, reminders, digests) leaves from the leading worker only
(`storage.leadership`); replies leave from whichever worker handled the update. Each worker's
`Pacer` keeps its own even pace, and before a message leaves it also takes a slot in the window
all workers share (`SharedWindow.take`): one short transaction, taking turns with the others on
an advisory lock, reads the last window's slots (`pace_slots`, by the database server's clock,
so the workers' clocks do not matter) and records this message's.

* A reply always gets a slot: now if the window has room, otherwise the first moment it will —
  booked at once, so it counts for everyone from now on, and the reply leaves then. Slots are
  only ever added after the newest, so "at most `allowed` in any window" is one comparison:
  the new slot is at least a window after the `allowed`-th newest.
* An announcement takes a slot only now, only while no reply is booked ahead of it, and only
  while announcements hold fewer than `allowed - LEFT_FOR_REPLIES` of the window: a reply never
  waits behind a long announcement, and replies fill the rest. (Counting replies against the
  announcements' share too kept everything at 29 a window: 0.945 of 30 a second in
  bench/broadcast.py --workers 3; without the bookings, a reply on another worker raced the
  announcement for each freed slot and the commands' p95 rose from 45 to 274 ms.)
* An announcement to a chat that any worker messaged less than the per-chat interval ago waits
  (each worker knows only its own messages to a chat; Telegram counts them all).

Why a shared window, not a share of the rate given to each worker: replies come unevenly, from
any worker; a share told every few tenths of a second was either too small for the next busy
second (a `429`, which pauses everything) or too large (an announcement well under 30 a
second; bench/broadcast.py --workers 3 measured 0.87 with it). The cost is a database round
trip per message, well under a millisecond next to Telegram's 100-200 ms.

A database that cannot be reached does not stop messages: the slot is taken locally only
(logged), as one worker alone would."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Row, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.messaging import PaceSlot

log = logging.getLogger("aksi.pace")

LOCK_KEY = 0x41507365  # the window's advisory lock, one for every worker
LEFT_FOR_REPLIES = 1
KEPT_WINDOWS = 5  # rows older than this many windows go (at most once a second)


async def server_time(session: AsyncSession) -> float:
    return float(await session.scalar(text("SELECT extract(epoch FROM clock_timestamp())")) or 0)


class Slot(NamedTuple):
    """The shared window's answer: a slot `taken` (leave in `wait` seconds), or not (ask again
    in `wait` seconds; `chat_busy`: it is the chat that must wait)."""

    wait: float
    taken: bool
    chat_busy: bool = False


NOW = Slot(0.0, True)


class SharedWindow:
    """At most `allowed` messages in any `window` seconds, across every worker on the database
    (PostgreSQL: the advisory lock and the server's clock), and announcements at most one a
    `per_chat_interval` to a chat."""

    def __init__(
        self, db: Database, allowed: int, window: float, per_chat_interval: float = 0.0
    ) -> None:
        self.db = db
        self.allowed = allowed
        self.window = window
        # A chat's last message is looked for among the window's: the interval must fit in it.
        self.per_chat_interval = min(per_chat_interval, window)
        self._pruned_at = 0.0
        self.failures = 0

    async def take(self, *, bulk: bool, chat: int | None = None) -> Slot:
        """A slot for a reply (`bulk=False`: now or booked for later) or an announcement (now,
        or not yet)."""
        try:
            async with self.db.begin() as session:
                await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
                now = await server_time(session)
                # Newest first (bookings ahead of now included); all of them unless there are
                # `allowed` or more.
                recent = (
                    await session.execute(
                        select(PaceSlot.at, PaceSlot.bulk, PaceSlot.chat)
                        .where(PaceSlot.at > now - self.window)
                        .order_by(PaceSlot.at.desc())
                        .limit(self.allowed)
                    )
                ).all()
                at = now
                if recent:
                    at = max(at, recent[0].at)
                if len(recent) >= self.allowed:
                    at = max(at, recent[-1].at + self.window)
                if bulk:
                    refused = self._not_yet(recent, now, at, chat)
                    if refused is not None:
                        return refused
                session.add(PaceSlot(at=at, bulk=bulk, chat=chat))
                if now - self._pruned_at > 1.0:
                    await session.execute(
                        delete(PaceSlot).where(PaceSlot.at < now - KEPT_WINDOWS * self.window)
                    )
                    self._pruned_at = now
                return Slot(at - now, True)
        except Exception as exc:
            self.failures += 1
            log.warning("could not take a slot in the shared window (%s)", exc.__class__.__name__)
            return NOW

    def _not_yet(
        self,
        recent: Sequence[Row[float, bool, int | None]],
        now: float,
        at: float,
        chat: int | None,
    ) -> Slot | None:
        """Why an announcement may not leave now (`at`: the first free slot), if it may not."""
        if at > now:  # the window is full, or a reply is booked ahead
            return Slot(max(0.001, at - now), False)
        limit = self.allowed - LEFT_FOR_REPLIES
        announced = [slot.at for slot in recent if slot.bulk]
        if len(announced) >= limit:
            return Slot(max(0.001, announced[limit - 1] + self.window - now), False)
        if chat is not None and self.per_chat_interval > 0:
            last = max((slot.at for slot in recent if slot.chat == chat), default=None)
            if last is not None and last > now - self.per_chat_interval:
                return Slot(max(0.001, last + self.per_chat_interval - now), False, True)
        return None

    async def used(self) -> int:
        """Slots taken in the last window (for tests and metrics)."""
        async with self.db() as session:
            now = await server_time(session)
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(PaceSlot)
                    .where(PaceSlot.at > now - self.window)
                )
                or 0
            )
