"""The final report per participant (LAN's rules: the action plan, its approval, its carrying out
and its evaluation, on paper for the certificate): everything Aksi holds about one participant's
action plan, read in one go into plain values — the plan and its approval history, milestones
with dates, consultations (the *form pengendalian*), habit completion and streaks (with what
the heatmap needs), the evidence list and the follow-up answers. `core.final_report_pdf` lays
it out; who may ask for it is `core.evidence.may_see`'s rule (the participant, their mentor now,
the facilitators of their cohort)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import attendance, checkins, mentors
from core.approvals import history
from core.checkins import HabitProgress
from core.consultations import of_participant as consultations_of
from core.evidence import evidence_of
from core.follow_up import counted_until
from core.follow_up import of_participants as follow_ups_of
from core.habits import Schedule, ScheduleKind, local_today
from core.milestones import milestones_of
from core.participants import effective_timezone
from core.plans import load_plan
from core.report_types import FollowUpAnswer
from storage.mentoring import Mentorship
from storage.models import Participant, RosterEntry

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def schedule_words(label: Callable[..., str], encoded: str) -> str:
    """A habit's schedule in words ("Setiap hari", "Sen, Rab", "3× seminggu")."""
    schedule = Schedule.decode(encoded)
    if schedule.kind == ScheduleKind.DAILY:
        return label("schedule_kind.daily")
    if schedule.kind == ScheduleKind.PER_WEEK:
        return label("schedule_kind.per_week", n=schedule.per_week)
    if schedule.weekdays == frozenset(range(5)):
        return label("schedule_kind.workdays")
    return ", ".join(label(f"weekday.{WEEKDAY_KEYS[d]}") for d in sorted(schedule.weekdays))


@dataclass(frozen=True)
class Review:
    state: str  # core.approvals.Review: waiting, approved, changes, superseded, withdrawn
    submitted_on: date
    decided_on: date | None
    comment: str | None
    mentor: str | None


@dataclass(frozen=True)
class Step:
    title: str
    due_on: date | None
    done_on: date | None


@dataclass(frozen=True)
class Consulted:
    held_on: date | None
    topic: str
    outcome: str
    next_step: str
    state: str  # unconfirmed, confirmed, disputed
    by_mentor: bool


@dataclass(frozen=True)
class Proof:
    day: date
    name: str
    mime_type: str
    size: int
    caption: str
    milestone: str
    sha256: str


@dataclass(frozen=True)
class Attended:
    day: date  # the session's local date
    title: str
    state: str | None  # core.attendance.State; None: absent


@dataclass(frozen=True)
class Dossier:
    participant_id: int
    name: str
    unit: str
    nip: str
    cohort_code: str
    cohort_name: str
    starts_on: date
    ends_on: date
    timezone: str
    today: date  # the participant's local date when it was made
    counted_until: date  # the last day the progress counts (core.follow_up)
    made_at: datetime  # UTC
    mentor: str | None
    plan_title: str | None
    progress: list[HabitProgress]  # per habit: stats and entries (the heatmap's too)
    reviews: list[Review]
    milestones: list[Step]
    consultations: list[Consulted]
    evidence: list[Proof]
    follow_ups: list[FollowUpAnswer]
    attendance: list[Attended]

    @property
    def file_name(self) -> str:
        """`laporan-REVMEN1-17.pdf`: ASCII only, whatever the name."""
        return f"laporan-{self.cohort_code}-{self.participant_id}.pdf"


async def dossier(session: AsyncSession, participant: Participant, now: datetime) -> Dossier:
    """Read everything the final report shows about `participant` (its cohort loaded)."""
    cohort = participant.cohort
    tz = effective_timezone(participant)
    today = local_today(now, tz)
    until = counted_until(participant, today)
    nip = await session.scalar(
        select(RosterEntry.nip).where(RosterEntry.participant_id == participant.id)
    )
    mentorship = await mentors.active_mentor(session, participant.id)
    names = {
        m.id: m.mentor_name
        for m in await session.scalars(
            select(Mentorship).where(Mentorship.participant_id == participant.id)
        )
    }
    plan = await load_plan(session, participant.id)
    reviews = [
        Review(
            r.state,
            r.submitted_at.astimezone(ZoneInfo(tz)).date(),
            r.decided_at.astimezone(ZoneInfo(tz)).date() if r.decided_at else None,
            r.comment,
            names.get(r.mentorship_id or 0),
        )
        for r in await history(session, participant.id)
    ]
    steps = await milestones_of(session, participant.id)
    titles = {m.id: m.title for m in steps}
    evidence = [
        Proof(
            e.day or e.created_at.astimezone(ZoneInfo(tz)).date(),
            e.name,
            e.mime_type,
            e.size,
            e.caption or "",
            titles.get(e.milestone_id or 0, ""),
            e.sha256,
        )
        for e in await evidence_of(session, participant.id)
    ]
    asked = (await follow_ups_of(session, [participant.id])).get(participant.id, [])
    held = attendance.held(await attendance.sessions_of(session, cohort.id), cohort, now)
    states = {
        r.session_id: r.state
        for r in await attendance.rows_of(session, [s.id for s in held])
        if r.participant_id == participant.id
    }
    return Dossier(
        participant_id=participant.id,
        name=(participant.full_name or participant.first_name or "").strip() or "—",
        unit=(participant.unit or "").strip(),
        nip=nip or "",
        cohort_code=cohort.code,
        cohort_name=cohort.name,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        timezone=tz,
        today=today,
        counted_until=until,
        made_at=now,
        mentor=mentorship.mentor_name if mentorship is not None else None,
        plan_title=plan.title if plan is not None else None,
        progress=await checkins.progress(session, participant, until),
        reviews=reviews,
        milestones=[Step(m.title, m.due_on, m.done_on) for m in steps if m.due_on is not None],
        consultations=[
            Consulted(
                c.held_on,
                c.topic or "",
                c.outcome or "",
                c.next_step or "",
                c.state,
                c.by_mentor,
            )
            for c in await consultations_of(session, participant.id)
        ],
        evidence=evidence,
        follow_ups=[FollowUpAnswer(q.offset_days, q.status, q.answer, q.note) for q in asked],
        attendance=[
            Attended(s.starts_at.astimezone(ZoneInfo(tz)).date(), s.title, states.get(s.id))
            for s in held
        ],
    )
