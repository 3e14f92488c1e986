"""An action plan's draft as data: the limits, the steps of the conversation and the draft.

Only names and plain data, no database and no moving between steps, so that the steps
(`core.plan_steps`) and keeping the draft in the database (`core.plans`) can both build on it.
The draft is stored as JSON just as it is (`plan_drafts`): a change to its fields is a change
to what is stored.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from core.habits import Kind
from core.reading import Amount

MAX_HABITS = 5
TITLE_LIMITS = (5, 120)
NAME_LIMITS = (3, 80)
UNIT_LIMITS = (1, 20)
TARGET_MAX = 100_000.0

# Steps of the conversation. Those in TYPED_STEPS wait for a typed answer.
TITLE = "title"
MENU = "menu"
HABIT_NAME = "habit_name"
HABIT_KIND = "habit_kind"
HABIT_UNIT = "habit_unit"
HABIT_TARGET = "habit_target"
HABIT_SCHEDULE = "habit_schedule"
HABIT_DAYS = "habit_days"
HABIT_PER_WEEK = "habit_per_week"
HABIT_MENU = "habit_menu"
TYPED_STEPS = frozenset({TITLE, HABIT_NAME, HABIT_UNIT, HABIT_TARGET})

# Which button actions each step accepts (anything else is a stale or forged button).
# "back" goes one step back keeping what was typed (`_back`); "keep" answers a typed step
# with what it already holds (offered once there is something, e.g. after going back).
ACTIONS: dict[str, frozenset[str]] = {
    TITLE: frozenset({"back"}),
    MENU: frozenset({"add", "edit", "title", "save"}),
    HABIT_NAME: frozenset({"keep", "back"}),
    HABIT_KIND: frozenset({"kind", "back"}),
    HABIT_UNIT: frozenset({"keep", "back"}),
    HABIT_TARGET: frozenset({"keep", "back"}),
    HABIT_SCHEDULE: frozenset({"sched", "back"}),
    HABIT_DAYS: frozenset({"day", "days", "back"}),
    HABIT_PER_WEEK: frozenset({"pw", "back"}),
    HABIT_MENU: frozenset({"hname", "hkind", "hsched", "hremove", "back"}),
}


@dataclass
class HabitDraft:
    id: int | None = None  # the saved habit this edits, if any
    name: str = ""
    kind: str = Kind.YESNO.value
    unit: str | None = None
    target: float | None = None
    schedule: str = "daily"


@dataclass
class Draft:
    step: str
    title: str = ""
    habits: list[HabitDraft] = field(default_factory=list)
    # The habit being added (index None) or edited (its index), and whether only one
    # field is being changed ("field") or the whole habit is being written ("all").
    current: HabitDraft | None = None
    index: int | None = None
    mode: str = "all"
    days: list[int] = field(default_factory=list)
    had_plan: bool = False
    # The target just typed, when it was read with a thousands separator ("10.000"): the
    # answer says how it was understood. Not kept with the draft.
    read_as: Amount | None = None

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("read_as")
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, step: str, text: str) -> Draft:
        raw = json.loads(text)
        habits = [HabitDraft(**h) for h in raw.pop("habits", [])]
        current = raw.pop("current", None)
        raw.pop("step", None)
        return cls(
            step=step,
            habits=habits,
            current=HabitDraft(**current) if current else None,
            **raw,
        )
