"""Which worker does the work of one: sending announcements, reminders and digests.

Several `aksi serve` processes on one PostgreSQL database answer participants side by side, but
the messages nobody is waiting for must leave from one place, at one pace: Telegram allows a
bot about 30 messages a second in all, whichever process sends them. So the workers elect a
leader with a PostgreSQL session advisory lock: the worker whose connection holds it leads; the
others try again every `every` seconds. PostgreSQL lets go of the lock the moment the leader's
connection ends — a worker killed with SIGKILL included — so another leads within `every`
seconds. A leader that cannot reach its connection any more steps down at once (the server may
already have given the lock to another).

Why a leader rather than a budget shared row by row: every bulk message would otherwise cost a
database round trip and a lock between workers to stay under 30 a second, and the pacer's
even pace (`core.pacing`) could not be kept across processes; with one sender the pace is
exact and the database only says who sends.

On SQLite there is one process (the README says so): it always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger("aksi.leader")

LOCK_KEY = 0x416B7369  # "Aksi": the advisory lock's number, the same in every worker
CHECK_EVERY = 2.0


class Leadership:
    """Whether this process leads (`leading`), and how many times it has become leader
    (`term`: a new term means whatever the previous leader had in hand is to be taken over)."""

    def __init__(self, engine: AsyncEngine, *, every: float = CHECK_EVERY) -> None:
        self.engine = engine
        self.every = every
        self.shared = engine.dialect.name == "postgresql"
        self.leading = not self.shared
        self.term = 1 if self.leading else 0
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Try once now (so a single worker leads from its first moment), then keep trying or
        checking in the background."""
        if not self.shared:
            return
        await self._round()
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            await self._round()

    async def _round(self) -> None:
        try:
            if self._connection is None:
                self._connection = await self.engine.connect()
                await self._connection.execution_options(isolation_level="AUTOCOMMIT")
            if self.leading:
                await self._connection.execute(text("SELECT 1"))
                return
            taken = await self._connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            )
            if taken:
                self.leading = True
                self.term += 1
                log.info("this worker now sends the announcements, reminders and digests")
        except Exception as exc:
            if self.leading:
                log.warning("lost the database connection that made this worker the leader")
            else:
                log.warning("could not ask who leads (%s); trying again", exc.__class__.__name__)
            self.leading = False
            await self._drop(broken=True)

    async def _drop(self, *, broken: bool = False) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            if broken:  # never back into the pool: the server may still hold its lock
                await connection.invalidate()
            await connection.close()

    async def stop(self) -> None:
        """Step down (another worker leads within its next try) and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if not self.shared:
            return
        if self.leading and self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY}
                )
        self.leading = False
        await self._drop()
