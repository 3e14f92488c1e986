"""What a facilitator report says: the states of a day, the tallies and the rows of a file.

Plain frozen dataclasses and enums, built by `core.reports` and read by /rekap, the daily
digest and the export files (`core.report_lines`, `core.report_files`). Kept apart from the
queries and the arithmetic so that the readers depend only on the shape of a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from core.attendance import Tally as AttendanceTally
from core.evaluations import FormResult
from core.milestones import Tally as Milestones
from core.quiz_scores import CohortQuizzes, Gain
from storage.models import Cohort, RosterEntry


@dataclass(frozen=True)
class FollowUpAnswer:
    """A follow-up question after the course as asked of one participant (core.follow_up)."""

    offset: int  # days after the last day
    status: str  # sent, late, failed, unreachable
    answer: str | None  # running, partly, stopped; None: not answered
    note: str | None  # what helped or blocked the action


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
    approval: str = "no_plan"  # the plan's approval by the mentor (core.approvals.Status)
    milestones: Milestones | None = None  # None: no milestone written
    attendance: AttendanceTally | None = None  # the sessions held so far (core.attendance)
    quiz: Gain | None = None  # the pre-test and post-test scores (core.quizzes)
    follow_up_stopped: bool = False  # stopped the follow-up after the course
    follow_ups: tuple[FollowUpAnswer, ...] = ()  # its questions, in order


@dataclass(frozen=True)
class CohortReport:
    cohort: Cohort
    now: datetime
    today: date  # the cohort's local date
    people: list[PersonReport]  # by name
    not_joined: list[RosterEntry]  # roster order
    quizzes: CohortQuizzes | None = None  # the pre-test and post-test (core.quizzes)

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
    evaluations: list[FormResult] = field(default_factory=list)  # closed forms only
