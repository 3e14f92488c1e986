"""The mentor's approval of the action plan (LAN's rules: the participant's plan and every change
to it are approved by their mentor).

Saving the plan with a mentor sends it for approval: a `PlanReview` holding the plan as sent.
The mentor approves it, or asks for changes with a typed comment. Saving again before a decision
supersedes the waiting one; saving after a decision sends the new plan again. A mentor who
accepts (or is assigned) while a plan exists gets it at once. Every row stays: what was sent,
what was decided, when and by whom. Participants without a mentor work as before: their plan's
status says no mentor has it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.mentors import State as MentorState
from core.mentors import active_mentor
from core.milestones import milestones_of, snapshot_of
from core.plans import load_plan
from storage.mentoring import Mentorship, Milestone, PlanReview
from storage.models import ActionPlan, Participant

COMMENT_MAX = 1000
COMMENT_WAIT = timedelta(hours=1)  # "ask for changes", then the typed comment within this


class Review(StrEnum):
    WAITING = "waiting"
    APPROVED = "approved"
    CHANGES = "changes"
    SUPERSEDED = "superseded"


class Status(StrEnum):
    """What a participant's plan is, for them, their mentor and the reports."""

    NO_PLAN = "no_plan"
    NO_MENTOR = "no_mentor"  # a plan, nobody to approve it
    WAITING = "waiting"
    APPROVED = "approved"
    CHANGES = "changes"


@dataclass(frozen=True)
class PlanStatus:
    status: Status
    review: PlanReview | None = None  # the latest decision or the one waiting


def snapshot(plan: ActionPlan, milestones: list[Milestone]) -> str:
    """The plan as sent: its title, its current habits and its milestones (the key only when
    there are some, so a plan sent before milestones existed reads the same)."""
    habits = [
        {"name": h.name, "kind": h.kind, "unit": h.unit, "target": h.target, "schedule": h.schedule}
        for h in plan.habits
        if h.removed_at is None
    ]
    data: dict[str, object] = {"title": plan.title, "habits": habits}
    if milestones:
        data["milestones"] = snapshot_of(milestones)
    return json.dumps(data, ensure_ascii=False)


@dataclass(frozen=True)
class SentPlan:
    """A plan sent for approval: to whom (the mentorship), and what."""

    review: PlanReview
    mentorship: Mentorship
    participant: Participant
    unchanged: bool = False  # the same plan as the one waiting or approved: nothing sent


async def submit(session: AsyncSession, participant: Participant, now: datetime) -> SentPlan | None:
    """Send the participant's saved plan to their mentor (a waiting one is superseded); None
    without a mentor or a plan."""
    mentorship = await active_mentor(session, participant.id)
    plan = await load_plan(session, participant.id)
    if mentorship is None or plan is None:
        return None
    sent_now = snapshot(plan, await milestones_of(session, participant.id))
    latest = await _latest(session, participant.id)
    if (
        latest is not None
        and latest.mentorship_id == mentorship.id
        and latest.state in (Review.WAITING, Review.APPROVED)
        and latest.snapshot == sent_now
    ):
        # Saved again without a change (or changed and changed back): the approval stands.
        return SentPlan(latest, mentorship, participant, unchanged=True)
    await session.execute(
        update(PlanReview)
        .where(PlanReview.participant_id == participant.id, PlanReview.state == Review.WAITING)
        .values(state=Review.SUPERSEDED, comment_asked_at=None)
    )
    review = PlanReview(
        participant_id=participant.id,
        mentorship_id=mentorship.id,
        snapshot=sent_now,
        state=Review.WAITING,
        submitted_at=now,
    )
    session.add(review)
    await session.flush()
    return SentPlan(review, mentorship, participant)


async def _latest(session: AsyncSession, participant_id: int) -> PlanReview | None:
    return await session.scalar(
        select(PlanReview)
        .where(PlanReview.participant_id == participant_id)
        .order_by(PlanReview.id.desc())
        .limit(1)
    )


async def status_of(session: AsyncSession, participant_id: int) -> PlanStatus:
    # The latest copy sent: superseded only when its mentorship ended before a decision (a
    # plan saved again is sent again at once), so then nobody has it to decide.
    latest = await _latest(session, participant_id)
    if await load_plan(session, participant_id) is None:
        return PlanStatus(Status.NO_PLAN)
    if latest is None or latest.state == Review.SUPERSEDED:
        return PlanStatus(Status.NO_MENTOR)
    return PlanStatus(Status(latest.state), latest)


async def latest_decisions(session: AsyncSession, cohort_id: int) -> dict[int, Status]:
    """The cohort's participants whose plan went to a mentor, with where it stands (one
    query, for the reports; the others have no mentor, or no plan)."""
    rows = await session.execute(
        select(PlanReview.participant_id, PlanReview.state)
        .join(Participant, Participant.id == PlanReview.participant_id)
        .where(Participant.cohort_id == cohort_id)
        .order_by(PlanReview.id)
    )
    latest = {participant_id: state for participant_id, state in rows.all()}  # the last stays
    return {  # superseded last: its mentorship ended before a decision (see status_of)
        pid: Status.NO_MENTOR if state == Review.SUPERSEDED else Status(state)
        for pid, state in latest.items()
    }


def plan_status(has_plan: bool, decision: Status | None) -> Status:
    if not has_plan:
        return Status.NO_PLAN
    return decision or Status.NO_MENTOR


@dataclass(frozen=True)
class Decided:
    """A mentor's decision (or its first step), or None fields when it cannot be made: the
    review is not theirs, not the latest, or decided already."""

    review: PlanReview | None
    participant: Participant | None
    mentorship: Mentorship | None


_REFUSED = Decided(None, None, None)


async def _reviewable(
    session: AsyncSession, person_id: int, review_id: int
) -> tuple[PlanReview, Participant, Mentorship] | None:
    """The waiting review `review_id`, when `person_id` is its participant's mentor now."""
    review = await session.scalar(
        select(PlanReview).where(PlanReview.id == review_id).with_for_update()
    )
    if review is None or review.state != Review.WAITING:
        return None
    mentorship = (
        await session.get(Mentorship, review.mentorship_id) if review.mentorship_id else None
    )
    if (
        mentorship is None
        or mentorship.state != MentorState.ACTIVE
        or mentorship.mentor_person_id != person_id
    ):
        return None
    participant = await session.get(
        Participant, review.participant_id, options=[selectinload(Participant.cohort)]
    )
    assert participant is not None
    return review, participant, mentorship


async def approve(session: AsyncSession, person_id: int, review_id: int, now: datetime) -> Decided:
    found = await _reviewable(session, person_id, review_id)
    if found is None:
        return _REFUSED
    review, participant, mentorship = found
    review.state = Review.APPROVED
    review.decided_at, review.decided_by, review.comment_asked_at = now, person_id, None
    return Decided(review, participant, mentorship)


async def ask_for_changes(
    session: AsyncSession, person_id: int, review_id: int, now: datetime
) -> Decided:
    """The mentor will type what to change: their next text is the comment (`COMMENT_WAIT`)."""
    found = await _reviewable(session, person_id, review_id)
    if found is None:
        return _REFUSED
    review, participant, mentorship = found
    # One comment awaited at a time: another review's "ask for changes" is forgotten.
    await session.execute(
        update(PlanReview)
        .where(PlanReview.decided_by.is_(None), PlanReview.id != review.id)
        .where(PlanReview.mentorship_id.in_(_mentorships_of(person_id)))
        .values(comment_asked_at=None)
    )
    review.comment_asked_at = now
    return Decided(review, participant, mentorship)


def _mentorships_of(person_id: int):  # type: ignore[no-untyped-def]
    """The person's mentorships now (a former mentor's comment is awaited no more)."""
    return select(Mentorship.id).where(
        Mentorship.mentor_person_id == person_id, Mentorship.state == MentorState.ACTIVE
    )


async def comment_awaited(
    session: AsyncSession, person_id: int, now: datetime
) -> PlanReview | None:
    """The review whose comment this mentor is about to type, if any."""
    return await session.scalar(
        select(PlanReview)
        .where(
            PlanReview.state == Review.WAITING,
            PlanReview.comment_asked_at > now - COMMENT_WAIT,
            PlanReview.mentorship_id.in_(_mentorships_of(person_id)),
        )
        .order_by(PlanReview.comment_asked_at.desc())
        .limit(1)
    )


async def give_comment(
    session: AsyncSession, person_id: int, review_id: int, comment: str, now: datetime
) -> Decided:
    """The mentor's typed comment: changes asked (checked again: still theirs, still waiting)."""
    found = await _reviewable(session, person_id, review_id)
    if found is None:
        return _REFUSED
    review, participant, mentorship = found
    review.state = Review.CHANGES
    review.comment = comment
    review.decided_at, review.decided_by, review.comment_asked_at = now, person_id, None
    return Decided(review, participant, mentorship)


async def forget_comment(session: AsyncSession, person_id: int) -> bool:
    """/batal while a comment is awaited: the plan waits for a decision again."""
    result = await session.execute(
        update(PlanReview)
        .where(
            PlanReview.state == Review.WAITING,
            PlanReview.comment_asked_at.is_not(None),
            PlanReview.mentorship_id.in_(_mentorships_of(person_id)),
        )
        .values(comment_asked_at=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def waiting_for_mentor(
    session: AsyncSession, person_id: int, limit: int
) -> list[tuple[PlanReview, Participant]]:
    """The plans waiting for this mentor's decision, oldest first (one query)."""
    rows = await session.execute(
        select(PlanReview, Participant)
        .join(Participant, Participant.id == PlanReview.participant_id)
        .where(
            PlanReview.state == Review.WAITING,
            PlanReview.mentorship_id.in_(_mentorships_of(person_id)),
        )
        .options(selectinload(Participant.cohort))
        .order_by(PlanReview.submitted_at, PlanReview.id)
        .limit(limit)
    )
    return [(review, participant) for review, participant in rows.all()]


async def history(session: AsyncSession, participant_id: int) -> list[PlanReview]:
    """Every review of the participant's plan, oldest first (for /dataku and reports)."""
    return list(
        (
            await session.scalars(
                select(PlanReview)
                .where(PlanReview.participant_id == participant_id)
                .order_by(PlanReview.id)
            )
        ).all()
    )


def plan_of(review: PlanReview) -> tuple[str, list[dict[str, object]]]:
    """The title and habits of the plan as it was sent."""
    data = json.loads(review.snapshot)
    return str(data.get("title", "")), list(data.get("habits", []))


def milestones_sent(review: PlanReview) -> list[tuple[str, date]]:
    """The milestones (title, due date) of the plan as it was sent."""
    data = json.loads(review.snapshot)
    return [
        (str(m["title"]), date.fromisoformat(str(m["due"]))) for m in data.get("milestones", [])
    ]
