"""A participant's own data as a CSV a person can read (UU 27/2022: the right to see it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.approvals import history
from core.attendance import attendance_of
from core.consultations import of_participant
from core.evaluations import own_answers
from core.evidence import evidence_of
from core.follow_up import of_participants as follow_up_questions
from core.milestones import milestones_of
from core.participants import effective_timezone
from core.plans import load_plan
from core.quizzes import options_of as quiz_options
from core.quizzes import own_answers as own_quiz_answers
from core.reports import export_status
from core.spreadsheet import csv_file, number_cell, text_cell
from core.timefmt import local
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
_NUMBERS = frozenset({"target", "value"})  # every other cell is text, some of it typed


async def memberships(session: AsyncSession, person_id: int) -> list[Participant]:
    """Every cohort membership of this person, oldest first."""
    result = await session.scalars(
        select(Participant)
        .where(Participant.person_id == person_id)
        .options(selectinload(Participant.cohort))
        .order_by(Participant.joined_at, Participant.id)
    )
    return list(result)


async def personal_csv(
    session: AsyncSession,
    people: list[Participant],
    label: Callable[[str], str],
    describe_schedule: Callable[[str], str],
    *,
    separator: str,
    now: datetime,
) -> bytes:
    """Profile, plan, habits, every check-in and reflection, the milestones and the mentor's
    decisions on the plan of each membership (cohort), one row each, with headers and words
    from `label` (the reader's language), written as `core.spreadsheet` writes every CSV: typed
    text never runs as a formula, numbers with the decimal mark that goes with `separator`."""
    rows: list[list[str]] = []
    for participant in people:
        await _membership_rows(session, rows, participant, label, describe_schedule, separator, now)
    return csv_file([label(f"csv.col_{c}") for c in COLUMNS], rows, separator=separator)


async def _membership_rows(
    session: AsyncSession,
    rows: list[list[str]],
    participant: Participant,
    label: Callable[[str], str],
    describe_schedule: Callable[[str], str],
    separator: str,
    now: datetime,
) -> None:
    def row(record: str, day: date | None = None, **cells: str) -> None:
        values = {"record": label(f"csv.record_{record}"), "date": day.isoformat() if day else ""}
        values.update({k: v if k in _NUMBERS else text_cell(v) for k, v in cells.items()})
        rows.append([values.get(c, "") for c in COLUMNS])

    def amount(value: float | None) -> str:
        return number_cell(value, separator)

    def local_day(at: datetime) -> date:
        """The participant's own date of a moment: habits and check-ins carry local dates,
        so the profile and the plan do too (at 01:00 WITA it is already the next day)."""
        return local(at, effective_timezone(participant)).date()

    profile = "; ".join(
        f"{label(k)}: {v}"
        for k, v in (
            ("csv.full_name", participant.full_name or ""),
            ("csv.unit_of_work", participant.unit or ""),
            ("csv.cohort", participant.cohort.name),
        )
    )
    row("profile", local_day(participant.joined_at), note=profile)
    plan = await load_plan(session, participant.id)
    habits: dict[int, Habit] = {}
    if plan is not None:
        row("plan", local_day(plan.created_at), note=plan.title)
        for habit in plan.habits:
            habits[habit.id] = habit
            row(
                "habit",
                habit.created_on,
                habit=habit.name,
                unit=habit.unit or "",
                target=amount(habit.target),
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
            target=amount(h.target) if h else "",
            status=label(f"csv.status_{export_status(h, c) if h else c.status}"),
            value=amount(c.value),
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
    milestones = await milestones_of(session, participant.id)
    for m in milestones:
        done = f"{label('csv.milestone_done')} {m.done_on.isoformat()}" if m.done_on else ""
        row("milestone", m.due_on, note=m.title, status=done or label("csv.milestone_open"))
    titles = {m.id: m.title for m in milestones}
    for e in await evidence_of(session, participant.id):
        about = titles.get(e.milestone_id or 0, "")
        note = " — ".join(part for part in (e.name, about, e.caption or "") if part)
        row("evidence", e.day or local_day(e.created_at), note=note, status=e.mime_type)
    for record in await of_participant(session, participant.id):
        parts = (record.topic, record.outcome, record.next_step)
        row(
            "consultation",
            record.held_on,
            status=label(f"csv.consultation_{record.state}"),
            note=" — ".join(part for part in parts if part),
        )
    for held, mark in await attendance_of(session, participant, now):
        state = "absent" if mark is None else mark.state
        reason = ""
        if mark is not None and mark.reason:
            reason = f"{label(f'attendance.kind_{mark.kind}')}: {mark.reason}"
        note = " — ".join(part for part in (held.title, reason) if part)
        row(
            "attendance",
            local_day(held.starts_at),
            status=label(f"final.presence_{state}"),
            note=note,
        )
    for answer, item, form in await own_answers(session, participant.id):
        given = (answer.text or "") if item.scale == "text" else str(answer.value)
        row(
            "evaluation",
            local_day(answer.answered_at),
            status=given,
            note=f"{form.title}{' — ' + form.subject if form.subject else ''}: {item.text_id}",
        )
    for reply, question, quiz in await own_quiz_answers(session, participant.id):
        if reply.answered_at is None:
            continue
        options = quiz_options(question)
        chosen = options[reply.chosen] if reply.chosen is not None else label("csv.quiz_no_answer")
        verdict = label("csv.quiz_right") if reply.correct else label("csv.quiz_wrong")
        row(
            "quiz",
            local_day(reply.answered_at),
            status=f"{verdict}: {chosen}",
            note=f"{quiz.title}: {question.text}",
        )
    asked = (await follow_up_questions(session, [participant.id])).get(participant.id, [])
    for q in asked:
        given = label(f"follow_up.answer_{q.answer}") if q.answer else label("csv.follow_up_open")
        row(
            "follow_up",
            local_day(q.answered_at or q.asked_at),
            status=given,
            note=" — ".join(
                part
                for part in (f"{q.offset_days} {label('csv.follow_up_days_after')}", q.note)
                if part
            ),
        )
    for review in await history(session, participant.id):
        row(
            "approval",
            local_day(review.decided_at or review.submitted_at),
            status=label(f"csv.approval_{review.state}"),
            note=review.comment or "",
        )
