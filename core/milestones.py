"""Milestones (*tahapan*): the dated steps of an action plan, besides its daily habits — a
title, a due date, done or not with the day it was done. A follow-up study of alumni projects
found that milestones decided whether a project kept going after the course.

A milestone is written in two steps (its title, then its date): the row exists from the title
on, without a date, until the date is given (`due_on` None; at most one such row per
participant, dropped by /batal or by starting another). The milestones' titles and dates are
part of the plan the mentor approves (core.approvals); marking one done is not a change of the
plan. Dates are the participant's own days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from storage.mentoring import Evidence, Milestone

MAX_MILESTONES = 8
TITLE_MIN = 3
TITLE_MAX = 150
MAX_AHEAD = timedelta(days=366)  # a due date at most a year ahead
QUICK_WEEKS = (1, 2, 4)  # the one-tap due dates: in one, two, four weeks


def clean_title(typed: str) -> str:
    """The title as typed, spaces tidied; InvalidInput `milestone.title_short`/`_long`."""
    title = " ".join(typed.split())
    if len(title) < TITLE_MIN:
        raise InvalidInput("milestone.title_short")
    if len(title) > TITLE_MAX:
        raise InvalidInput("milestone.title_long")
    return title


def check_due(due: date, today: date) -> date:
    """InvalidInput `milestone.due_past` or `milestone.due_far` unless today ≤ due ≤ a year."""
    if due < today:
        raise InvalidInput("milestone.due_past")
    if due > today + MAX_AHEAD:
        raise InvalidInput("milestone.due_far")
    return due


def is_overdue(milestone: Milestone, today: date) -> bool:
    return milestone.done_on is None and milestone.due_on is not None and milestone.due_on < today


async def milestones_of(session: AsyncSession, participant_id: int) -> list[Milestone]:
    """The participant's milestones (those with a date), by due date."""
    return list(
        (
            await session.scalars(
                select(Milestone)
                .where(Milestone.participant_id == participant_id, Milestone.due_on.is_not(None))
                .order_by(Milestone.due_on, Milestone.id)
            )
        ).all()
    )


async def discard_draft(session: AsyncSession, participant_id: int) -> bool:
    """Drop a milestone whose date was never given; whether there was one."""
    result = await session.execute(
        delete(Milestone).where(
            Milestone.participant_id == participant_id, Milestone.due_on.is_(None)
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def start(session: AsyncSession, participant_id: int, typed: str, now: datetime) -> Milestone:
    """A new milestone's title: kept, waiting for its date. InvalidInput for a title too short
    or too long, or `milestone.too_many` past MAX_MILESTONES."""
    title = clean_title(typed)
    await discard_draft(session, participant_id)
    if len(await milestones_of(session, participant_id)) >= MAX_MILESTONES:
        raise InvalidInput("milestone.too_many")
    milestone = Milestone(participant_id=participant_id, title=title, created_at=now)
    session.add(milestone)
    await session.flush()
    return milestone


async def draft_of(session: AsyncSession, participant_id: int) -> Milestone | None:
    return await session.scalar(
        select(Milestone).where(
            Milestone.participant_id == participant_id, Milestone.due_on.is_(None)
        )
    )


async def set_due(
    session: AsyncSession, participant_id: int, due: date, today: date
) -> Milestone | None:
    """The date of the milestone being written (None: there is none any more)."""
    milestone = await draft_of(session, participant_id)
    if milestone is None:
        return None
    milestone.due_on = check_due(due, today)
    return milestone


async def own(session: AsyncSession, participant_id: int, milestone_id: int) -> Milestone | None:
    """Milestone `milestone_id` when it is this participant's (with a date)."""
    milestone = await session.get(Milestone, milestone_id)
    if milestone is None or milestone.participant_id != participant_id or milestone.due_on is None:
        return None
    return milestone


async def mark(
    session: AsyncSession,
    participant_id: int,
    milestone_id: int,
    *,
    done: bool,
    today: date,
    now: datetime,
) -> Milestone | None:
    """Mark the participant's own milestone done (today) or not done; None when it is not
    theirs or not there any more. Marking it as it already is changes nothing."""
    milestone = await own(session, participant_id, milestone_id)
    if milestone is None:
        return None
    if done and milestone.done_on is None:
        milestone.done_on, milestone.done_at = today, now
    elif not done:
        milestone.done_on = milestone.done_at = None
    return milestone


async def remove(
    session: AsyncSession, participant_id: int, milestone_id: int, today: date
) -> Milestone | None:
    """Delete the participant's own milestone; the removed row, or None. Its evidence goes
    back to a day: the one it was done on, else `today`."""
    milestone = await own(session, participant_id, milestone_id)
    if milestone is not None:
        await session.execute(
            update(Evidence)
            .where(Evidence.milestone_id == milestone.id)
            .values(milestone_id=None, day=func.coalesce(Evidence.day, milestone.done_on or today))
        )
        await session.delete(milestone)
        await session.flush()
    return milestone


@dataclass(frozen=True)
class Tally:
    """A participant's milestones in figures."""

    total: int
    done: int
    overdue: int
    overdue_titles: tuple[str, ...] = ()


def tally(milestones: list[Milestone], today: date) -> Tally:
    overdue = [m.title for m in milestones if is_overdue(m, today)]
    done = sum(1 for m in milestones if m.done_on is not None)
    return Tally(len(milestones), done, len(overdue), tuple(overdue))


async def tallies(
    session: AsyncSession, participant_ids: list[int], today_of: dict[int, date]
) -> dict[int, Tally]:
    """Each participant's tally (one query), at their own `today`; those with no milestone
    are left out."""
    if not participant_ids:
        return {}
    rows = (
        await session.scalars(
            select(Milestone)
            .where(Milestone.participant_id.in_(participant_ids), Milestone.due_on.is_not(None))
            .order_by(Milestone.due_on, Milestone.id)
        )
    ).all()
    by_participant: dict[int, list[Milestone]] = {}
    for milestone in rows:
        by_participant.setdefault(milestone.participant_id, []).append(milestone)
    return {pid: tally(found, today_of[pid]) for pid, found in by_participant.items()}


def snapshot_of(milestones: list[Milestone]) -> list[dict[str, str]]:
    """The milestones as they go into the plan sent to the mentor: titles and dates."""
    return [{"title": m.title, "due": f"{m.due_on:%Y-%m-%d}"} for m in milestones if m.due_on]
