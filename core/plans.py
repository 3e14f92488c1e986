"""Writing an action plan: a draft edited step by step, kept in the database, saved at the end.

The draft is plain data (JSON in `plan_drafts`); `typed()` and `press()` move it from step to
step and raise `InvalidInput` with a catalog key for anything a person could get wrong. Nothing
reaches the plan itself until `save_draft()`: leaving with /batal loses no saved work.

The draft as data is `core.plan_draft`, and its steps (`typed()`, `press()`) `core.plan_steps`;
here the draft and the plan are kept in the database. Their names are importable from here too.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import conversation
from core.conversation import Ask
from core.errors import InvalidInput
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
    TYPED_STEPS,
    UNIT_LIMITS,
    Draft,
    HabitDraft,
)
from core.plan_steps import TOO_LONG_FIELDS, parse_amount, press, start_draft, typed
from storage.models import ActionPlan, Habit, Participant, PlanDraft

__all__ = [
    "ACTIONS",
    "HABIT_DAYS",
    "HABIT_KIND",
    "HABIT_MENU",
    "HABIT_NAME",
    "HABIT_PER_WEEK",
    "HABIT_SCHEDULE",
    "HABIT_TARGET",
    "HABIT_UNIT",
    "MAX_HABITS",
    "MENU",
    "NAME_LIMITS",
    "TARGET_MAX",
    "TITLE",
    "TITLE_LIMITS",
    "TOO_LONG_FIELDS",
    "TYPED_STEPS",
    "UNIT_LIMITS",
    "Draft",
    "HabitDraft",
    "discard_draft",
    "has_plan",
    "load_draft",
    "load_plan",
    "parse_amount",
    "press",
    "save_draft",
    "start_draft",
    "store_draft",
    "typed",
]


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
