"""What a habit is and what a day's log says: the plain values `core.habits` computes with.

`Kind` (yes/no or a number), `Schedule` (every day, chosen weekdays, or N times a week),
`HabitSpec` (a kind, a schedule and a numeric target) and `Entry` (one local day's status and
amount). They check themselves when built, so a bad schedule or target fails where it is made
rather than deep in the arithmetic, and a schedule round-trips through the compact text
stored in the database (`Schedule.encode` / `Schedule.decode`). Standard library only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_WEEKDAYS_RE = re.compile(r"weekdays:([0-6](?:,[0-6])*)")
_PER_WEEK_RE = re.compile(r"per_week:([1-7])")


class Kind(StrEnum):
    YESNO = "yesno"
    NUMERIC = "numeric"


class ScheduleKind(StrEnum):
    DAILY = "daily"
    WEEKDAYS = "weekdays"
    PER_WEEK = "per_week"


class Status(StrEnum):
    DONE = "done"
    NOT_DONE = "not_done"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Schedule:
    """When a habit is expected.

    * DAILY: every day.
    * WEEKDAYS: only on the given weekdays (0 = Monday … 6 = Sunday); other days are "off" and
      invisible to every figure.
    * PER_WEEK: `per_week` times (1..7) per ISO week (Monday–Sunday), on any days.

    Fields that do not belong to the kind must keep their defaults, so that
    ``Schedule.decode(s.encode()) == s`` always holds.
    """

    kind: ScheduleKind
    weekdays: frozenset[int] = frozenset()
    per_week: int = 0

    def __post_init__(self) -> None:
        kind = ScheduleKind(self.kind)  # ValueError on an unknown kind
        weekdays = frozenset(self.weekdays)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "weekdays", weekdays)
        for day in weekdays:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), not {day!r}")
        if kind == ScheduleKind.WEEKDAYS and not weekdays:
            raise ValueError("a weekdays schedule needs at least one weekday")
        if kind != ScheduleKind.WEEKDAYS and weekdays:
            raise ValueError(f"a {kind} schedule takes no weekdays")
        if kind == ScheduleKind.PER_WEEK:
            n = self.per_week
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 7:
                raise ValueError(f"times per week must be 1..7, not {n!r}")
        elif self.per_week != 0:
            raise ValueError(f"a {kind} schedule takes no times per week")

    @classmethod
    def daily(cls) -> Schedule:
        return cls(ScheduleKind.DAILY)

    @classmethod
    def working_days(cls) -> Schedule:
        """Monday to Friday."""
        return cls.on_weekdays(range(5))

    @classmethod
    def on_weekdays(cls, days: Iterable[int]) -> Schedule:
        """The given weekdays (0 = Monday … 6 = Sunday); ValueError when empty or out of range."""
        return cls(ScheduleKind.WEEKDAYS, weekdays=frozenset(days))

    @classmethod
    def times_per_week(cls, n: int) -> Schedule:
        """`n` times per ISO week, any days; ValueError unless 1 <= n <= 7."""
        return cls(ScheduleKind.PER_WEEK, per_week=n)

    def is_scheduled(self, day: date) -> bool:
        """DAILY and PER_WEEK: every day may count; WEEKDAYS: only the chosen weekdays."""
        if self.kind == ScheduleKind.WEEKDAYS:
            return day.weekday() in self.weekdays
        return True

    def encode(self) -> str:
        """Compact text for a DB column: "daily", "weekdays:0,1,2,3,4" (sorted), "per_week:3"."""
        if self.kind == ScheduleKind.WEEKDAYS:
            return "weekdays:" + ",".join(str(d) for d in sorted(self.weekdays))
        if self.kind == ScheduleKind.PER_WEEK:
            return f"per_week:{self.per_week}"
        return "daily"

    @classmethod
    def decode(cls, text: str) -> Schedule:
        """The inverse of `encode`.

        Strict: no surrounding whitespace, lower case only, ASCII digits only; weekdays may come
        in any order but not twice. Anything else raises ValueError.
        """
        if not isinstance(text, str):
            raise ValueError(f"not a schedule: {text!r}")
        if text == "daily":
            return cls.daily()
        if match := _WEEKDAYS_RE.fullmatch(text):
            parts = match.group(1).split(",")
            days = frozenset(int(p) for p in parts)
            if len(days) != len(parts):
                raise ValueError(f"repeated weekday in schedule: {text!r}")
            return cls.on_weekdays(days)
        if match := _PER_WEEK_RE.fullmatch(text):
            return cls.times_per_week(int(match.group(1)))
        raise ValueError(f"not a schedule: {text!r}")


@dataclass(frozen=True)
class HabitSpec:
    """What a habit asks for.

    NUMERIC habits need a finite daily `target` > 0 (e.g. 10 pages), else ValueError. YESNO
    habits ignore `target` (it should be None).
    """

    kind: Kind
    schedule: Schedule
    target: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))
        if self.kind == Kind.NUMERIC and (
            self.target is None or not math.isfinite(self.target) or self.target <= 0
        ):
            raise ValueError(f"a numeric habit needs a target > 0, not {self.target!r}")


@dataclass(frozen=True)
class Entry:
    """One day's log: `day` is the participant's local date; `value` is the amount done
    (NUMERIC habits, status DONE)."""

    day: date
    status: Status
    value: float | None = None
