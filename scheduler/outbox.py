"""The announcement outbox: one row per recipient, pending until Telegram's answer is recorded.

Nothing here talks to a channel (that is scheduler.broadcast). A row stays `pending` until its
result is written, so after a crash every row not known to be sent is sent again; only a message in
flight at the very moment of the crash can reach its reader twice (see the README)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.announcements import recipients
from core.channel import Address
from core.contacts import Arrivals, address, reach_of, reachable
from scheduler.reminders import mark_unreachable
from storage.db import dialect_insert
from storage.models import Announcement, Cohort, Contact, OutboxMessage, Participant

_ROWS_PER_INSERT = 1000  # six columns each
MAX_ATTEMPTS = 6  # network errors: retried with backoff 2, 4, 8, 16, 32 s, then failed


@dataclass(frozen=True)
class Queued:
    id: int
    announcement_id: int
    participant_id: int
    address: Address
    attempts: int
    body: str
    cohort_name: str
    language: str | None


async def start_due(session: AsyncSession, now: datetime) -> list[int]:
    """Scheduled announcements whose time has come: claim them (one UPDATE, so two senders
    cannot both start one) and queue a row per recipient. Returns their ids."""
    claimed = await session.execute(
        update(Announcement)
        .where(Announcement.state == "scheduled", Announcement.send_at <= now)
        .values(state="sending", started_at=now)
        .returning(Announcement.id, Announcement.cohort_id, Announcement.audience)
    )
    started = claimed.all()
    insert = dialect_insert(session)
    for announcement_id, cohort_id, audience in started:
        people = await recipients(session, cohort_id, audience, now)
        reach = await reach_of(session, {p.person_id for p in people})
        rows = [
            {
                "announcement_id": announcement_id,
                "participant_id": p.id,
                "contact_id": reach[p.person_id].contact_id,
                "status": "pending" if reach[p.person_id].reachable else "unreachable",
                "attempts": 0,
                "next_attempt_at": now,
            }
            for p in people
            if p.person_id in reach
        ]
        if not rows:
            continue
        # In slices: PostgreSQL (asyncpg) takes at most 32,767 parameters in one statement.
        for first in range(0, len(rows), _ROWS_PER_INSERT):
            await session.execute(
                insert(OutboxMessage)
                .values(rows[first : first + _ROWS_PER_INSERT])
                .on_conflict_do_nothing(index_elements=["announcement_id", "participant_id"])
            )
    return [int(row[0]) for row in started]


_BATCH = (
    select(
        OutboxMessage.id,
        OutboxMessage.announcement_id,
        OutboxMessage.participant_id,
        Contact.channel,
        Contact.external_id,
        OutboxMessage.attempts,
        Announcement.body,
        Cohort.name,
        Participant.language,
    )
    .join(Announcement, Announcement.id == OutboxMessage.announcement_id)
    .join(Cohort, Cohort.id == Announcement.cohort_id)
    .join(Participant, Participant.id == OutboxMessage.participant_id)
    .join(Contact, Contact.id == OutboxMessage.contact_id)
)


async def next_batch(session: AsyncSession, now: datetime, limit: int) -> list[Queued]:
    """Pending rows due now and not in flight, oldest announcement first. A row for an
    announcement no longer sending (cancelled) is never returned."""
    query = (
        _BATCH.where(
            OutboxMessage.status == "pending",
            OutboxMessage.taken_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            Announcement.state == "sending",
        )
        .order_by(OutboxMessage.announcement_id, OutboxMessage.id)
        .limit(limit)
    )
    rows = (await session.execute(query)).all()
    return [
        Queued(int(i), int(a), int(p), Address(ch, ext), int(n), str(body or ""), str(name), lang)
        for i, a, p, ch, ext, n, body, name, lang in rows
    ]


async def take(session: AsyncSession, row_id: int, now: datetime) -> bool:
    """Take the row up to send it now: False when it is no longer to be sent (cancelled, or
    taken by someone else, since it was read in a batch). From here a stop counts it as going
    out; recording its result puts it down."""
    taken = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == "pending",
            OutboxMessage.taken_at.is_(None),
        )
        .values(taken_at=now)
    )
    return bool(getattr(taken, "rowcount", 0))


async def put_down(session: AsyncSession, row_ids: Collection[int]) -> None:
    """This sender's rows that it took up and will not send after all (it is stopping before
    their slot came): pending again for whoever sends next."""
    if row_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.status == "pending")
            .values(taken_at=None)
        )


async def anything_taken(session: AsyncSession) -> bool:
    """Whether any row is marked taken up (a read: `put_down_taken` writes only then)."""
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(OutboxMessage.taken_at.is_not(None), OutboxMessage.status == "pending")
        .limit(1)
    )
    return found is not None


async def bookkeeping_due(session: AsyncSession, now: datetime) -> bool:
    """Whether `start_due`, `finish_ready` or `claim_reports` may have anything to do: a read,
    so that an idle sender never takes the write lock (on SQLite, every poll would otherwise
    hold up any other writer, the bot's chats included)."""
    found = await session.scalar(
        select(Announcement.id)
        .where(
            or_(
                and_(Announcement.state == "scheduled", Announcement.send_at <= now),
                Announcement.state == "sending",
                and_(Announcement.state == "done", Announcement.reported_at.is_(None)),
            )
        )
        .limit(1)
    )
    return found is not None


async def put_down_taken(session: AsyncSession, keep: Collection[int] = ()) -> int:
    """Rows taken up by a sender that is gone (a worker that died, this process before a
    crash), except `keep` (still in this sender's hands): pending again, so they are sent — the
    one duplicate a message in flight at a crash may cost. How many."""
    where = [OutboxMessage.taken_at.is_not(None), OutboxMessage.status == "pending"]
    if keep:
        where.append(OutboxMessage.id.not_in(list(keep)))
    result = await session.execute(update(OutboxMessage).where(*where).values(taken_at=None))
    return int(getattr(result, "rowcount", 0) or 0)


async def record_sent(session: AsyncSession, row_id: int, message_id: str, now: datetime) -> None:
    """Sent: Telegram's message id kept as a number (to edit it later), another channel's
    ("wamid.…" on WhatsApp, whose delivery statuses name it) as `external_id`."""
    number = int(message_id) if message_id.isdigit() else 0
    external = None if message_id.isdigit() else message_id[:128] or None
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status="sent", message_id=number, external_id=external, sent_at=now, error=None,
            taken_at=None,
        )
    )  # fmt: skip


async def record_retry(
    session: AsyncSession, row_id: int, at: datetime, error: str, count_attempt: bool
) -> None:
    """Try again at `at`; a 429 does not count as an attempt (it says nothing about the chat)."""
    values: dict[str, object] = {"next_attempt_at": at, "error": error[:200], "taken_at": None}
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(values))


async def record_failed(
    session: AsyncSession,
    row_id: int,
    error: str,
    now: datetime,
    *,
    people: Arrivals,
    unreachable: bool = False,
) -> None:
    """Given up: a permanent error, or `unreachable` (blocked the bot, chat gone), which also
    marks the contact and may stop the person's reminders (`mark_unreachable`, telling
    `people`, who wrote lately)."""
    row = await session.get(OutboxMessage, row_id)
    if row is None:
        return
    row.status = "unreachable" if unreachable else "failed"
    row.error = error[:200]
    row.attempts += 1
    row.taken_at = None
    if unreachable:
        contact = await session.get(Contact, row.contact_id)
        if contact is not None:
            await mark_unreachable(session, address(contact), now, people)


async def record_needs_template(session: AsyncSession, row_id: int, kind: str) -> None:
    """Not sent: the person's WhatsApp window is closed and no template of `kind` is
    configured (counted as such in the delivery report; `claim_held` sends it when they next
    write, and puts it back here when that send fails)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status="needs_template", error=f"needs a template ({kind})", taken_at=None,
            sent_at=None,
        )
    )  # fmt: skip


# How long an announcement that needed a template waits for its reader to write again.
HELD_FOR = timedelta(days=7)


@dataclass(frozen=True)
class Held:
    row_id: int
    body: str
    cohort_name: str
    language: str | None


async def claim_held(session: AsyncSession, person_id: int, now: datetime) -> list[Held]:
    """The announcements of the last HELD_FOR that did not reach `person_id` for want of a
    template (their window was closed), now that they wrote: claimed as sent (once, whichever
    worker asks first), oldest first. `record_needs_template` puts back one that then fails."""
    rows = await session.execute(
        select(OutboxMessage.id, Announcement.body, Cohort.name, Participant.language)
        .join(Announcement, Announcement.id == OutboxMessage.announcement_id)
        .join(Cohort, Cohort.id == Announcement.cohort_id)
        .join(Participant, Participant.id == OutboxMessage.participant_id)
        .where(
            Participant.person_id == person_id,
            OutboxMessage.status == "needs_template",
            Announcement.started_at >= now - HELD_FOR,
            reachable(Participant.person_id),  # not if they have asked for nothing unasked
        )
        .order_by(OutboxMessage.id)
    )
    held = []
    for row_id, body, name, lang in rows.all():
        claimed = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status == "needs_template")
            .values(status="sent", sent_at=now, error="sent when the window reopened")
        )
        if getattr(claimed, "rowcount", 0):
            held.append(Held(int(row_id), str(body or ""), str(name), lang))
    return held


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** (attempts + 1), 60))


async def finish_ready(session: AsyncSession, now: datetime) -> list[int]:
    """Announcements being sent with nothing left pending become done; returns their ids."""
    pending = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.announcement_id == Announcement.id,
            OutboxMessage.status == "pending",
        )
        .exists()
    )
    done = await session.execute(
        update(Announcement)
        .where(Announcement.state == "sending", ~pending)
        .values(state="done", finished_at=now)
        .returning(Announcement.id)
    )
    return [int(i) for i in done.scalars()]


@dataclass(frozen=True)
class ReportDue:
    announcement_id: int
    address: Address
    language: str
    cohort_name: str


async def claim_reports(session: AsyncSession, now: datetime) -> list[ReportDue]:
    """Finished announcements whose author has not had the delivery report: claimed (at most
    once) by setting `reported_at` before the report is sent."""
    claimed = await session.execute(
        update(Announcement)
        .where(Announcement.state == "done", Announcement.reported_at.is_(None))
        .values(reported_at=now)
        .returning(
            Announcement.id,
            Announcement.author_contact_id,
            Announcement.author_language,
            Announcement.cohort_id,
        )
    )
    rows = claimed.all()
    if not rows:
        return []
    names = dict(
        (
            await session.execute(
                select(Cohort.id, Cohort.name).where(Cohort.id.in_({r[3] for r in rows}))
            )
        ).all()
    )
    authors = await session.scalars(select(Contact).where(Contact.id.in_({r[1] for r in rows})))
    where = {c.id: address(c) for c in authors}
    return [
        ReportDue(int(a), where[c], str(lang), str(names.get(k, "")))
        for a, c, lang, k in rows
        if c in where
    ]


async def next_wakeup(session: AsyncSession) -> datetime | None:
    """When the sender next has something to do (a retry or a scheduled start), if ever."""
    retry = await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at))
        .join(Announcement, Announcement.id == OutboxMessage.announcement_id)
        .where(OutboxMessage.status == "pending", Announcement.state == "sending")
    )
    start = await session.scalar(
        select(func.min(Announcement.send_at)).where(Announcement.state == "scheduled")
    )
    times = [t for t in (retry, start) if t is not None]
    return min(times) if times else None
