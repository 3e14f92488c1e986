"""Writing an action plan: a draft edited step by step, kept in the database, saved at the end.

The draft is plain data (JSON in `plan_drafts`); `typed()` and `press()` move it from step to
step and raise `InvalidInput` with a catalog key for anything a person could get wrong. Nothing
reaches the plan itself until `save_draft()`: leaving with /batal loses no saved work.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import conversation
from core.conversation import Ask
from core.errors import InvalidInput, TooLong
from core.habits import Kind, Schedule, ScheduleKind
from core.reading import Amount, read_amount
from storage.models import ActionPlan, Habit, Participant, PlanDraft

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


# What each typed field is called in a "too long" answer (`too_long.<field>`).
TOO_LONG_FIELDS = {"title": "plan_title", "name": "habit_name", "unit": "habit_unit"}


def _clean(text: str, limits: tuple[int, int], what: str) -> str:
    value = " ".join(text.split())
    low, high = limits
    if len(value) > high:
        raise TooLong(TOO_LONG_FIELDS[what], high, len(value))
    if len(value) < low or not re.search(r"[^\W\d_]", value):
        raise InvalidInput(f"plan.too_short:{what}:{low}")
    return value


def parse_amount(text: str, unit: str | None, lang: str) -> Amount:
    """A daily target or a day's value as people type it in the reader's language `lang`:
    `10`, `2,5` and `10.000` in Indonesian, `2.5` and `10,000` in English, `10 halaman` in the
    habit's own `unit`; above 0 and at most TARGET_MAX. `core.reading.BadNumber` says why one
    is refused."""
    return read_amount(text, unit=unit, maximum=TARGET_MAX, lang=lang)


def start_draft(plan: ActionPlan | None) -> Draft:
    """A new draft: empty (asking for the title), or a copy of the saved plan (its menu)."""
    if plan is None:
        return Draft(step=TITLE)
    habits = [
        HabitDraft(h.id, h.name, h.kind, h.unit, h.target, h.schedule)
        for h in plan.habits
        if h.removed_at is None
    ]
    return Draft(step=MENU, title=plan.title, habits=habits, had_plan=True)


def _finish_habit(draft: Draft) -> Draft:
    assert draft.current is not None
    if draft.index is None:
        draft.habits.append(draft.current)
    else:
        draft.habits[draft.index] = draft.current
    draft.current, draft.index, draft.mode, draft.days = None, None, "all", []
    draft.step = MENU
    return draft


def _after_field(draft: Draft, next_step: str) -> Draft:
    """Go on to `next_step` when writing a whole habit; after changing one field, to the menu."""
    if draft.mode == "field" and next_step in (HABIT_SCHEDULE, HABIT_KIND):
        return _finish_habit(draft)
    draft.step = next_step
    return draft


def typed(draft: Draft, text: str, lang: str) -> Draft:
    """Apply a typed answer to the step that waits for one (a number read the way `lang`
    writes numbers)."""
    draft.read_as = None
    if draft.step == TITLE:
        draft.title = _clean(text, TITLE_LIMITS, "title")
        draft.step = MENU if draft.habits else HABIT_NAME
        if draft.step == HABIT_NAME:
            draft.current, draft.index, draft.mode = HabitDraft(), None, "all"
        return draft
    current = draft.current
    if current is None:
        raise InvalidInput("plan.unexpected_text")
    if draft.step == HABIT_NAME:
        name = _clean(text, NAME_LIMITS, "name")
        others = [h.name.casefold() for i, h in enumerate(draft.habits) if i != draft.index]
        if name.casefold() in others:
            raise InvalidInput("plan.duplicate_name")
        current.name = name
        return _after_field(draft, HABIT_KIND) if draft.mode == "all" else _finish_habit(draft)
    if draft.step == HABIT_UNIT:
        current.unit = _clean(text, UNIT_LIMITS, "unit")
        draft.step = HABIT_TARGET
        return draft
    if draft.step == HABIT_TARGET:
        amount = parse_amount(text, current.unit, lang)
        current.target = amount.value
        draft.read_as = amount if amount.grouped else None
        return _after_field(draft, HABIT_SCHEDULE)
    raise InvalidInput("plan.unexpected_text")


def press(draft: Draft, action: str, arg: str) -> Draft:
    """Apply a button press; an action the current step does not offer is refused as stale."""
    if action not in ACTIONS.get(draft.step, frozenset()):
        raise InvalidInput("button.stale")
    if action == "back":
        return _back(draft)
    if action == "keep":
        return _keep(draft)
    if draft.step == MENU:
        return _press_menu(draft, action, arg)
    if draft.step == HABIT_MENU:
        return _press_habit_menu(draft, action)
    current = draft.current
    if current is None:
        raise InvalidInput("button.stale")
    if action == "kind" and arg in (Kind.YESNO.value, Kind.NUMERIC.value):
        current.kind = arg
        if arg == Kind.NUMERIC.value:
            draft.step = HABIT_UNIT
            return draft
        current.unit, current.target = None, None
        return _after_field(draft, HABIT_SCHEDULE)
    if action == "sched":
        return _press_schedule(draft, current, arg)
    if action == "day" and arg.isdigit() and 0 <= int(arg) <= 6:
        day = int(arg)
        draft.days = sorted(set(draft.days) ^ {day})
        return draft
    if action == "days":
        if not draft.days:
            raise InvalidInput("plan.no_days")
        current.schedule = Schedule.on_weekdays(frozenset(draft.days)).encode()
        return _finish_habit(draft)
    if action == "pw" and arg.isdigit() and 1 <= int(arg) <= 6:
        current.schedule = Schedule.times_per_week(int(arg)).encode()
        return _finish_habit(draft)
    raise InvalidInput("button.stale")


def _to_menu(draft: Draft) -> Draft:
    """Leave the habit being written or changed (it is dropped) for the plan's menu."""
    draft.current, draft.index, draft.mode, draft.days = None, None, "all", []
    draft.step = MENU if draft.title else TITLE
    return draft


def _to_habit_menu(draft: Draft) -> Draft:
    """Leave the change of one field: the habit's menu, the habit as it was before it."""
    assert draft.index is not None
    draft.current = HabitDraft(**asdict(draft.habits[draft.index]))
    draft.mode, draft.days, draft.step = "all", [], HABIT_MENU
    return draft


# One step back while a habit is written whole: where each step came from.
_PREVIOUS = {
    HABIT_KIND: HABIT_NAME,
    HABIT_UNIT: HABIT_KIND,
    HABIT_TARGET: HABIT_UNIT,
    HABIT_DAYS: HABIT_SCHEDULE,
    HABIT_PER_WEEK: HABIT_SCHEDULE,
}


def _back(draft: Draft) -> Draft:
    """One step back, keeping what was typed: from the target to the unit, from the schedule
    to the target (or to the kind for a yes/no habit), and so on. From a habit's first step,
    or its menu, back to the plan's menu: the half-written habit is dropped, as the person
    left it. While one field of a saved habit is being changed, its first step goes back to
    that habit's menu, the habit unchanged."""
    current = draft.current
    step = draft.step
    if current is None or step in (TITLE, HABIT_MENU):
        return _to_menu(draft)
    if draft.mode == "field" and step in (HABIT_NAME, HABIT_KIND, HABIT_SCHEDULE):
        return _to_habit_menu(draft)
    if step == HABIT_NAME:
        return _to_menu(draft)
    if step == HABIT_SCHEDULE:
        draft.step = HABIT_TARGET if current.kind == Kind.NUMERIC.value else HABIT_KIND
        return draft
    draft.step = _PREVIOUS[step]  # the days ticked stay with the draft until the habit is done
    return draft


def _keep(draft: Draft) -> Draft:
    """Answer a typed step with what it holds already: on to the next step."""
    current = draft.current
    if current is None:
        raise InvalidInput("button.stale")
    if draft.step == HABIT_NAME and current.name:
        return _after_field(draft, HABIT_KIND) if draft.mode == "all" else _finish_habit(draft)
    if draft.step == HABIT_UNIT and current.unit:
        draft.step = HABIT_TARGET
        return draft
    if draft.step == HABIT_TARGET and current.target:
        return _after_field(draft, HABIT_SCHEDULE)
    raise InvalidInput("button.stale")


def _press_menu(draft: Draft, action: str, arg: str) -> Draft:
    if action == "add":
        if len(draft.habits) >= MAX_HABITS:
            raise InvalidInput("plan.max_habits")
        draft.current, draft.index, draft.mode = HabitDraft(), None, "all"
        draft.step = HABIT_NAME
    elif action == "edit":
        if not arg.isdigit() or not 0 <= int(arg) < len(draft.habits):
            raise InvalidInput("button.stale")
        draft.index = int(arg)
        draft.current = HabitDraft(**asdict(draft.habits[draft.index]))
        draft.step = HABIT_MENU
    elif action == "title":
        draft.step = TITLE
    elif action == "save" and not draft.habits:
        raise InvalidInput("plan.no_habits")
    return draft


def _press_habit_menu(draft: Draft, action: str) -> Draft:
    if draft.index is None or draft.current is None:
        raise InvalidInput("button.stale")
    draft.mode = "field"
    if action == "hname":
        draft.step = HABIT_NAME
    elif action == "hkind":
        draft.step = HABIT_KIND
    elif action == "hsched":
        draft.step = HABIT_SCHEDULE
    elif action == "hremove":
        del draft.habits[draft.index]
        draft.current, draft.index, draft.mode, draft.step = None, None, "all", MENU
    return draft


def _press_schedule(draft: Draft, current: HabitDraft, arg: str) -> Draft:
    if arg == ScheduleKind.DAILY.value:
        current.schedule = Schedule.daily().encode()
        return _finish_habit(draft)
    if arg == "workdays":
        current.schedule = Schedule.working_days().encode()
        return _finish_habit(draft)
    if arg == ScheduleKind.WEEKDAYS.value:
        previous = Schedule.decode(current.schedule)
        if not draft.days:  # the days ticked before going back stay ticked
            weekdays = previous.kind == ScheduleKind.WEEKDAYS
            draft.days = sorted(previous.weekdays) if weekdays else []
        draft.step = HABIT_DAYS
        return draft
    if arg == ScheduleKind.PER_WEEK.value:
        draft.step = HABIT_PER_WEEK
        return draft
    raise InvalidInput("button.stale")


async def load_plan(session: AsyncSession, participant_id: int) -> ActionPlan | None:
    result = await session.execute(
        select(ActionPlan)
        .where(ActionPlan.participant_id == participant_id)
        .options(selectinload(ActionPlan.habits))
    )
    return result.scalar_one_or_none()


async def load_draft(session: AsyncSession, participant_id: int) -> PlanDraft | None:
    result = await session.execute(
        select(PlanDraft).where(PlanDraft.participant_id == participant_id)
    )
    return result.scalar_one_or_none()


async def store_draft(
    session: AsyncSession, participant: Participant, draft: Draft, now: datetime
) -> None:
    """Keep the draft; the participant's next typed text goes to it: the answer to a step that
    waits for one, else (a step with buttons only) it is told to use the buttons."""
    row = await load_draft(session, participant.id)
    if row is None:
        row = PlanDraft(participant_id=participant.id, step=draft.step, data="{}")
        session.add(row)
    row.step, row.data, row.updated_at = draft.step, draft.to_json(), now
    conversation.ask(participant, Ask.PLAN)


async def discard_draft(session: AsyncSession, participant: Participant) -> bool:
    """Drop the draft (the plan stays as it was); True when there was one."""
    row = await load_draft(session, participant.id)
    if conversation.is_open(participant, Ask.PLAN):
        conversation.clear(participant)
    if row is None:
        return False
    await session.delete(row)
    return True


async def save_draft(
    session: AsyncSession, participant: Participant, draft: Draft, now: datetime, today: date
) -> ActionPlan:
    """Write the draft into the plan: a renamed habit keeps its history; removed ones, and
    ones whose kind, target or schedule changed, are retired (their check-ins stay for
    reports) and new ones start today."""
    if not draft.title or not draft.habits:
        raise InvalidInput("plan.no_habits")
    plan = await load_plan(session, participant.id)
    if plan is None:
        plan = ActionPlan(
            participant_id=participant.id, title=draft.title, habits=[], created_at=now
        )
        session.add(plan)
    plan.title, plan.updated_at = draft.title, now
    by_id = {h.id: h for h in plan.habits}
    kept: set[int] = set()
    for position, item in enumerate(draft.habits):
        habit = by_id.get(item.id) if item.id is not None else None
        measured = (item.kind, item.unit, item.target, item.schedule)
        if habit is not None and measured != (habit.kind, habit.unit, habit.target, habit.schedule):
            # Another kind, target or schedule is another habit: the old one is retired with
            # its history (which it would otherwise rewrite), the new one starts today.
            habit = None
        if habit is None or habit.removed_at is not None:
            habit = Habit(created_on=today)
            plan.habits.append(habit)
        else:
            kept.add(habit.id)
        habit.position, habit.name, habit.kind = position, item.name, item.kind
        habit.unit, habit.target, habit.schedule = item.unit, item.target, item.schedule
    for habit in by_id.values():
        if habit.id not in kept and habit.removed_at is None:
            habit.removed_at = now
    await discard_draft(session, participant)
    await session.flush()
    return plan


async def has_plan(session: AsyncSession, participant_id: int) -> bool:
    """Whether the participant has saved an action plan."""
    found = await session.scalar(
        select(ActionPlan.id).where(ActionPlan.participant_id == participant_id)
    )
    return found is not None
