"""Several workers, one budget: Telegram's 30 messages a second count for the bot, whichever
process sends them.

What nobody waits for (announcements, reminders, digests) leaves from the leading worker only
(`storage.leadership`); replies leave from whichever worker handled the update. Each worker's
`Pacer` keeps its own even pace, and before a message leaves it also takes a slot in the window
all workers share (`SharedWindow.take`): one short transaction that counts the messages sent in
the last window (`pace_slots`, by the database server's clock, so the workers' clocks do not
matter) and records this one if there is room — or says how long until there is. The
transactions take turns on an advisory lock, so two workers never both take the last slot.
Announcements leave `LEFT_FOR_REPLIES` slots of every window to replies, so a reply never
waits behind a long announcement.

Why a shared window, not a share of the rate given to each worker: replies come unevenly, from
any worker; a share told every few tenths of a second was either too small for the next busy
second (a `429`, which pauses everything) or too large (an announcement well under 30 a
second; bench/broadcast.py --workers 3 measured 0.87 with it). The cost is a database round
trip per message, well under a millisecond next to Telegram's 100-200 ms.

A database that cannot be reached does not stop messages: the slot is taken locally only
(logged), as one worker alone would."""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import PaceSlot

log = logging.getLogger("aksi.pace")

LOCK_KEY = 0x41507365  # the window's advisory lock, one for every worker
LEFT_FOR_REPLIES = 1
KEPT_WINDOWS = 5  # rows older than this many windows go (at most once a second)


async def server_time(session: AsyncSession) -> float:
    return float(await session.scalar(text("SELECT extract(epoch FROM clock_timestamp())")) or 0)


class SharedWindow:
    """At most `allowed` messages in any `window` seconds, across every worker on the database
    (PostgreSQL: the advisory lock and the server's clock)."""

    def __init__(self, db: Database, allowed: int, window: float) -> None:
        self.db = db
        self.allowed = allowed
        self.window = window
        self._pruned_at = 0.0
        self.failures = 0

    async def take(self, *, bulk: bool) -> float:
        """Take a slot now (0.0), or the seconds to wait before asking again."""
        limit = self.allowed - (LEFT_FOR_REPLIES if bulk else 0)
        try:
            async with self.db.begin() as session:
                await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
                now = await server_time(session)
                recent = (
                    await session.scalars(
                        select(PaceSlot.at)
                        .where(PaceSlot.at > now - self.window)
                        .order_by(PaceSlot.at.desc())
                        .limit(limit)
                    )
                ).all()
                if len(recent) >= limit:
                    return max(0.001, recent[-1] + self.window - now)
                session.add(PaceSlot(at=now))
                if now - self._pruned_at > 1.0:
                    await session.execute(
                        delete(PaceSlot).where(PaceSlot.at < now - KEPT_WINDOWS * self.window)
                    )
                    self._pruned_at = now
                return 0.0
        except Exception as exc:
            self.failures += 1
            log.warning("could not take a slot in the shared window (%s)", exc.__class__.__name__)
            return 0.0

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
