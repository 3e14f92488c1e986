"""Daily check-ins: what is due on a local day, logging it (idempotently), and progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput, TooLong
from core.habits import Entry, HabitSpec, HabitStats, Kind, Schedule, Status, habit_stats
from core.mentors import withdraw_waiting_plans
from storage.db import dialect_insert
from storage.evaluations import EvaluationAnswer
from storage.mentoring import (
    Consultation,
    Evidence,
    FollowUp,
    MentorDigest,
    Mentorship,
    Milestone,
    PlanReview,
)
from storage.models import (
    ActionPlan,
    CheckIn,
    Contact,
    Delivery,
    Habit,
    Participant,
    PlanDraft,
    Reflection,
    Reminder,
)
from storage.quizzes import PulseAnswer, QuizAnswer
from storage.training import Attendance

BACKFILL_DAYS = 7
NOTE_MAX = 500
REASON_MAX = 120
SKIP_REASONS = ("sick", "duty", "leave")  # sakit, dinas luar, cuti; "other" is typed


def spec_of(habit: Habit) -> HabitSpec:
    return HabitSpec(Kind(habit.kind), Schedule.decode(habit.schedule), habit.target)


async def active_habits(session: AsyncSession, participant_id: int) -> list[Habit]:
    result = await session.execute(
        select(Habit)
        .join(ActionPlan)
        .where(ActionPlan.participant_id == participant_id, Habit.removed_at.is_(None))
        .order_by(Habit.position, Habit.id)
    )
    return list(result.scalars())


# The statements of a check-in, built once: on this path building them cost more than running
# them (bench/checkin.py).
_HABIT_OF = (
    select(Habit)
    .join(ActionPlan)
    .where(
        Habit.id == bindparam("habit_id"),
        Habit.removed_at.is_(None),
        ActionPlan.participant_id == bindparam("participant_id"),
    )
)
_DAY_SHEET = (
    select(
        Habit,
        CheckIn,
        select(Reflection.text)
        .where(
            Reflection.participant_id == bindparam("participant_id"),
            Reflection.day == bindparam("day"),
        )
        .scalar_subquery(),
    )
    .join(ActionPlan, ActionPlan.id == Habit.plan_id)
    .outerjoin(CheckIn, (CheckIn.habit_id == Habit.id) & (CheckIn.day == bindparam("day")))
    .where(ActionPlan.participant_id == bindparam("participant_id"), Habit.removed_at.is_(None))
    .order_by(Habit.position, Habit.id)
    .execution_options(populate_existing=True)  # just written by `record`, maybe
)
_UPSERTS: dict[str, Any] = {}


def _upsert(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT (habit, day) DO UPDATE, built once per dialect."""
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERTS:
        statement = dialect_insert(session)(CheckIn)
        _UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=[CheckIn.habit_id, CheckIn.day],
            set_={
                k: statement.excluded[k] for k in ("status", "value", "skip_reason", "logged_at")
            },
        )
    return _UPSERTS[dialect]


async def habit_of(session: AsyncSession, participant_id: int, habit_id: int) -> Habit:
    """The participant's own active habit; another's, a removed or a made-up one is refused."""
    habit = await session.scalar(
        _HABIT_OF, {"habit_id": habit_id, "participant_id": participant_id}
    )
    if habit is None:
        raise InvalidInput("button.stale")
    return habit


def earliest_day(participant: Participant, today: date) -> date:
    """How far back a day can be logged: a week, but not before the cohort started."""
    return max(today - timedelta(days=BACKFILL_DAYS), participant.cohort.starts_on)


def example_day(participant: Participant, today: date) -> date:
    """A date to show in `/lapor YYYY-MM-DD`'s example: two days back if it can be logged
    (yesterday has its own word), else the earliest day that can."""
    return max(today - timedelta(days=2), earliest_day(participant, today))


def check_day(participant: Participant, day: date, today: date) -> date:
    if day > today or day < earliest_day(participant, today):
        raise InvalidInput("checkin.day_out_of_range")
    return day


class Logged(NamedTuple):
    """A check-in as read for a report: its values only (a cohort's reports read thousands,
    and thousands of ORM objects cost the event loop tens of milliseconds to let go of)."""

    day: date
    status: str
    value: float | None
    skip_reason: str | None


@dataclass(frozen=True)
class SheetLine:
    habit: Habit
    entry: CheckIn | Logged | None
    due: bool
    not_yet: bool = False  # the day is before the habit was added to the plan


@dataclass(frozen=True)
class DaySheet:
    day: date
    lines: list[SheetLine]
    reflection: str | None

    @property
    def due(self) -> list[SheetLine]:
        return [line for line in self.lines if line.due]

    @property
    def complete(self) -> bool:
        return bool(self.due) and all(line.entry is not None for line in self.due)


async def day_sheet(session: AsyncSession, participant: Participant, day: date) -> DaySheet:
    """Every active habit with its entry for `day`, and whether it is scheduled that day."""
    # One statement, with the day's reflection: a check-in answers with this sheet.
    rows = (await session.execute(_DAY_SHEET, {"participant_id": participant.id, "day": day})).all()
    lines = [
        SheetLine(
            h,
            c,
            h.created_on <= day and spec_of(h).schedule.is_scheduled(day),
            not_yet=day < h.created_on,
        )
        for h, c, _ in rows
    ]
    return DaySheet(day, lines, rows[0][2] if rows else None)


async def record(
    session: AsyncSession,
    participant: Participant,
    habit: Habit,
    day: date,
    status: Status,
    *,
    today: date,
    now: datetime,
    value: float | None = None,
    reason: str | None = None,
) -> None:
    """Log one of the participant's habits (see `habit_of`) for one day; logging the same habit
    and day again replaces the entry, so a repeated update or a double tap never counts twice."""
    check_day(participant, day, today)
    if day < habit.created_on:
        raise InvalidInput("checkin.before_habit")
    if status == Status.DONE and habit.kind == Kind.NUMERIC.value and value is None:
        value = habit.target
    if status != Status.DONE:
        value = None
    if status != Status.SKIPPED:
        reason = None
    elif reason is not None:
        reason = " ".join(reason.split())[:REASON_MAX]
    values = {
        "habit_id": habit.id,
        "participant_id": participant.id,
        "day": day,
        "status": status.value,
        "value": value,
        "skip_reason": reason,
        "logged_at": now,
    }
    # One statement whatever came before: the unique (habit, day) row is replaced.
    await session.execute(_upsert(session), values)


async def undo(
    session: AsyncSession, participant: Participant, habit: Habit, day: date, *, today: date
) -> None:
    """Take back the entry of one of the participant's habits (see `habit_of`) for one day: the
    day is open again, as if never logged. Nothing there (a double tap) is not an error."""
    check_day(participant, day, today)
    if day < habit.created_on:
        raise InvalidInput("checkin.before_habit")
    await session.execute(
        delete(CheckIn).where(
            CheckIn.habit_id == habit.id,
            CheckIn.participant_id == participant.id,
            CheckIn.day == day,
        )
    )


async def skip_days(
    session: AsyncSession,
    participant: Participant,
    first: date,
    last: date,
    reason: str,
    *,
    today: date,
    now: datetime,
) -> int:
    """Log every active habit due on `first` … `last` as skipped with `reason` (core.pauses: a
    pause for leave, travel or sickness). Days may lie ahead; today keeps what the participant
    logged, except an earlier pause's skip. Returns how many entries were written."""
    habits = await active_habits(session, participant.id)
    logged_today = {
        c.habit_id: c
        for c in await session.scalars(
            select(CheckIn).where(CheckIn.participant_id == participant.id, CheckIn.day == today)
        )
    }
    written = 0
    day = first
    while day <= last:
        for habit in habits:
            if day < habit.created_on or not spec_of(habit).schedule.is_scheduled(day):
                continue
            entry = logged_today.get(habit.id) if day == today else None
            if entry is not None and not (
                entry.status == Status.SKIPPED.value and entry.skip_reason in SKIP_REASONS
            ):
                continue
            values = {
                "habit_id": habit.id,
                "participant_id": participant.id,
                "day": day,
                "status": Status.SKIPPED.value,
                "value": None,
                "skip_reason": reason,
                "logged_at": now,
            }
            await session.execute(_upsert(session), values)
            written += 1
        day += timedelta(days=1)
    return written


async def drop_days_ahead(session: AsyncSession, participant: Participant, today: date) -> None:
    """Take back every entry after `today`: only a pause writes those (`skip_days`)."""
    await session.execute(
        delete(CheckIn).where(CheckIn.participant_id == participant.id, CheckIn.day > today)
    )


async def save_reflection(
    session: AsyncSession, participant: Participant, day: date, text: str, *, today: date
) -> None:
    check_day(participant, day, today)
    text = text.strip()
    if not text:
        raise InvalidInput("checkin.note_empty")
    if len(text) > NOTE_MAX:
        raise TooLong("reflection", NOTE_MAX, len(text))
    note = await session.scalar(
        select(Reflection).where(Reflection.participant_id == participant.id, Reflection.day == day)
    )
    if note is None:
        note = Reflection(participant_id=participant.id, day=day, text=text)
        session.add(note)
    note.text = text


@dataclass(frozen=True)
class HabitProgress:
    habit: Habit
    stats: HabitStats
    entries: dict[date, Entry]
    start: date


def stats_start(participant: Participant, habit: Habit) -> date:
    """Count from the habit's first day, not before the cohort's."""
    return max(participant.cohort.starts_on, habit.created_on)


async def progress(
    session: AsyncSession, participant: Participant, today: date
) -> list[HabitProgress]:
    habits = await active_habits(session, participant.id)
    # Values, not ORM objects: the whole history is read, and objects cost the loop far more.
    rows = await session.execute(
        select(CheckIn.habit_id, CheckIn.day, CheckIn.status, CheckIn.value).where(
            CheckIn.participant_id == participant.id, CheckIn.day <= today
        )
    )
    by_habit: dict[int, dict[date, Entry]] = {}
    for habit_id, day, status, value in rows:
        by_habit.setdefault(habit_id, {})[day] = Entry(day, Status(status), value)
    result = []
    for habit in habits:
        entries = by_habit.get(habit.id, {})
        start = stats_start(participant, habit)
        stats = habit_stats(spec_of(habit), list(entries.values()), start=start, today=today)
        result.append(HabitProgress(habit, stats, entries, start))
    return result


@dataclass(frozen=True)
class Erased:
    cohorts: int
    plans: int
    habits: int
    check_ins: int
    reflections: int


async def erase_personal_data(session: AsyncSession, person_id: int, now: datetime) -> Erased:
    """Delete everything Aksi holds about this person, in every cohort they joined."""
    ids = list(
        await session.scalars(select(Participant.id).where(Participant.person_id == person_id))
    )

    async def count(model: type[CheckIn] | type[Reflection] | type[ActionPlan]) -> int:
        q = select(func.count()).select_from(model).where(model.participant_id.in_(ids))
        return int(await session.scalar(q) or 0)

    habits = int(
        await session.scalar(
            select(func.count())
            .select_from(Habit)
            .join(ActionPlan)
            .where(ActionPlan.participant_id.in_(ids))
        )
        or 0
    )
    erased = Erased(
        len(ids), await count(ActionPlan), habits, await count(CheckIn), await count(Reflection)
    )
    # Children first, so this holds without relying on the database's cascades.
    await session.execute(delete(CheckIn).where(CheckIn.participant_id.in_(ids)))
    await session.execute(delete(Reflection).where(Reflection.participant_id.in_(ids)))
    plan_ids = select(ActionPlan.id).where(ActionPlan.participant_id.in_(ids))
    await session.execute(delete(Habit).where(Habit.plan_id.in_(plan_ids)))
    await session.execute(delete(ActionPlan).where(ActionPlan.participant_id.in_(ids)))
    await session.execute(delete(PlanDraft).where(PlanDraft.participant_id.in_(ids)))
    await session.execute(delete(Reminder).where(Reminder.participant_id.in_(ids)))
    await session.execute(delete(Delivery).where(Delivery.participant_id.in_(ids)))
    await session.execute(delete(PlanReview).where(PlanReview.participant_id.in_(ids)))
    await session.execute(delete(Evidence).where(Evidence.participant_id.in_(ids)))
    await session.execute(delete(Consultation).where(Consultation.participant_id.in_(ids)))
    await session.execute(delete(Milestone).where(Milestone.participant_id.in_(ids)))
    await session.execute(delete(FollowUp).where(FollowUp.participant_id.in_(ids)))
    await session.execute(delete(Attendance).where(Attendance.participant_id.in_(ids)))
    await session.execute(delete(EvaluationAnswer).where(EvaluationAnswer.participant_id.in_(ids)))
    await session.execute(delete(QuizAnswer).where(QuizAnswer.participant_id.in_(ids)))
    await session.execute(delete(PulseAnswer).where(PulseAnswer.participant_id.in_(ids)))
    await session.execute(delete(Mentorship).where(Mentorship.participant_id.in_(ids)))
    await session.execute(delete(Participant).where(Participant.id.in_(ids)))
    # As someone's mentor: the mentorship ends (a plan waiting for them waits for nobody), and
    # nothing says who they were.
    ending = list(
        await session.scalars(
            select(Mentorship.id).where(
                Mentorship.mentor_person_id == person_id, Mentorship.state == "active"
            )
        )
    )
    await session.execute(
        update(Mentorship).where(Mentorship.id.in_(ending)).values(state="ended", ended_at=now)
    )
    await withdraw_waiting_plans(session, ending)
    await session.execute(
        update(PlanReview).where(PlanReview.decided_by == person_id).values(decided_by=None)
    )
    await session.execute(  # as a facilitator who decided excuses: nothing says who they were
        update(Attendance).where(Attendance.decided_by == person_id).values(decided_by=None)
    )
    await session.execute(
        update(Mentorship)
        .where(Mentorship.mentor_person_id == person_id)
        .values(mentor_person_id=None, mentor_name=None, mentor_language=None)
    )
    await session.execute(
        update(Mentorship).where(Mentorship.opened_by == person_id).values(opened_by=None)
    )
    await session.execute(  # their drafts go; what they recorded for others stays, unsigned
        delete(Consultation).where(
            Consultation.recorded_by == person_id, Consultation.state == "draft"
        )
    )
    await session.execute(
        update(Consultation).where(Consultation.recorded_by == person_id).values(recorded_by=None)
    )
    await session.execute(delete(MentorDigest).where(MentorDigest.person_id == person_id))
    # What stays is the bare address the person writes from (without it Aksi could not answer
    # them); their handle on it goes too (the channel tells it again when they next write).
    await session.execute(
        update(Contact).where(Contact.person_id == person_id).values(username=None)
    )
    return erased
