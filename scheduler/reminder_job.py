"""The reminder job: every tick (a minute), claim each participant's reminder that is due in
their own zone (daily commitment, evening follow-up, morning summary, "remind me in an hour",
a session about to start), compose its message, commit, and only then send it through the
person's channel (`core.channel`), recording each outcome.

Claiming happens in one transaction before anything is sent, so a restart or an overlapping
tick never sends a reminder twice (`scheduler.reminders`). What each reminder says is the
features' business (`handlers.reminders.MESSAGES`, given to `reminder_job` by the wiring): the
job knows neither the channel nor the wording."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core import channel
from core import reminders as rules
from core.channel import Address, Outbound, Outcome, Rows, one_shot_outcome
from core.services import HasServices
from scheduler import reminders as rem
from scheduler.sending import Sending
from storage.models import Participant, Session

log = logging.getLogger("handlers.reminders")


@dataclass(frozen=True)
class Composed:
    """A due reminder's message. `on_claim`, when given, is a feature's own write that goes
    with it, run in the claiming transaction (the plan nudge records itself and opens its
    offer): False there means the message stays unsent (another tick took it)."""

    body: str
    keyboard: Rows | None = None
    on_claim: Callable[[AsyncSession], Awaitable[bool]] | None = None


class Compose(Protocol):
    async def __call__(
        self, session: AsyncSession, context: HasServices, due: rem.Due, *, snoozed: bool = False
    ) -> Composed | None:
        """The message for a due reminder, or None when it should stay quiet. It only reads:
        `session` is not a write transaction. `snoozed`: "remind me in an hour" is waiting
        for this participant (their regular reminders keep quiet)."""
        ...


@dataclass(frozen=True)
class ReminderMessages:
    """What the reminders say: `compose` for a participant's own reminders, `session` for a
    session about to start (with its buttons: "Hadir", `handlers.attendance`)."""

    compose: Compose
    session: Callable[[HasServices, Participant, Session], tuple[str, Rows | None]]


@dataclass
class Outgoing:
    participant_id: int
    address: Address
    kind: str
    local_date: date
    slot: str
    body: str
    keyboard: Rows | None = None
    lang: str = ""


# The kind of each reminder as a channel sends it unasked (its template on WhatsApp).
KIND_OF = {
    rules.SESSION: channel.SESSION,
    rules.EVENING: channel.FOLLOW_UP,
    rules.MORNING: channel.DIGEST,
}


@dataclass
class TickReport:
    sent: int = 0
    quiet: int = 0
    late: int = 0
    failed: int = 0
    unreachable: int = 0
    needs_template: int = 0  # WhatsApp's window closed and no template configured
    skipped_claimed: int = 0
    outgoing: list[Outgoing] = field(default_factory=list)
    found: int = 0  # reminder rows found due (the last batch, for `run_tick`)

    def absorb(self, batch: TickReport) -> None:
        """Add a claimed batch's counts and messages to the tick's."""
        self.quiet += batch.quiet
        self.late += batch.late
        self.unreachable += batch.unreachable
        self.skipped_claimed += batch.skipped_claimed
        self.outgoing.extend(batch.outgoing)
        self.found += batch.found


# Reminder rows claimed in one transaction: the write turn it holds stays short (other chats'
# check-ins wait for it), and few are claimed ahead of sending.
CLAIM_BATCH = 5


async def prepare(
    context: HasServices,
    now: datetime,
    messages: ReminderMessages,
    *,
    limit: int = CLAIM_BATCH,
    sessions: bool = True,
) -> TickReport:
    """Claim up to `limit` reminders due at `now` (and, with `sessions`, the session reminders
    due) with their messages, committed before anything is sent.

    Reading what is due and composing the messages happen first, outside the write
    transaction (on SQLite other chats' work runs between the statements); the transaction
    that follows only moves the rows on and claims them: a few short statements, so a peak
    never holds the event loop or the write turn for long."""
    services = context.services
    catch_up = timedelta(minutes=services.settings.aksi_reminder_catch_up_minutes)
    composed: dict[int, Composed | None] = {}  # by reminder id: the messages to claim
    async with services.db() as session:
        found = await rem.find_due(session, now, catch_up, limit)
        to_compose = [due for due in found if not due.late and due.address is not None]
        # "Remind me in an hour" keeps the regular ones quiet, unless it is skipped as late
        # right now: then the regular reminder is all that comes.
        late_snoozes = {
            d.participant.id for d in found if d.reminder.kind == rules.SNOOZE and d.late
        }
        snoozing = await rem.snoozing(session, {due.participant.id for due in to_compose})
        snoozing -= late_snoozes
        for due in to_compose:
            snoozed = due.participant.id in snoozing
            composed[due.reminder.id] = await messages.compose(
                session, context, due, snoozed=snoozed
            )
        session_items = await rem.sessions_due(session, now, catch_up) if sessions else []
    report = TickReport(found=len(found))
    async with services.db.begin() as session:
        for due in found:
            await claim_one(session, due, composed.get(due.reminder.id), report, catch_up)
        for item in session_items:
            s = item.session
            for p in item.participants:
                where = item.addresses.get(p.person_id)
                if where is None:
                    continue
                # The session's own (UTC) date: a zone change must not make a second key.
                day = s.starts_at.date()
                status = "late" if item.late else "sending"
                if not await rem.claim(session, p.id, rules.SESSION, day, str(s.id), status):
                    continue
                if item.late:
                    report.late += 1
                    continue
                body, keyboard = messages.session(context, p, s)
                report.outgoing.append(
                    Outgoing(
                        p.id, where, rules.SESSION, day, str(s.id), body, keyboard, p.language or ""
                    )
                )
    return report


async def claim_one(
    session: AsyncSession,
    due: rem.Due,
    message: Composed | None,
    report: TickReport,
    catch_up: timedelta,
) -> None:
    """Take one found reminder and claim its delivery: late, unreachable, quiet, or sending
    (then its message is added to the report's outgoing)."""
    p, kind, slot = due.participant, due.reminder.kind, due.reminder.local_time
    if not await rem.take(session, due):
        report.skipped_claimed += 1  # another tick or worker took it
        return
    if due.late:
        if await rem.claim(session, p.id, kind, due.local_date, slot, "late"):
            report.late += 1
            log.info(
                "skipped a %s reminder for participant %s due at %s (over %s late)",
                kind, p.id, due.occurrence.isoformat(), catch_up,
            )  # fmt: skip
        return
    if due.address is None:  # no contact reaches them (blocked the bot everywhere)
        if await rem.claim(session, p.id, kind, due.local_date, slot, "unreachable"):
            report.unreachable += 1
        return
    status = "sending" if message else "quiet"
    if not await rem.claim(session, p.id, kind, due.local_date, slot, status):
        report.skipped_claimed += 1
        return
    # The feature's own write, once the delivery is this tick's (False: it stays unsent).
    claimed = message is None or message.on_claim is None or await message.on_claim(session)
    if not claimed:
        await rem.set_statuses(session, [rem.Settled(p.id, kind, due.local_date, slot, "quiet")])
        message = None
    if message is None:
        report.quiet += 1
        return
    report.outgoing.append(
        Outgoing(
            p.id,
            due.address,
            kind,
            due.local_date,
            slot,
            message.body,
            message.keyboard,
            p.language or "",
        )
    )


async def deliver(context: HasServices, item: Outgoing) -> Outcome:
    """Send one reminder (paced, on the channel's bulk side); the outcome for its row."""
    kind = KIND_OF.get(item.kind, channel.REMINDER)
    message = Outbound(item.body, item.keyboard or (), lang=item.lang, kind=kind)
    result = await context.services.send_unprompted(item.address, message)
    outcome = one_shot_outcome(result)
    if outcome == "failed":
        reason = getattr(result, "reason", "")
        log.warning("reminder to participant %s not sent: %s", item.participant_id, reason)
    return outcome


async def run_tick(context: HasServices, now: datetime, messages: ReminderMessages) -> TickReport:
    """One tick: claim and compose what is due a batch at a time, send side by side while the
    next batch is claimed, and record the outcomes. A tick with more due than one batch
    keeps going, taking also what comes due meanwhile, until nothing is left (the scheduler
    never starts a second copy while it runs: `bot.jobs.job_terms`)."""
    services = context.services

    async def record(session: AsyncSession, done: Sequence[tuple[Outgoing, Outcome]]) -> None:
        await rem.set_statuses(
            session,
            [
                rem.Settled(item.participant_id, item.kind, item.local_date, item.slot, outcome)
                for item, outcome in done
            ],
        )
        for item, outcome in done:
            if outcome == "unreachable":
                await rem.mark_unreachable(session, item.address, now, services.people)

    sending = Sending(services, partial(deliver, context), record)
    report = TickReport()
    # Claimed ahead, waiting for a sending slot: the next batch is claimed (and composed)
    # while this one goes out, so the channel is never kept waiting by the database.
    claimed: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=CLAIM_BATCH)

    async def claim_batches(at: datetime) -> None:
        first = True
        while True:
            batch = await prepare(context, at, messages, sessions=first)
            first = False
            report.absorb(batch)
            for item in batch.outgoing:
                await claimed.put(item)
            if batch.found < CLAIM_BATCH:
                return
            at = max(at, services.clock())

    async def claim_all(at: datetime) -> None:
        """Claim, then say so (None) after the last item; cancelled with the tick, it says
        nothing (nobody is left to read it)."""
        try:
            await claim_batches(at)
        except asyncio.CancelledError:
            raise
        except BaseException:
            await claimed.put(None)
            raise
        await claimed.put(None)

    claiming = asyncio.create_task(claim_all(now))
    try:
        while (item := await claimed.get()) is not None:
            await sending.add(item)
        await claiming  # its error, if it failed
    finally:
        claiming.cancel()
        await asyncio.wait({claiming})
        if not claiming.cancelled():
            claiming.exception()  # retrieved (raised above, when it failed)
        outcomes = await sending.finish()
    report.sent += outcomes["sent"]
    report.failed += outcomes["failed"]
    report.unreachable += outcomes["unreachable"]
    report.needs_template += outcomes["needs_template"]
    if report.outgoing or report.late:
        log.info(
            "reminders: %d sent, %d quiet, %d late, %d failed, %d unreachable, %d need a template",
            report.sent, report.quiet, report.late, report.failed, report.unreachable,
            report.needs_template,
        )  # fmt: skip
    return report


def reminder_job(messages: ReminderMessages) -> Callable[[HasServices], Coroutine[Any, Any, None]]:
    """The repeating job (APScheduler through PTB's JobQueue: its context carries the
    services)."""

    async def reminder_tick(context: HasServices) -> None:
        await run_tick(context, context.services.clock(), messages)

    return reminder_tick
