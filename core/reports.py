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

The pieces live beside this module: what a report says (`core.report_types`), reading it
from the database (`core.report_loading`) and the rules (`core.report_rules`). Their public
names are importable from here as before.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.approvals import plan_status
from core.checkins import spec_of
from core.evaluations import closed_results
from core.follow_up import counted_until
from core.habits import local_today
from core.report_loading import _load, _Loaded, _Member
from core.report_rules import (
    _ONE_DAY,
    WINDOW_DAYS,
    DayCount,
    _days,
    _first_day,
    _removed_on,
    _today_sheet,
    _week,
    day_state,
    export_status,
    habit_tally,
)
from core.report_types import (
    STATE_ORDER,
    CohortReport,
    DayState,
    Export,
    ExportRow,
    ExportStatus,
    PersonReport,
    Tally,
)
from storage.db import in_write_transaction
from storage.models import Cohort

__all__ = [
    "STATE_ORDER",
    "WINDOW_DAYS",
    "CohortReport",
    "DayCount",
    "DayState",
    "Export",
    "ExportRow",
    "ExportStatus",
    "PersonReport",
    "Tally",
    "cohort_report",
    "day_state",
    "export",
    "export_rows",
    "export_status",
    "habit_tally",
]


def _person(member: _Member, loaded: _Loaded) -> PersonReport:
    day = day_state(_today_sheet(member, loaded))
    p = member.participant
    return PersonReport(
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
        unreachable=member.unreachable,
        approval=plan_status(bool(member.habits), loaded.decisions.get(p.id)),
        milestones=loaded.milestones.get(p.id),
        attendance=loaded.attendance.get(p.id),
        quiz=loaded.quizzes.gains.get(p.id) if loaded.quizzes else None,
        follow_up_stopped=p.follow_up_stopped_at is not None,
        follow_ups=tuple(loaded.follow_ups.get(p.id, ())),
    )


def _report(loaded: _Loaded, people: list[PersonReport] | None = None) -> CohortReport:
    if people is None:
        people = [_person(member, loaded) for member in loaded.members]
    cohort = loaded.cohort
    return CohortReport(
        cohort,
        loaded.now,
        local_today(loaded.now, cohort.timezone),
        people,
        loaded.not_joined,
        loaded.quizzes,
    )


_YIELD_EVERY = 5  # participants


def _window_start(now: datetime) -> date:
    # The earliest local "today" in any zone is at most a day behind UTC's date.
    return now.date() - timedelta(days=WINDOW_DAYS + 1)


async def cohort_report(session: AsyncSession, cohort: Cohort, now: datetime) -> CohortReport:
    """Today's state and 7-day completion of every participant of `cohort` at instant `now`,
    and the roster members who have not joined yet."""
    loaded = await _load(session, cohort, now, since=_window_start(now), notes=False)
    # The arithmetic takes some 0.3 ms a participant on the event loop's thread: let the other
    # chats in every few participants rather than after the whole cohort.
    people: list[PersonReport] = []
    for start in range(0, len(loaded.members), _YIELD_EVERY):
        if not in_write_transaction():  # the digest's claims hold the write turn: keep it short
            await asyncio.sleep(0)
        people.extend(_person(m, loaded) for m in loaded.members[start : start + _YIELD_EVERY])
    return _report(loaded, people)


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
            last = counted_until(p, member.today)  # alumni's days go on (core.follow_up)
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
    return Export(_report(loaded), _rows(loaded), await closed_results(session, cohort.id))
