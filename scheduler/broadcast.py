"""The announcement sender: drains the outbox as fast as the channel allows, never twice on
purpose.

One task loops: start scheduled announcements whose time has come, finish and report those with
nothing left, then take a batch of pending rows and send each at its `Pacer.bulk` slot (30/s
overall, 1/s per chat, after any waiting reply). Sends run concurrently (the round trip is
longer than a slot) and each records its own result at once, as the channel read it
(`core.channel`):

* `Sent` → `sent` with the message id;
* `RetryLater` for everyone (Telegram's `429`) → the pacer pauses everything for that long, the
  row is retried after it;
* `RetryLater` for this message (network trouble) → retried with backoff, `failed` after
  `MAX_ATTEMPTS`;
* `Unreachable` (blocked, chat gone) → `unreachable` (and the participant's reminders stop);
* `Failed` (e.g. bad formatting) → `failed`;
* `NeedsTemplate` (WhatsApp's window closed, no template configured) → `needs_template`.

It knows no channel: the wiring (`bot.runner`) gives it one — for Telegram, a channel on its own
`Bot` (own connection pool), so the application's bot, which answers participants, is never
queued behind announcements."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta

from core.announcements import delivered_messages
from core.channel import (
    Channel,
    Failed,
    NeedsTemplate,
    Outbound,
    RetryLater,
    SendResult,
    Sent,
    Unreachable,
)
from core.pacing import Pacer, chat_key
from core.services import Services
from scheduler.outbox import (
    MAX_ATTEMPTS,
    Queued,
    ReportDue,
    anything_taken,
    backoff,
    bookkeeping_due,
    claim_reports,
    finish_ready,
    next_batch,
    next_wakeup,
    put_down,
    put_down_taken,
    record_failed,
    record_needs_template,
    record_retry,
    record_sent,
    start_due,
    take,
)

log = logging.getLogger("aksi.broadcast")


class Broadcaster:
    def __init__(
        self,
        services: Services,
        channel: Channel,
        pacer: Pacer,
        on_report: Callable[[ReportDue], Awaitable[None]],
        *,
        concurrency: int = 32,
        batch: int = 60,
        idle_poll: float = 5.0,
    ) -> None:
        self.services = services
        self.channel = channel
        self.pacer = pacer
        self.on_report = on_report
        self.batch = batch
        self.idle_poll = idle_poll
        self._slots = asyncio.Semaphore(concurrency)
        # Taken up and going out (their rows say so too: `outbox.taken_at`).
        self._in_flight: set[int] = set()
        self._held: set[int] = set()  # rows this sender took up whose result is not recorded
        self._term = 0  # the leadership term whose rows in flight this sender knows
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def wake(self) -> asyncio.Event:
        return self.services.outbox_wakeup

    async def run(self) -> None:
        """Loop until cancelled; then `drain()` lets the sends in flight record their result."""
        while True:
            # Cleared before the database is read, never after a wait: a wake-up that comes
            # while a round runs, or as a wait times out, is kept for the next round.
            self.wake.clear()
            try:
                busy = await self._turn()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end announcements for good
                log.exception("the announcement sender failed; trying again shortly")
                busy = False
                await asyncio.sleep(1.0)
            if not busy:
                await self._idle()

    async def drain(self, timeout: float = 10.0) -> None:
        """After `run` is cancelled: let the sends under way record their result, and put back
        the rows taken up that never left (their slot had not come)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        left = self._held - self._in_flight
        if left:
            async with self.services.db.begin() as session:
                await put_down(session, left)
            self._held -= left

    async def _turn(self) -> bool:
        """One round: bookkeeping, then one batch sent. False when there was nothing to send."""
        services = self.services
        lead = services.leadership
        if lead is not None and not lead.leading:
            return False  # another worker sends (storage.leadership)
        term = lead.term if lead is not None else 1
        now = services.clock()
        if term != self._term:
            # Newly the sender: what the previous one had in flight when it stopped (died, or
            # this process crashed) is sent again.
            async with services.db() as session:
                any_taken = await anything_taken(session)
            again = 0
            if any_taken:
                async with services.db.begin() as session:
                    again = await put_down_taken(session, keep=self._held)
            if again:
                log.warning(
                    "%d announcement messages were in flight at a stop: sending again", again
                )
            self._term = term
        async with services.db() as session:
            bookkeeping = await bookkeeping_due(session, now)
        started: list[int] = []
        reports: list[ReportDue] = []
        if bookkeeping:
            async with services.db.begin() as session:
                started = await start_due(session, now)
                await finish_ready(session, now)
                reports = await claim_reports(session, now)
        for announcement_id in started:
            log.info("announcement %d: sending", announcement_id)
        for due in reports:
            try:
                await self.on_report(due)
            except Exception:
                log.exception("could not send the report of announcement %d", due.announcement_id)
        async with services.db() as session:
            batch = await next_batch(session, now, self.batch)
        if not batch:
            return False
        pacer = self.pacer
        own = self.services.self_paced  # channels that pace their own sends (WhatsApp)

        def ready(q: Queued) -> bool:
            return q.address.channel in own or pacer.chat_ready(chat_key(q.address))

        # A chat that had a message less than a second ago (e.g. a reply) waits for its turn
        # behind the others, instead of holding up the whole announcement.
        queue = deque(batch)
        while queue:
            queued = queue.popleft()
            if not ready(queued) and any(ready(q) for q in queue):
                queue.append(queued)
                continue
            # Stopped (cancelled) since the batch was read: the facilitator was told it would
            # not go out. Taken up just before its slot, so the send leaves on time; from
            # then on it is in flight, and a stop counts it as going out.
            self._in_flight.add(queued.id)
            try:
                async with services.db.begin() as session:
                    taken = await take(session, queued.id, services.clock())
                if not taken:
                    self._in_flight.discard(queued.id)
                    continue
                self._held.add(queued.id)
                await self._slots.acquire()
                try:
                    if queued.address.channel not in own:
                        await pacer.bulk(chat_key(queued.address))
                except BaseException:
                    self._slots.release()
                    raise
            except BaseException:
                self._in_flight.discard(queued.id)
                raise
            task = asyncio.create_task(self._send(queued), name=f"announce-{queued.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    async def _idle(self) -> None:
        """Wait to be woken (a new announcement), for the next retry or start, or a while."""
        wait = self.idle_poll
        if self._in_flight:
            wait = 0.05
        else:
            async with self.services.db() as session:
                upcoming = await next_wakeup(session)
            if upcoming is not None:
                ahead = (upcoming - self.services.clock()).total_seconds()
                wait = min(wait, max(ahead, 0.05))
        # Not `asyncio.wait_for`: on Python 3.11 it swallows a cancellation (the bot stopping)
        # that comes as the wake-up does, and the sender would then never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self.wake.wait()

    def compose(self, queued: Queued) -> list[Outbound]:
        """The messages for one recipient, in their language: what the author's preview showed."""
        lang = queued.language or self.services.settings.aksi_default_language
        return delivered_messages(self.services.i18n, lang, queued.cohort_name, queued.body)

    async def _send(self, queued: Queued) -> None:
        try:
            # One message, as the text's limit leaves room for the header. Were it ever cut in
            # two, a retry after the first part would send that part again.
            where = queued.address
            result: SendResult = Failed("nothing to send")
            for message in self.compose(queued):
                if where.channel == self.channel.name:
                    result = await self.channel.send(where, message)
                else:
                    result = await self.services.send(where, message)
                if not isinstance(result, Sent):
                    break
            await self._record(queued, result)
            self._held.discard(queued.id)  # recorded: no longer in this sender's hands
        finally:
            self._in_flight.discard(queued.id)
            self._slots.release()
            if not self._in_flight:
                self.wake.set()

    async def _record(self, queued: Queued, result: SendResult) -> None:
        services = self.services
        if isinstance(result, Sent):
            ref = result.ref
            message_id = ref.message_id if ref is not None else ""
            async with services.db.begin() as session:
                await record_sent(session, queued.id, message_id, services.clock())
        elif isinstance(result, RetryLater) and result.pause_all:  # the channel's 429
            if queued.address.channel not in self.services.self_paced:
                self.pacer.pause(result.seconds + 0.1)
            at = services.clock() + timedelta(seconds=result.seconds + 0.1)
            reason = f"429 retry after {result.seconds:g}"
            async with services.db.begin() as session:
                await record_retry(session, queued.id, at, reason, False)
            log.warning("announcement: the channel asked to wait %.1f s", result.seconds)
        elif isinstance(result, RetryLater):  # a time-out or a 5xx answer
            if queued.attempts + 1 >= MAX_ATTEMPTS:
                await self._give_up(queued, f"network: {result.reason}")
                return
            at = services.clock() + backoff(queued.attempts)
            async with services.db.begin() as session:
                await record_retry(session, queued.id, at, f"network: {result.reason}", True)
        elif isinstance(result, NeedsTemplate):
            async with services.db.begin() as session:
                await record_needs_template(session, queued.id, result.kind)
        else:
            unreachable = isinstance(result, Unreachable)
            await self._give_up(queued, result.reason, unreachable=unreachable)

    async def _give_up(self, queued: Queued, error: str, *, unreachable: bool = False) -> None:
        async with self.services.db.begin() as session:
            await record_failed(
                session,
                queued.id,
                error,
                self.services.clock(),
                people=self.services.people,
                unreachable=unreachable,
            )
        log.info(
            "announcement to %s: %s (%s)",
            queued.address,
            "unreachable" if unreachable else "failed",
            error,
        )
