"""The rules of a facilitator report: a day's state, 7-day completion, a day's export status.

One rule for /rekap, the daily digest and the export, set out in `core.reports`'s docstring:
today's state follows the check-in sheet (`day_state`), 7-day completion counts habit-days as
/progres does (`habit_tally`), and a number logged below its target is "partly" in a file
(`export_status`). Plain functions on loaded rows (`core.report_loading`), no queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from core.checkins import DaySheet, Logged, SheetLine, spec_of
from core.habits import Entry, ScheduleKind, Status, achieved
from core.report_loading import _Loaded, _Member
from core.report_types import DayState, ExportStatus, Tally
from storage.models import CheckIn, Cohort, Habit

WINDOW_DAYS = 7
_ONE_DAY = timedelta(days=1)


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
    """The day's state (see `core.reports`): complete only when every due habit is
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
    entries: dict[date, Logged],
    *,
    first: date,
    today: date,
    removed_on: date | None = None,
) -> Tally:
    """One habit's done and due habit-days over `today-6 … today` (see `core.reports`);
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


def export_status(habit: Habit, entry: CheckIn | Logged | None) -> ExportStatus:
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
