"""A participant's own data as a CSV a person can read (UU 27/2022: the right to see it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.plans import format_amount, load_plan
from storage.models import CheckIn, Habit, Participant, Reflection

COLUMNS = (
    "record",
    "date",
    "habit",
    "unit",
    "target",
    "schedule",
    "status",
    "value",
    "reason",
    "note",
)


def _amount(value: float | None) -> str:
    return "" if value is None else format_amount(value)


async def memberships(session: AsyncSession, telegram_user_id: int) -> list[Participant]:
    """Every cohort membership of this person, oldest first."""
    result = await session.scalars(
        select(Participant)
        .where(Participant.telegram_user_id == telegram_user_id)
        .options(selectinload(Participant.cohort))
        .order_by(Participant.joined_at, Participant.id)
    )
    return list(result)


async def personal_csv(
    session: AsyncSession,
    people: list[Participant],
    label: Callable[[str], str],
    describe_schedule: Callable[[str], str],
) -> bytes:
    """Profile, plan, habits, every check-in and reflection of each membership (cohort), one
    row each, with headers and words from `label` (the reader's language). UTF-8 with a BOM
    so Excel reads it right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label(f"csv.col_{c}") for c in COLUMNS])
    for participant in people:
        await _membership_rows(session, writer, participant, label, describe_schedule)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def _membership_rows(
    session: AsyncSession,
    writer: Any,
    participant: Participant,
    label: Callable[[str], str],
    describe_schedule: Callable[[str], str],
) -> None:
    def row(record: str, day: date | None = None, **cells: str) -> None:
        values = {"record": label(f"csv.record_{record}"), "date": day.isoformat() if day else ""}
        values.update(cells)
        writer.writerow([values.get(c, "") for c in COLUMNS])

    profile = "; ".join(
        f"{label(k)}: {v}"
        for k, v in (
            ("csv.full_name", participant.full_name or ""),
            ("csv.unit_of_work", participant.unit or ""),
            ("csv.cohort", participant.cohort.name),
        )
    )
    row("profile", participant.joined_at.date(), note=profile)
    plan = await load_plan(session, participant.id)
    habits: dict[int, Habit] = {}
    if plan is not None:
        row("plan", plan.created_at.date(), note=plan.title)
        for habit in plan.habits:
            habits[habit.id] = habit
            row(
                "habit",
                habit.created_on,
                habit=habit.name,
                unit=habit.unit or "",
                target=_amount(habit.target),
                schedule=describe_schedule(habit.schedule),
                status=label("csv.removed" if habit.removed_at else "csv.active"),
            )
    entries = await session.scalars(
        select(CheckIn)
        .where(CheckIn.participant_id == participant.id)
        .order_by(CheckIn.day, CheckIn.habit_id)
    )
    for c in entries:
        h = habits.get(c.habit_id)
        row(
            "checkin",
            c.day,
            habit=h.name if h else "",
            unit=(h.unit or "") if h else "",
            target=_amount(h.target) if h else "",
            status=label(f"csv.status_{c.status}"),
            value=_amount(c.value),
            reason=label(f"checkin.reason_{c.skip_reason}")
            if c.skip_reason in ("sick", "duty", "leave")
            else c.skip_reason or "",
        )
    notes = await session.scalars(
        select(Reflection)
        .where(Reflection.participant_id == participant.id)
        .order_by(Reflection.day)
    )
    for n in notes:
        row("reflection", n.day, note=n.text)
