"""The reminder job's side of the rows (`core.reminders` keeps them): taking what is due and
claiming a delivery. Before a message goes out, a `deliveries` row keyed by (participant, kind,
local date, slot) is inserted: a second tick, an overlapping one, or a restart finds it taken,
so each reminder is sent at most once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import contacts
from core.channel import Address
from core.participants import effective_timezone
from core.reminders import (
    MORNING,
    PLAN_NUDGE,
    SESSION,
    SNOOZE,
    next_occurrence,
    resumes_at,
)
from storage.db import insert_once
from storage.models import Cohort, Contact, Delivery, Participant, Reminder, Session


@dataclass(frozen=True)
class Due:
    reminder: Reminder
    participant: Participant
    occurrence: datetime  # when it was due (UTC)
    local_date: date  # the participant's local date it is for
    late: bool  # due longer ago than the catch-up window: skip it
    address: Address | None  # where it goes (None: no contact reaches them)
    moves_to: datetime | None  # its next occurrence once taken (None: a one-off, deleted)


async def find_due(
    session: AsyncSession, now: datetime, catch_up: timedelta, limit: int = 2000
) -> list[Due]:
    """The reminder rows due by `now` (read only: `take` moves each on when it is claimed).

    Read outside the write transaction, so a peak's reading (the rows, then each message's
    sheet) lets other chats' work run between its statements; only the short claiming
    transaction holds the write turn (`scheduler.reminder_job.prepare`)."""
    result = await session.execute(
        select(Reminder, Participant, Contact.channel, Contact.external_id)
        .join(Participant, Participant.id == Reminder.participant_id)
        .outerjoin(Contact, Contact.id == contacts.reach(Participant.person_id))
        .where(Reminder.next_due_at <= now)
        # Ties broken by id: workers taking tied rows take them in one order (no deadlock).
        .order_by(Reminder.next_due_at, Reminder.id)
        .limit(limit)
        .options(selectinload(Participant.cohort))
    )
    due = []
    for reminder, participant, channel, external_id in result:
        tz = effective_timezone(participant)
        occurrence = reminder.next_due_at
        workdays = participant.reminder_workdays_only and reminder.kind != MORNING
        # After a long downtime, jump to the next occurrence after now (missed ones are late).
        moves_to = (
            None
            if reminder.kind == SNOOZE  # once only
            else next_occurrence(reminder.local_time, tz, max(now, occurrence), workdays)
        )
        local_date = occurrence.astimezone(ZoneInfo(tz)).date()
        where = Address(channel, external_id) if channel is not None else None
        late = now - occurrence > catch_up
        due.append(Due(reminder, participant, occurrence, local_date, late, where, moves_to))
    return due


_Reminders = cast(Table, Reminder.__table__)
_MOVE_ON = (
    update(_Reminders)
    .where(Reminder.id == bindparam("p_id"), Reminder.next_due_at == bindparam("p_was"))
    .values(next_due_at=bindparam("p_next"))
)
_DROP = delete(_Reminders).where(
    Reminder.id == bindparam("p_id"), Reminder.next_due_at == bindparam("p_was")
)


async def take(session: AsyncSession, due: Due) -> bool:
    """Move a found reminder on to its next occurrence (or delete a one-off), in the claiming
    transaction; True when this caller took it. The row must still say when it was found due:
    a second tick or worker that found it too takes nothing (on PostgreSQL its UPDATE waits for
    the first one's commit and then matches no row), so a restart or an overlap cannot see the
    same occurrence twice once this is committed."""
    values = {"p_id": due.reminder.id, "p_was": due.occurrence}
    if due.moves_to is None:
        result = await session.execute(_DROP, values)
    else:
        result = await session.execute(_MOVE_ON, {**values, "p_next": due.moves_to})
    return bool(getattr(result, "rowcount", 0) == 1)


async def snoozing(session: AsyncSession, participant_ids: Collection[int]) -> set[int]:
    """Which of these participants have "remind me in an hour" waiting (their regular
    reminders keep quiet till then): one query for a claimed batch."""
    if not participant_ids:
        return set()
    found = await session.scalars(
        select(Reminder.participant_id).where(
            Reminder.participant_id.in_(participant_ids), Reminder.kind == SNOOZE
        )
    )
    return set(found)


async def claim(
    session: AsyncSession, participant_id: int, kind: str, local_date: date, slot: str, status: str
) -> bool:
    """Insert the delivery row unless one exists; True when this caller owns the delivery."""
    return await insert_once(
        session,
        Delivery,
        participant_id=participant_id,
        kind=kind,
        local_date=local_date,
        slot=slot,
        status=status,
        created_at=datetime.now(UTC),
    )


async def plan_nudge_due(session: AsyncSession, participant: Participant, day: date) -> bool:
    """Someone without a plan gets one friendly nudge, with their daily reminder of the first
    local day after the one they joined ("tomorrow", as the offer after joining says), and
    never again: whether it is still to come (read only; `claim_plan_nudge` records it)."""
    joined_on = participant.joined_at.astimezone(ZoneInfo(effective_timezone(participant))).date()
    if day <= joined_on:
        return False
    nudged = await session.scalar(
        select(Delivery.id)
        .where(Delivery.participant_id == participant.id, Delivery.kind == PLAN_NUDGE)
        .limit(1)
    )
    return nudged is None


async def claim_plan_nudge(session: AsyncSession, participant_id: int, day: date) -> bool:
    """Record the plan nudge in the claiming transaction: True for the one caller that does."""
    return await claim(session, participant_id, PLAN_NUDGE, day, "once", "sent")


@dataclass(frozen=True)
class Settled:
    """The outcome of one claimed delivery: its key and its status."""

    participant_id: int
    kind: str
    local_date: date
    slot: str
    status: str


_SET_STATUS = (
    update(cast(Table, Delivery.__table__))  # the table: one statement run for many rows
    .where(
        Delivery.participant_id == bindparam("p_participant"),
        Delivery.kind == bindparam("p_kind"),
        Delivery.local_date == bindparam("p_date"),
        Delivery.slot == bindparam("p_slot"),
    )
    .values(status=bindparam("p_status"))
)


async def set_statuses(session: AsyncSession, settled: Sequence[Settled]) -> None:
    """Write the outcomes of claimed deliveries: one statement run for all of them (a batch
    of a peak's reminders takes a millisecond or two of the write turn, not one lookup each)."""
    if settled:
        await session.execute(
            _SET_STATUS,
            [
                {
                    "p_participant": s.participant_id,
                    "p_kind": s.kind,
                    "p_date": s.local_date,
                    "p_slot": s.slot,
                    "p_status": s.status,
                }
                for s in settled
            ],
        )


async def mark_unreachable(
    session: AsyncSession, where: Address, now: datetime, people: contacts.Arrivals
) -> None:
    """The channel said `where` cannot be reached (the bot blocked, the chat gone): when no
    other contact reaches the person, their reminders stop (until they write again,
    `handlers.arrival`, which `people` is told to ask the table for at their next message)."""
    people.forget(where)
    person_id = await contacts.mark_unreachable(session, where, now)
    if person_id is not None:
        memberships = select(Participant.id).where(Participant.person_id == person_id)
        await session.execute(delete(Reminder).where(Reminder.participant_id.in_(memberships)))


@dataclass(frozen=True)
class SessionDue:
    session: Session
    participants: Sequence[Participant]
    late: bool
    addresses: dict[int, Address]  # by person: where each is reached


async def sessions_due(
    session: AsyncSession, now: datetime, catch_up: timedelta
) -> list[SessionDue]:
    """Sessions whose reminder time (start minus the cohort's lead) has come and that have
    not started yet, with the participants who get reminders and have not been claimed for
    yet (each tick until the start sees the session again: it finds nobody left)."""
    result = await session.execute(
        select(Session, Cohort)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .where(Session.starts_at > now, Session.starts_at <= now + timedelta(hours=24))
    )
    found = []
    for s, cohort in result:
        remind_at = s.starts_at - timedelta(minutes=cohort.session_lead_minutes)
        if remind_at > now:
            continue
        members = await session.scalars(
            select(Participant)
            .where(
                Participant.cohort_id == cohort.id,
                Participant.reminders_paused.is_(False),
                contacts.reachable(Participant.person_id),
                ~exists().where(
                    Delivery.participant_id == Participant.id,
                    Delivery.kind == SESSION,
                    Delivery.slot == str(s.id),
                ),
            )
            .options(selectinload(Participant.cohort))
        )
        reminded = [p for p in members if resumes_at(p, now) is None]  # not paused till a date
        reach = await contacts.reach_of(session, {p.person_id for p in reminded})
        where = {person: r.address for person, r in reach.items() if r.reachable}
        found.append(SessionDue(s, reminded, now - remind_at > catch_up, where))
    return found
