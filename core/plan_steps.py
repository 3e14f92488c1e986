"""The steps of writing an action plan: a typed answer or a button press moves the draft on.

Pure functions of the draft (`core.plan_draft`): no database, so every path through the
conversation, back and forth, can be followed and tested step by step. Anything a person could
get wrong raises `InvalidInput` with a catalog key; a button the current step does not offer is
refused as stale.
"""

from __future__ import annotations

import re
from dataclasses import asdict

from core.errors import InvalidInput, TooLong
from core.habits import Kind, Schedule, ScheduleKind
from core.plan_draft import (
    ACTIONS,
    HABIT_DAYS,
    HABIT_KIND,
    HABIT_MENU,
    HABIT_NAME,
    HABIT_PER_WEEK,
    HABIT_SCHEDULE,
    HABIT_TARGET,
    HABIT_UNIT,
    MAX_HABITS,
    MENU,
    NAME_LIMITS,
    TARGET_MAX,
    TITLE,
    TITLE_LIMITS,
    UNIT_LIMITS,
    Draft,
    HabitDraft,
)
from core.reading import Amount, read_amount
from storage.models import ActionPlan

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
