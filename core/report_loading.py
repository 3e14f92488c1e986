"""Reading what a facilitator report needs from the database, in a handful of queries.

`_load` fetches a cohort's participants, their roster NIPs, every habit they ever had, their
check-ins (from a given day, or all), their plans' approvals and, for the export, their
reflections: ten queries at most whatever the size of the cohort, never one per
participant, habit or day. Each member comes with their own time zone and local "today", so
the arithmetic (`core.report_rules`) never has to ask.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.approvals import Status, latest_decisions
from core.attendance import Tally as AttendanceTally
from core.attendance import tallies as attendance_tallies
from core.checkins import Logged
from core.contacts import reachable
from core.follow_up import of_participants
from core.habits import local_today
from core.milestones import Tally as Milestones
from core.milestones import tallies
from core.participants import effective_timezone
from core.quiz_scores import CohortQuizzes, cohort_quizzes
from core.report_types import FollowUpAnswer
from core.roster import not_joined
from storage.models import (
    ActionPlan,
    CheckIn,
    Cohort,
    Habit,
    Participant,
    Reflection,
    RosterEntry,
)


@dataclass
class _Member:
    participant: Participant
    tz: str
    today: date
    nip: str
    unreachable: bool  # no contact reaches them (they blocked the bot)
    habits: list[Habit] = field(default_factory=list)  # every habit ever, by position

    @property
    def name(self) -> str:
        p = self.participant
        return (p.full_name or p.first_name or "").strip() or "—"


@dataclass
class _Loaded:
    cohort: Cohort
    now: datetime
    members: list[_Member]
    entries: dict[int, dict[date, Logged]]  # habit id -> day -> entry
    reflections: dict[tuple[int, date], str]
    not_joined: list[RosterEntry]
    decisions: dict[int, Status]  # participant -> their mentor's latest (core.approvals)
    milestones: dict[int, Milestones]  # participant -> their milestones (core.milestones)
    follow_ups: dict[int, list[FollowUpAnswer]] = field(default_factory=dict)
    attendance: dict[int, AttendanceTally] = field(default_factory=dict)
    quizzes: CohortQuizzes | None = None


async def _load(
    session: AsyncSession, cohort: Cohort, now: datetime, *, since: date | None, notes: bool
) -> _Loaded:
    """Everything a report needs, in thirteen queries at most. `since`: the first day of check-ins
    wanted (None: all)."""
    participants = (
        await session.execute(
            select(Participant, reachable(Participant.person_id))
            .where(Participant.cohort_id == cohort.id)
            .options(joinedload(Participant.cohort))
        )
    ).all()
    nips = {
        pid: nip or ""
        for pid, nip in await session.execute(
            select(RosterEntry.participant_id, RosterEntry.nip).where(
                RosterEntry.cohort_id == cohort.id, RosterEntry.participant_id.is_not(None)
            )
        )
    }
    members: dict[int, _Member] = {}
    for p, reached in participants:
        tz = effective_timezone(p)
        today = local_today(now, tz)
        members[p.id] = _Member(p, tz, today, nips.get(p.id, ""), not reached)
    habit_rows = await session.execute(
        select(Habit, ActionPlan.participant_id)
        .join(ActionPlan, ActionPlan.id == Habit.plan_id)
        .join(Participant, Participant.id == ActionPlan.participant_id)
        .where(Participant.cohort_id == cohort.id)
        .order_by(Habit.position, Habit.id)
    )
    for habit, participant_id in habit_rows:
        members[participant_id].habits.append(habit)
    query = (
        select(CheckIn.habit_id, CheckIn.day, CheckIn.status, CheckIn.value, CheckIn.skip_reason)
        .join(Participant, Participant.id == CheckIn.participant_id)
        .where(Participant.cohort_id == cohort.id)
    )
    if since is not None:
        query = query.where(CheckIn.day >= since)
    entries: dict[int, dict[date, Logged]] = defaultdict(dict)
    for habit_id, day, status, value, reason in await session.execute(query):
        entries[habit_id][day] = Logged(day, status, value, reason)
    reflections: dict[tuple[int, date], str] = {}
    if notes:
        for r in await session.scalars(
            select(Reflection)
            .join(Participant, Participant.id == Reflection.participant_id)
            .where(Participant.cohort_id == cohort.id)
        ):
            reflections[(r.participant_id, r.day)] = r.text
    ordered = sorted(members.values(), key=lambda m: (m.name.casefold(), m.participant.id))
    return _Loaded(
        cohort,
        now,
        ordered,
        entries,
        reflections,
        await not_joined(session, cohort.id),
        await latest_decisions(session, cohort.id),
        await tallies(
            session,
            [m.participant.id for m in ordered],
            {m.participant.id: m.today for m in ordered},
        ),
        await _follow_ups(session, cohort, now, [m.participant.id for m in ordered]),
        await attendance_tallies(session, cohort, [m.participant for m in ordered], now),
        await cohort_quizzes(session, cohort.id, [m.participant.id for m in ordered]),
    )


async def _follow_ups(
    session: AsyncSession, cohort: Cohort, now: datetime, ids: list[int]
) -> dict[int, list[FollowUpAnswer]]:
    """The follow-up questions asked after the course (none read before its last day)."""
    if cohort.follow_up_days == 0 or now.date() < cohort.ends_on:
        return {}
    asked = await of_participants(session, ids)
    return {
        pid: [FollowUpAnswer(q.offset_days, q.status, q.answer, q.note) for q in questions]
        for pid, questions in asked.items()
    }
