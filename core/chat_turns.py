"""Several workers, one conversation per chat: each chat's updates handled one at a time and in
order, whichever worker each update reached.

A reverse proxy spreads the webhook's posts over the workers, so two messages from one person
can reach two workers at once. Each worker queues what it takes in (`core.inbound.queue`: the
update, its chat and its order, recorded in the same step that drops a re-delivered copy), then
tries to take the chat's *turn* (`chat_turns`, a row with its holder and a lease). The worker
with the turn handles the chat's waiting updates oldest first, marking each handled, and lets go
of the turn when none is left; a worker that finds the turn taken leaves its update queued for
the holder. Letting go, the holder looks once more: an update queued by another worker just
before (that found the turn still taken) is not left behind.

A worker that dies with a turn leaves it to run out (`LEASE`, renewed every `LEASE / 3` while
its holder lives); every worker looks for chats with updates waiting and no turn running
(`SWEEP_EVERY`) and takes them over. An update a dead worker was handling is handled again —
the one duplicate a crash may cost.

A chat whose updates piled up (a worker took over a dead one's chats; a person who kept writing
while their worker was stuck) is answered `BACKLOG_BURST` at once, then one a
`BACKLOG_SPACING`: answering ten at once would meet the channel's limit for one chat (Telegram:
about one message a second, short bursts allowed), and its 429 pauses every chat. A person
writing and reading the answers never has a backlog, so is never slowed.

It knows no channel: the wiring gives it the function that handles one queued update."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from core import inbound
from storage.db import Database

log = logging.getLogger("aksi.turns")

LEASE = timedelta(seconds=15)
SWEEP_EVERY = 5.0
STRANDED_AFTER = timedelta(seconds=3)
BACKLOG_BURST = 2
BACKLOG_SPACING = 1.0


def wall_clock() -> datetime:
    """Turns are kept by the real time, whatever clock the features read (the workers'
    clocks must agree, as NTP keeps them)."""
    return datetime.now(UTC)


def worker_name() -> str:
    """This process among the workers: host, process id and a random part (never reused)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


Handle = Callable[[str], Awaitable[None]]


class ChatTurns:
    def __init__(
        self,
        db: Database,
        handle: Handle,
        *,
        holder: str | None = None,
        lease: timedelta = LEASE,
        sweep_every: float = SWEEP_EVERY,
        stranded_after: timedelta = STRANDED_AFTER,
        clock: Callable[[], datetime] = wall_clock,
        backlog_spacing: float = BACKLOG_SPACING,
    ) -> None:
        self.db = db
        self.handle = handle
        self.holder = holder or worker_name()
        self.lease = lease
        self.sweep_every = sweep_every
        self.stranded_after = stranded_after
        self.clock = clock
        self.backlog_spacing = backlog_spacing
        # Chats this worker is serving, each with "more came meanwhile" (look again at the end).
        self._serving: dict[str, bool] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._background: list[asyncio.Task[None]] = []

    async def take_in(self, channel: str, key: str, chat: str, seq: int, payload: str) -> bool:
        """Queue an update for its chat and see that it is handled; False when it had come
        before (dropped). When this worker is not serving the chat yet, the same transaction
        tries for the chat's turn and reads its queue (a transaction an update fewer on
        PostgreSQL: bench/webhook.py's pg_webhook_ups)."""
        if chat in self._serving:  # served here already: queued, and it looks again
            async with self.db.begin() as session:
                first = await inbound.queue(
                    session, channel, key, chat=chat, seq=seq, payload=payload, now=self.clock()
                )
            if first:
                self.kick(chat)
            return first
        self._serving[chat] = False  # this worker's, while it tries for the turn
        mine, queued = False, []
        try:
            async with self.db.begin() as session:
                now = self.clock()
                first = await inbound.queue(
                    session, channel, key, chat=chat, seq=seq, payload=payload, now=now
                )
                mine = first and await inbound.take_turn(
                    session, chat, self.holder, now, self.lease
                )
                queued = await inbound.waiting(session, chat) if mine else []
        finally:
            # Not taken: another worker's turn (it looks once more before letting go), or a
            # copy. An update of this chat queued meanwhile on this worker counted on this
            # try: it gets a try of its own.
            if not mine and self._serving.pop(chat, False):
                self.kick(chat)
        if mine:
            self._start(chat, queued)
        return first

    def kick(self, chat: str) -> None:
        """Serve `chat` (or, when this worker already is, look again before letting go)."""
        if chat in self._serving:
            self._serving[chat] = True
            return
        self._serving[chat] = False
        self._start(chat)

    def _start(self, chat: str, taken: list[inbound.Queued] | None = None) -> None:
        task = asyncio.create_task(self._serve(chat, taken), name=f"chat-turn {chat}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, chat: str, taken: list[inbound.Queued] | None = None) -> None:
        """Serve `chat` while its updates come; `taken`: its turn is this worker's already
        (`take_in`), and this is its queue as read then."""
        # Each step's reads share its write transaction (a round trip fewer each on
        # PostgreSQL: bench/webhook.py's pg_webhook_ups). Reading the queue after ending the
        # turn, in the same transaction, still sees an update another worker queued before:
        # that worker's try for the turn waits on the turn's row until this commits.
        try:
            while True:
                if taken is not None:  # the turn taken with the update: a "look again" set
                    mine, queued, taken = True, taken, None  # meanwhile stands
                else:
                    self._serving[chat] = False
                    async with self.db.begin() as session:
                        mine = await inbound.take_turn(
                            session, chat, self.holder, self.clock(), self.lease
                        )
                        queued = await inbound.waiting(session, chat) if mine else []
                if not mine:
                    if self._serving[chat]:
                        # An update queued here since, maybe after the holder's last look
                        # (its queueing committed after that look, while this try had found
                        # the turn taken): try again, which sees it or waits for the holder.
                        continue
                    return  # its holder handles what was queued (it looks before letting go)
                more = ended = False
                try:
                    ended = await self._handle_waiting(chat, queued)
                finally:
                    if not ended:  # nothing handled, or a failure on the way: let go now
                        async with self.db.begin() as session:
                            await inbound.end_turn(session, chat, self.holder)
                            more = bool(await inbound.waiting(session, chat, limit=1))
                if not more and not self._serving[chat]:
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not serve chat %s's updates; another look later", chat)
        finally:
            self._serving.pop(chat, None)

    async def _handle_waiting(self, chat: str, batch: list[inbound.Queued]) -> bool:
        """Handle `batch`, then what came meanwhile; past `BACKLOG_BURST` in a row, one a
        `backlog_spacing`. True when the turn was let go: the transaction marking the last
        update handled ends the turn and looks once more (any update queued before it commits
        is seen: another worker's try for the turn waits on the turn's row until then); what
        it finds is served under the turn taken again in that transaction."""
        in_a_row, ended = 0, False
        while batch:
            last = batch[-1]
            for update in batch:
                if in_a_row >= BACKLOG_BURST:
                    await asyncio.sleep(self.backlog_spacing)
                in_a_row += 1
                try:
                    await self.handle(update.payload)
                except Exception:  # the engine answers failures itself; the queue goes on
                    log.exception("an update of chat %s failed", chat)
                async with self.db.begin() as session:
                    now = self.clock()
                    await inbound.handled(session, update.id, now)
                    if update is last:
                        await inbound.end_turn(session, chat, self.holder)
                        batch = await inbound.waiting(session, chat)
                        ended = not batch or not await inbound.take_turn(
                            session, chat, self.holder, now, self.lease
                        )
                        if ended:  # (taken: only by another after this one's lease ran out)
                            batch = []
        return ended

    async def start(self) -> None:
        self._background = [
            asyncio.create_task(self._renewing(), name="chat-turns renew"),
            asyncio.create_task(self._sweeping(), name="chat-turns sweep"),
        ]

    async def _renewing(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.db.begin() as session:
                    await inbound.renew_turns(
                        session, set(self._serving), self.holder, self.clock(), self.lease
                    )
            except Exception:
                log.exception("could not renew the chats' turns")

    async def _sweeping(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_every)
            await self.sweep()

    async def sweep(self) -> None:
        """Take over the chats whose updates wait with nobody's turn running."""
        try:
            async with self.db() as session:
                chats = await inbound.stranded(session, self.clock(), self.stranded_after)
        except Exception:
            log.exception("could not look for stranded updates")
            return
        for chat in chats:
            if chat not in self._serving:
                log.info("taking over chat %s's waiting updates", chat)
                self.kick(chat)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop looking; let the chats being served finish (their turns end with them)."""
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._background = []
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in set(self._tasks):  # still at it: its turn runs out (LEASE) for another
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
