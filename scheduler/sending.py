"""Messages nobody is waiting for (reminders, digests), sent side by side and recorded in
batches.

On a real network a send takes a round trip (100–200 ms from Indonesia to Telegram), so one
after another a minute's 2,000 reminders would take minutes; side by side they go out as fast
as the pacer lets them (`Services.send_unprompted`: after every waiting reply, within the
channel's limits). Each item was claimed, and committed, before it is handed here, so a crash
can lose a reminder but never send it twice; each outcome is written back in a short write
transaction with others that finished about the same time, instead of one transaction each."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import Outcome
from core.services import Services

log = logging.getLogger(__name__)

T = TypeVar("T")

# Sends in flight at once: 30 messages a second at a 200 ms round trip need 6; more cover
# slow answers without holding many claimed-but-unsent items.
CONCURRENCY = 16
# Outcomes written in one transaction.
RECORD_EVERY = 25

Record = Callable[[AsyncSession, Sequence[tuple[T, Outcome]]], Awaitable[None]]


class Sending(Generic[T]):
    """Send items with `send` (at most `concurrency` at once) and write their outcomes with
    `record`, in batches; `add` waits while all the sending slots are taken, so a producer
    claims no faster than the messages leave."""

    def __init__(
        self,
        services: Services,
        send: Callable[[T], Awaitable[Outcome]],
        record: Record[T],
        *,
        concurrency: int = CONCURRENCY,
        record_every: int = RECORD_EVERY,
    ) -> None:
        self.services = services
        self.send = send
        self.record = record
        self.record_every = record_every
        self.outcomes: Counter[Outcome] = Counter()
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished: list[tuple[T, Outcome]] = []

    async def add(self, item: T) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._one(item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _one(self, item: T) -> None:
        try:
            outcome = await self.send(item)
        except Exception:  # one broken message must not stop the others
            log.exception("sending failed")
            outcome = "failed"
        finally:
            self._slots.release()
        self.outcomes[outcome] += 1
        self._finished.append((item, outcome))
        if len(self._finished) >= self.record_every:
            await self._write()

    async def _write(self) -> None:
        batch, self._finished = self._finished, []
        if not batch:
            return
        try:
            async with self.services.db.begin() as session:
                await self.record(session, batch)
        except Exception:  # the rows stay "sending": not sent again, counted as unknown
            log.exception("could not record %d outcomes", len(batch))

    async def finish(self) -> Counter[Outcome]:
        """Wait for every send, write the last outcomes; the outcomes counted."""
        try:
            while self._tasks:  # wait, not gather: a cancelled tick leaves the sends to finish
                await asyncio.wait(set(self._tasks))
        finally:
            await self._write()
        return self.outcomes


async def send_all(
    services: Services,
    items: Sequence[T],
    send: Callable[[T], Awaitable[Outcome]],
    record: Record[T],
) -> Counter[Outcome]:
    """Send every item side by side and record the outcomes (`Sending`); the outcomes counted.
    A tick cancelled halfway still writes what finished."""
    sending = Sending(services, send, record)
    try:
        for item in items:
            await sending.add(item)
    finally:
        outcomes = await sending.finish()
    return outcomes


@dataclass
class Outcomes:
    """What a tick of one-shot messages (digests) did: sent, skipped late, failed, unreachable,
    not sent for want of a template (WhatsApp's window closed)."""

    sent: int = 0
    late: int = 0
    failed: int = 0
    unreachable: int = 0
    needs_template: int = 0

    def count(self, outcomes: Counter[Outcome], what: str, busy: bool) -> None:
        """Add the sends' outcomes; log the tick when it had anything to do."""
        self.sent += outcomes["sent"]
        self.failed += outcomes["failed"]
        self.unreachable += outcomes["unreachable"]
        self.needs_template += outcomes["needs_template"]
        if busy or self.late:
            log.info(
                "%s: %d sent, %d late, %d failed, %d unreachable, %d need a template",
                what, self.sent, self.late, self.failed, self.unreachable, self.needs_template,
            )  # fmt: skip
