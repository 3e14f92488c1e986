"""Facilitator reports: who has checked in today, 7-day completion, and the export rows.

Plain functions, no Telegram types. The rules, in one place:

* **Each participant's own day.** "Today" is the participant's local date (their zone, else the
  cohort's: `core.participants.effective_timezone`), so at 23:30 WIB a participant in WITA is
  already on the next day.
* **Today's state** (`day_state`, one rule for /rekap, the daily digest and the export's
  summary) follows the check-in sheet (`core.checkins.DaySheet`): the habits of the current
  plan that exist and are scheduled today are due, and a habit skipped today (with a reason)
  is not — the rule of 7-day completion. *Complete* when every habit still due is done (a
  numeric one when its target is reached); *partly* when something is logged but not every
  habit is done (a habit marked not done, a number below its target, or some not logged yet);
  *not yet* when nothing is logged; *no plan* without a plan (or with no habit left);
  *nothing due* when no habit is due today (a day off the schedule, a habit that starts later,
  before the cohort starts, or every due habit skipped).
* **7-day completion** is done habit-days ÷ due habit-days over the participant's last seven
  local days, **today included once logged**: while today has no entry it is open, neither done
  nor due — the rule of /progres (`core.habits`), so one habit's figure is its
  `HabitStats.completion_7`. A skipped day is not due; a day off the schedule is not due; days
  before the habit existed (or before the cohort started) do not count; a NUMERIC day is done
  when its target was reached. A habit of N times a week is due N/7 of each counted day
  (at most its done days count). A habit removed from the plan counts up to the day before it
  was removed, so a changed plan does not rewrite the past.
* **Export**: one row per participant, habit and day, from the habit's first day (not before
  the cohort's start) to today or the cohort's end, whichever is first; a habit removed from
  the plan stops the day before. Days without an entry are "not logged"; days off a habit's
  schedule appear only when something was logged on them. A number logged below the habit's
  target is "partly", as on the check-in sheet and in today's state.

Everything is read with a handful of queries whatever the size of the cohort (no query per
participant, habit or day).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from core.checkins import DaySheet, SheetLine, spec_of
from core.habits import Entry, ScheduleKind, Status, achieved, local_today
from core.participants import effective_timezone
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

WINDOW_DAYS = 7
_ONE_DAY = timedelta(days=1)


class DayState(StrEnum):
    COMPLETE = "complete"
    PARTLY = "partly"
    NOT_YET = "not_yet"
    NO_PLAN = "no_plan"
    NOTHING_DUE = "nothing_due"


# The order a facilitator reads them in: who needs a nudge first.
STATE_ORDER = (
    DayState.NOT_YET,
    DayState.PARTLY,
    DayState.NO_PLAN,
    DayState.COMPLETE,
    DayState.NOTHING_DUE,
)


class ExportStatus(StrEnum):
    DONE = "done"
    PARTLY = "partly"  # a number logged below the habit's target
    NOT_DONE = "not_done"
    SKIPPED = "skipped"
    NOT_LOGGED = "not_logged"


@dataclass(frozen=True)
class Tally:
    """Habit-days done and due (fractions for N-times-a-week habits)."""

    done: float = 0.0
    due: float = 0.0

    @property
    def completion(self) -> float | None:
        """done ÷ due, 0..1; None when nothing was due."""
        if self.due <= 0:
            return None
        return min(1.0, self.done / self.due)

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.done + other.done, self.due + other.due)


@dataclass(frozen=True)
class PersonReport:
    participant_id: int
    name: str
    unit: str  # "" when not told
    nip: str  # "" unless tied to a roster row with a NIP
    timezone: str
    today: date  # their local date
    state: DayState
    logged: int  # due habits logged today (done or not done)
    due: int  # habits due today, not counting those skipped today
    week: Tally  # the last seven local days, today once logged
    unreachable: bool  # Telegram said they blocked the bot
    done: int = 0  # due habits done today (numeric: target reached)
    skipped: int = 0  # habits scheduled today and skipped with a reason


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    now: datetime
    today: date  # the cohort's local date
    people: list[PersonReport]  # by name
    not_joined: list[RosterEntry]  # roster order

    def in_state(self, *states: DayState) -> list[PersonReport]:
        return [p for p in self.people if p.state in states]

    @property
    def counts(self) -> dict[DayState, int]:
        counts = dict.fromkeys(STATE_ORDER, 0)
        for person in self.people:
            counts[person.state] += 1
        return counts

    @property
    def week(self) -> Tally:
        """The cohort's 7-day completion: every participant's habit-days together."""
        total = Tally()
        for person in self.people:
            total += person.week
        return total


@dataclass(frozen=True)
class ExportRow:
    participant_id: int
    name: str
    unit: str
    nip: str
    day: date
    habit: str
    measure: str  # the unit of measure of a numeric habit, else ""
    target: float | None
    value: float | None
    status: ExportStatus
    reason: str | None  # a skip's reason: "sick", "duty", "leave" or typed text
    reflection: str | None  # the participant's reflection on that day


@dataclass(frozen=True)
class Export:
    report: CohortReport
    rows: list[ExportRow]


# --- loading ------------------------------------------------------------------------------


@dataclass
class _Member:
    participant: Participant
    tz: str
    today: date
    nip: str
    habits: list[Habit] = field(default_factory=list)  # every habit ever, by position

    @property
    def name(self) -> str:
        p = self.participant
        return (p.full_name or p.first_name or p.telegram_username or "").strip() or "—"


@dataclass
class _Loaded:
    cohort: Cohort
    now: datetime
    members: list[_Member]
    entries: dict[int, dict[date, CheckIn]]  # habit id -> day -> entry
    reflections: dict[tuple[int, date], str]
    not_joined: list[RosterEntry]


async def _load(
    session: AsyncSession, cohort: Cohort, now: datetime, *, since: date | None, notes: bool
) -> _Loaded:
    """Everything a report needs, in six queries at most. `since`: the first day of check-ins
    wanted (None: all)."""
    participants = (
        await session.scalars(
            select(Participant)
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
    for p in participants:
        tz = effective_timezone(p)
        members[p.id] = _Member(p, tz, local_today(now, tz), nips.get(p.id, ""))
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
        select(CheckIn)
        .join(Participant, Participant.id == CheckIn.participant_id)
        .where(Participant.cohort_id == cohort.id)
    )
    if since is not None:
        query = query.where(CheckIn.day >= since)
    entries: dict[int, dict[date, CheckIn]] = defaultdict(dict)
    for c in await session.scalars(query):
        entries[c.habit_id][c.day] = c
    reflections: dict[tuple[int, date], str] = {}
    if notes:
        for r in await session.scalars(
            select(Reflection)
            .join(Participant, Participant.id == Reflection.participant_id)
            .where(Participant.cohort_id == cohort.id)
        ):
            reflections[(r.participant_id, r.day)] = r.text
    ordered = sorted(members.values(), key=lambda m: (m.name.casefold(), m.participant.id))
    return _Loaded(cohort, now, ordered, entries, reflections, await not_joined(session, cohort.id))


# --- arithmetic ---------------------------------------------------------------------------


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


def _removed_on(habit: Habit, tz: str) -> date | None:
    """The local day the habit left the plan (it counts up to the day before)."""
    if habit.removed_at is None:
        return None
    return habit.removed_at.astimezone(ZoneInfo(tz)).date()


def _first_day(habit: Habit, cohort: Cohort) -> date:
    return max(habit.created_on, cohort.starts_on)


def _today_sheet(member: _Member, loaded: _Loaded) -> DaySheet:
    """Today's check-in sheet, as /lapor shows it: the current plan's habits."""
    today, cohort = member.today, loaded.cohort
    lines = []
    for habit in member.habits:
        if habit.removed_at is not None:
            continue
        due = (
            today >= cohort.starts_on
            and habit.created_on <= today
            and spec_of(habit).schedule.is_scheduled(today)
        )
        lines.append(SheetLine(habit, loaded.entries.get(habit.id, {}).get(today), due))
    return DaySheet(today, lines, None)


@dataclass(frozen=True)
class DayCount:
    """One participant's day: its state and the habits behind it."""

    state: DayState
    done: int = 0  # due habits done (numeric: target reached)
    logged: int = 0  # due habits with an entry (done or not done)
    due: int = 0  # habits due, not counting the skipped ones
    skipped: int = 0  # scheduled habits skipped with a reason


def day_state(sheet: DaySheet) -> DayCount:
    """The day's state (see the module docstring): complete only when every due habit is
    done; a skipped habit is not due."""
    if not sheet.lines:
        return DayCount(DayState.NO_PLAN)
    skipped = [line for line in sheet.due if _skipped(line)]
    due = [line for line in sheet.due if not _skipped(line)]
    if not due:
        return DayCount(DayState.NOTHING_DUE, skipped=len(skipped))
    done = sum(1 for line in due if _done(line))
    logged = sum(1 for line in due if line.entry is not None)
    if done == len(due):
        state = DayState.COMPLETE
    else:
        state = DayState.PARTLY if logged else DayState.NOT_YET
    return DayCount(state, done, logged, len(due), len(skipped))


def _skipped(line: SheetLine) -> bool:
    return line.entry is not None and line.entry.status == Status.SKIPPED.value


def _done(line: SheetLine) -> bool:
    entry = line.entry
    if entry is None:
        return False
    return achieved(spec_of(line.habit), Entry(entry.day, Status(entry.status), entry.value))


def habit_tally(
    habit: Habit,
    entries: dict[date, CheckIn],
    *,
    first: date,
    today: date,
    removed_on: date | None = None,
) -> Tally:
    """One habit's done and due habit-days over `today-6 … today` (see the module docstring);
    `first` is the habit's first counting day."""
    spec = spec_of(habit)
    start = max(first, today - timedelta(days=WINDOW_DAYS - 1))
    last = today if removed_on is None else min(today, removed_on - _ONE_DAY)
    hits = counted = 0
    for day in _days(start, last):
        if not spec.schedule.is_scheduled(day):
            continue
        entry = entries.get(day)
        if entry is None:
            if day == today:
                continue  # today is open until logged
            counted += 1
            continue
        if entry.status == Status.SKIPPED.value:
            continue
        counted += 1
        hits += achieved(spec, Entry(day, Status(entry.status), entry.value))
    if spec.schedule.kind == ScheduleKind.PER_WEEK:
        due = spec.schedule.per_week * counted / 7
        return Tally(min(float(hits), due), due)
    return Tally(float(hits), float(counted))


def _week(member: _Member, loaded: _Loaded) -> Tally:
    total = Tally()
    for habit in member.habits:
        total += habit_tally(
            habit,
            loaded.entries.get(habit.id, {}),
            first=_first_day(habit, loaded.cohort),
            today=member.today,
            removed_on=_removed_on(habit, member.tz),
        )
    return total


def _report(loaded: _Loaded) -> CohortReport:
    people = []
    for member in loaded.members:
        day = day_state(_today_sheet(member, loaded))
        p = member.participant
        people.append(
            PersonReport(
                participant_id=p.id,
                name=member.name,
                unit=(p.unit or "").strip(),
                nip=member.nip,
                timezone=member.tz,
                today=member.today,
                state=day.state,
                logged=day.logged,
                due=day.due,
                done=day.done,
                skipped=day.skipped,
                week=_week(member, loaded),
                unreachable=p.unreachable_at is not None,
            )
        )
    cohort = loaded.cohort
    return CohortReport(
        cohort,
        loaded.now,
        local_today(loaded.now, cohort.timezone),
        people,
        loaded.not_joined,
    )


def _window_start(now: datetime) -> date:
    # The earliest local "today" in any zone is at most a day behind UTC's date.
    return now.date() - timedelta(days=WINDOW_DAYS + 1)


async def cohort_report(session: AsyncSession, cohort: Cohort, now: datetime) -> CohortReport:
    """Today's state and 7-day completion of every participant of `cohort` at instant `now`,
    and the roster members who have not joined yet."""
    loaded = await _load(session, cohort, now, since=_window_start(now), notes=False)
    return _report(loaded)


def export_status(habit: Habit, entry: CheckIn | None) -> ExportStatus:
    """A day's status in a file: a number logged below the target is "partly", the rule of
    the check-in sheet, /rekap and `day_state` (`core.habits.achieved`)."""
    if entry is None:
        return ExportStatus.NOT_LOGGED
    status = ExportStatus(entry.status)
    if status == ExportStatus.DONE and not achieved(
        spec_of(habit), Entry(entry.day, Status.DONE, entry.value)
    ):
        return ExportStatus.PARTLY
    return status


def _rows(loaded: _Loaded) -> list[ExportRow]:
    cohort = loaded.cohort
    rows: list[ExportRow] = []
    for member in loaded.members:
        p = member.participant
        unit = (p.unit or "").strip()
        by_day: dict[date, list[ExportRow]] = defaultdict(list)
        for habit in member.habits:
            entries = loaded.entries.get(habit.id, {})
            schedule = spec_of(habit).schedule
            removed = _removed_on(habit, member.tz)
            last = min(member.today, cohort.ends_on)
            if removed is not None:
                last = min(last, removed - _ONE_DAY)
            days = {d for d in _days(_first_day(habit, cohort), last) if schedule.is_scheduled(d)}
            # Whatever was logged, even outside that range, but not the days ahead a pause for
            # leave has already marked skipped (core.pauses): the export ends today.
            days.update(d for d in entries if d <= member.today)
            for day in days:
                entry = entries.get(day)
                by_day[day].append(
                    ExportRow(
                        participant_id=p.id,
                        name=member.name,
                        unit=unit,
                        nip=member.nip,
                        day=day,
                        habit=habit.name,
                        measure=habit.unit or "",
                        target=habit.target,
                        value=entry.value if entry is not None else None,
                        status=export_status(habit, entry),
                        reason=entry.skip_reason if entry is not None else None,
                        reflection=loaded.reflections.get((p.id, day)),
                    )
                )
        for day in sorted(by_day):
            rows.extend(by_day[day])  # habits in plan order within the day
    return rows


async def export_rows(session: AsyncSession, cohort: Cohort, now: datetime) -> list[ExportRow]:
    """One row per participant, day and habit (see the module docstring), by name then day."""
    return (await export(session, cohort, now)).rows


async def export(session: AsyncSession, cohort: Cohort, now: datetime) -> Export:
    """The export rows and the report for the summary, from one read of the cohort."""
    loaded = await _load(session, cohort, now, since=None, notes=True)
    return Export(_report(loaded), _rows(loaded))
