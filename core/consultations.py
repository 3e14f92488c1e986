"""Consultations on record (Latsar's *form pengendalian aktualisasi*): a participant and their
mentor met or talked; either of them records when, about what, what came of it and the next
step, and the other confirms it (or says it is not what happened).

A record is written in steps (date, topic, outcome, next step), kept as a draft row of its
writer's (`step` says what comes next) — the same for a participant and a mentor, who has no
other place to keep an open question — until the last answer; a draft lapses after
`DRAFT_FOR`, and /batal drops it. Only the side that did not write it can decide on it, once:
the participant, or their mentor of the time it was written (while still their mentor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.errors import InvalidInput
from core.mentors import State as MentorState
from core.mentors import active_mentor
from storage.mentoring import Consultation, Mentorship
from storage.models import Participant

DRAFT_FOR = timedelta(hours=12)
MAX_DAYS_BACK = 120  # a consultation held at most this long ago
LIMITS = {"topic": (3, 300), "outcome": (3, 1000), "next": (3, 500)}


class Step(StrEnum):
    DATE = "date"
    TOPIC = "topic"
    OUTCOME = "outcome"
    NEXT = "next"


class Kept(StrEnum):
    DRAFT = "draft"
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


_AFTER = {Step.DATE: Step.TOPIC, Step.TOPIC: Step.OUTCOME, Step.OUTCOME: Step.NEXT}


async def start(
    session: AsyncSession,
    person_id: int,
    participant: Participant,
    mentorship: Mentorship,
    *,
    by_mentor: bool,
    now: datetime,
) -> Consultation:
    """A new record by `person_id` (the participant or their mentor): its date comes first.
    Any draft of theirs is dropped."""
    await discard_drafts(session, person_id)
    draft = Consultation(
        participant_id=participant.id,
        mentorship_id=mentorship.id,
        recorded_by=person_id,
        by_mentor=by_mentor,
        state=Kept.DRAFT,
        step=Step.DATE,
        created_at=now,
    )
    session.add(draft)
    await session.flush()
    return draft


async def discard_drafts(session: AsyncSession, person_id: int) -> bool:
    result = await session.execute(
        delete(Consultation).where(
            Consultation.recorded_by == person_id, Consultation.state == Kept.DRAFT
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def draft_of(session: AsyncSession, person_id: int, now: datetime) -> Consultation | None:
    """The record this person is writing, if it has not lapsed."""
    return await session.scalar(
        select(Consultation)
        .where(
            Consultation.recorded_by == person_id,
            Consultation.state == Kept.DRAFT,
            Consultation.created_at > now - DRAFT_FOR,
        )
        .order_by(Consultation.id.desc())
        .limit(1)
    )


def clean(step: Step, typed: str) -> str:
    """A typed answer, spaces tidied; InvalidInput `consult.short` / `consult.long`."""
    value = " ".join(typed.split())
    low, high = LIMITS[step.value]
    if len(value) < low:
        raise InvalidInput("consult.short")
    if len(value) > high:
        raise InvalidInput("consult.long")
    return value


def check_day(day: date, today: date) -> date:
    if day > today:
        raise InvalidInput("consult.date_future")
    if day < today - timedelta(days=MAX_DAYS_BACK):
        raise InvalidInput("consult.date_old")
    return day


def set_day(draft: Consultation, day: date, today: date) -> None:
    draft.held_on = check_day(day, today)
    draft.step = Step.TOPIC


def answer(draft: Consultation, typed: str, now: datetime) -> None:
    """The typed answer to the draft's current step (not its date: `set_day`)."""
    step = Step(draft.step or Step.NEXT)
    value = clean(step, typed)
    if step is Step.TOPIC:
        draft.topic = value
    elif step is Step.OUTCOME:
        draft.outcome = value
    else:
        draft.next_step = value
    if step is Step.NEXT:
        finish(draft, now)
    else:
        draft.step = _AFTER[step]


def finish(draft: Consultation, now: datetime) -> None:
    """Written: it waits for the other side."""
    draft.step, draft.state, draft.created_at = None, Kept.UNCONFIRMED, now


@dataclass(frozen=True)
class Decided:
    consultation: Consultation | None
    participant: Participant | None


async def decide(
    session: AsyncSession, person_id: int, consultation_id: int, *, confirm: bool, now: datetime
) -> Decided:
    """The other side confirms or disputes the record; None fields when this person cannot
    (not the other side, no longer the mentor, decided already, a draft, unknown)."""
    found = await session.scalar(
        select(Consultation).where(Consultation.id == consultation_id).with_for_update()
    )
    if found is None or found.state != Kept.UNCONFIRMED:
        return Decided(None, None)
    participant = await session.get(
        Participant, found.participant_id, options=[selectinload(Participant.cohort)]
    )
    assert participant is not None
    if not await _other_side(session, found, participant, person_id):
        return Decided(None, None)
    found.state = Kept.CONFIRMED if confirm else Kept.DISPUTED
    found.decided_at = now
    return Decided(found, participant)


async def _other_side(
    session: AsyncSession, record: Consultation, participant: Participant, person_id: int
) -> bool:
    if record.by_mentor:
        return participant.person_id == person_id
    mentorship = (
        await session.get(Mentorship, record.mentorship_id) if record.mentorship_id else None
    )
    return (
        mentorship is not None
        and mentorship.state == MentorState.ACTIVE
        and mentorship.mentor_person_id == person_id
    )


async def of_participant(session: AsyncSession, participant_id: int) -> list[Consultation]:
    """The participant's consultations on record (not drafts), by date."""
    return list(
        (
            await session.scalars(
                select(Consultation)
                .where(
                    Consultation.participant_id == participant_id,
                    Consultation.state != Kept.DRAFT,
                )
                .order_by(Consultation.held_on, Consultation.id)
            )
        ).all()
    )


async def waiting_for(
    session: AsyncSession, participant_ids: list[int], *, mentor: int | None = None
) -> list[Consultation]:
    """Records of these participants waiting for the other side: for a participant (`mentor`
    None), what a mentor wrote; for mentor `mentor`, what their mentees wrote while `mentor`
    was their mentor, and is still (a former mentor's records are nobody's to confirm)."""
    if not participant_ids:
        return []
    query = select(Consultation).where(
        Consultation.participant_id.in_(participant_ids),
        Consultation.state == Kept.UNCONFIRMED,
        Consultation.by_mentor.is_(mentor is None),
    )
    if mentor is not None:
        query = query.join(Mentorship, Mentorship.id == Consultation.mentorship_id).where(
            Mentorship.state == MentorState.ACTIVE, Mentorship.mentor_person_id == mentor
        )
    rows = await session.scalars(query.order_by(Consultation.held_on, Consultation.id))
    return list(rows.all())


async def mentorship_for(session: AsyncSession, participant: Participant) -> Mentorship | None:
    return await active_mentor(session, participant.id)
