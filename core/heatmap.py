"""What each day of a habit looks like on the /progres heatmap; `core.charts` draws it.

A day is due when the habit's schedule asks for it: every day (daily), the chosen weekdays,
or, for N times a week, any day of a week whose N are not reached yet. Only a due day that is
not logged yet (today, or a day to come) is drawn open, as a box still to fill in. A day the
schedule does not ask for is `OFF` and a day before the habit was in the plan `BEFORE`, drawn
so that neither can be taken for a day still to do.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from core.habits import Entry, HabitSpec, Kind, Schedule, ScheduleKind, Status, achieved

if TYPE_CHECKING:
    from core.checkins import HabitProgress

__all__ = ["Cell", "day_cell", "habit_cells"]


class Cell(StrEnum):
    DONE = "done"
    PARTIAL = "partial"  # a numeric habit logged under its target
    MISSED = "missed"  # a due day gone by without it, or logged as not done
    SKIPPED = "skipped"  # skipped with a reason
    OFF = "off"  # not due: off the schedule, or an unlogged day of an N-times-a-week habit
    BEFORE = "before"  # before the habit was in the plan
    OPEN = "open"  # due and not logged yet: today, or a day to come
    OUTSIDE = "outside"  # outside the cohort period (padding to full weeks): not drawn


def day_cell(
    spec: HabitSpec,
    entries: dict[date, Entry],
    day: date,
    *,
    first_day: date,
    today: date,
) -> Cell:
    """How `day` looks for a habit with these `entries`, counted from `first_day`."""
    if day < first_day:
        return Cell.BEFORE
    if not spec.schedule.is_scheduled(day):
        return Cell.OFF
    entry = entries.get(day) if day <= today else None
    if entry is None:
        if day < today:
            # A day without the habit is no miss for N times a week: any N days will do.
            return Cell.OFF if spec.schedule.kind == ScheduleKind.PER_WEEK else Cell.MISSED
        if spec.schedule.kind == ScheduleKind.PER_WEEK and _week_reached(spec, entries, day):
            return Cell.OFF  # this week's N are done: the rest of it is not due
        return Cell.OPEN
    if entry.status == Status.SKIPPED:
        return Cell.SKIPPED
    if entry.status == Status.NOT_DONE:
        return Cell.MISSED
    if achieved(spec, entry):
        return Cell.DONE
    return Cell.PARTIAL


def _week_reached(spec: HabitSpec, entries: dict[date, Entry], day: date) -> bool:
    monday = day - timedelta(days=day.weekday())
    week = (entries.get(monday + timedelta(days=n)) for n in range(7))
    return sum(achieved(spec, entry) for entry in week) >= (spec.schedule.per_week or 0)


def habit_cells(item: HabitProgress, start: date, end: date, today: date) -> dict[date, Cell]:
    """Every day of [start, end] for one habit of /progres."""
    habit = item.habit
    spec = HabitSpec(Kind(habit.kind), Schedule.decode(habit.schedule), habit.target)
    entries = {d: Entry(d, Status(c.status), c.value) for d, c in item.entries.items()}
    cells = {}
    day = start
    while day <= end:
        cells[day] = day_cell(spec, entries, day, first_day=item.start, today=today)
        day += timedelta(days=1)
    return cells
