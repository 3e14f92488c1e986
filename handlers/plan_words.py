"""How a plan's habits and schedules read (`Membaca — 10 halaman — setiap hari`): for the plan's
own steps, the mentor's copy of a plan (handlers.approvals), progress and /dataku."""

from __future__ import annotations

from core.habits import Kind, Schedule, ScheduleKind
from core.i18n import escape
from core.numbers import number
from core.plans import HabitDraft
from handlers.common import plain
from handlers.turn import HasServices

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def describe_schedule(context: HasServices, lang: str, encoded: str) -> str:
    schedule = Schedule.decode(encoded)
    if schedule.kind == ScheduleKind.DAILY:
        return plain(context, lang, "schedule_kind.daily")
    if schedule.kind == ScheduleKind.PER_WEEK:
        return plain(context, lang, "schedule_kind.per_week", n=schedule.per_week)
    if schedule.weekdays == frozenset(range(5)):
        return plain(context, lang, "schedule_kind.workdays")
    days = [plain(context, lang, f"weekday.{WEEKDAY_KEYS[d]}") for d in sorted(schedule.weekdays)]
    return ", ".join(days)


def describe_habit(context: HasServices, lang: str, h: HabitDraft) -> str:
    """'Membaca — 10 halaman — setiap hari' (HTML-escaped)."""
    parts = [escape(h.name)]
    if h.kind == Kind.NUMERIC.value and h.target is not None:
        parts.append(escape(f"{number(h.target, lang)} {h.unit or ''}".strip()))
    parts.append(escape(describe_schedule(context, lang, h.schedule)))
    return " — ".join(parts)
