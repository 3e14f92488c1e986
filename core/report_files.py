"""The cohort export as files: an XLSX workbook (rows and a summary sheet) or a CSV.

Words (column headers, statuses, sheet names) come from `label`, a function from a catalog key
to text in the reader's language, so this module knows no language and no Telegram.
openpyxl is imported on the first export, not at start-up.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from core.checkins import SKIP_REASONS
from core.evaluations import MIN_ANSWERS
from core.evaluations import spread as evaluation_spread
from core.reports import CohortReport, Export, ExportRow, PersonReport
from core.spreadsheet import csv_file, nip_cell, number_cell, text_cell

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet


class Label(Protocol):
    """A catalog key (and its values) to plain text in the reader's language."""

    def __call__(self, key: str, /, **values: object) -> str: ...


COLUMNS = (
    "name",
    "unit",
    "nip",
    "date",
    "habit",
    "measure",
    "target",
    "value",
    "status",
    "note",
)
SUMMARY_COLUMNS = (
    "name",
    "unit",
    "nip",
    "today",
    "state",
    "done_today",
    "completion_7",
    "done_7",
    "due_7",
    "milestones",
    "milestones_late",
    "approval",
    "attendance",
    "attendance_rate",
    "follow_up",
    "follow_up_answers",
    "pre_test",
    "post_test",
    "quiz_gain",
)
QUIZ_COLUMNS = ("question_number", "question", "answered", "correct", "correct_rate")
_MAX_WIDTH = 60  # characters; longer notes wrap in the cell instead


def note(row: ExportRow, label: Label) -> str:
    """The skip reason (in words) and the day's reflection, for the note column."""
    parts = []
    if row.reason:
        reason = row.reason
        if reason in SKIP_REASONS:
            reason = label(f"report.reason_{reason}")
        parts.append(label("report.note_reason", reason=reason))
    if row.reflection:
        parts.append(label("report.note_reflection", text=row.reflection))
    return "; ".join(parts)


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def csv_bytes(export: Export, label: Label, *, separator: str) -> bytes:
    """The rows as CSV (`core.spreadsheet`): `;` with decimal commas or `,` with points."""
    return csv_file(
        [label(f"report.col_{c}") for c in COLUMNS],
        (
            [
                text_cell(row.name),
                text_cell(row.unit),
                nip_cell(row.nip),
                row.day.isoformat(),
                text_cell(row.habit),
                text_cell(row.measure),
                number_cell(row.target, separator),
                number_cell(row.value, separator),
                label(f"report.status_{row.status}"),
                text_cell(note(row, label)),
            ]
            for row in export.rows
        ),
        separator=separator,
    )


def follow_up_state(report: CohortReport, person: PersonReport, label: Label) -> str:
    """Where a participant's follow-up after the course stands ("" before the last day, or
    for someone without a plan, whom it does not concern)."""
    cohort = report.cohort
    if cohort.follow_up_days == 0 or report.today <= cohort.ends_on or person.approval == "no_plan":
        return ""
    if person.follow_up_stopped:
        return label("report.follow_up_stopped")
    if person.unreachable:
        return label("report.follow_up_unreachable")
    return label("report.follow_up_active")


def follow_up_answers(person: PersonReport, label: Label) -> str:
    """The follow-up questions' answers: "30: still running (the note); 60: …"."""
    parts = []
    for q in person.follow_ups:
        if q.answer is not None:
            answer = label(f"follow_up.answer_{q.answer}")
        else:
            answer = label(
                f"report.follow_up_{'unreachable' if q.status == 'unreachable' else 'open'}"
            )
        note = f" ({q.note})" if q.note else ""
        parts.append(label("report.follow_up_answer", days=q.offset, answer=answer) + note)
    return "; ".join(parts)


def summary_rows(report: CohortReport, label: Label) -> list[list[object]]:
    """One row per participant, then the roster members not joined yet."""
    rows: list[list[object]] = []
    for p in report.people:
        week = p.week
        rows.append(
            [
                p.name,
                p.unit,
                p.nip,
                p.today,
                label(f"report.state_{p.state}"),
                f"{p.done}/{p.due}" if p.due else "",
                week.completion,
                _number(round(week.done, 2)),
                _number(round(week.due, 2)),
                f"{p.milestones.done}/{p.milestones.total}" if p.milestones else "",
                p.milestones.overdue if p.milestones else None,
                label(f"report.approval_{p.approval}"),
                f"{p.attendance.present}/{p.attendance.held}"
                if p.attendance and p.attendance.held
                else "",
                p.attendance.rate if p.attendance else None,
                follow_up_state(report, p, label),
                follow_up_answers(p, label),
                *_quiz_cells(p),
            ]
        )
    for entry in report.not_joined:
        joined: list[object] = [entry.name, entry.unit or "", entry.nip or "", None]
        rows.append([*joined, label("report.state_not_joined"), *[None] * 14])
    return rows


def _quiz_cells(person: PersonReport) -> list[object]:
    """The finished pre-test and post-test scores (shares of 1) and the gain in points."""
    gain = person.quiz
    if gain is None:
        return [None, None, None]
    pre = gain.pre.percent / 100 if gain.pre and gain.pre.finished else None
    post = gain.post.percent / 100 if gain.post and gain.post.finished else None
    points = _number(round(gain.points, 1)) if gain.points is not None else None
    return [pre, post, points]


def quiz_rows(report: CohortReport) -> list[list[object]]:
    """Each question of the later test, the hardest first: answered, right, the share right."""
    if report.quizzes is None:
        return []
    ordered = sorted(
        report.quizzes.questions, key=lambda r: (r.percent if r.answered else 101, r.n)
    )
    return [
        [r.n, r.question.text, r.answered, r.correct, r.percent / 100 if r.answered else None]
        for r in ordered
    ]


EVALUATION_COLUMNS = ("form", "item", "answers", "average", "distribution", "texts")


def evaluation_rows(export: Export, label: Label, lang: str) -> list[list[object]]:
    """Each closed evaluation's results per item: never who answered what, and an item with
    too few answers only as such (`core.evaluations.MIN_ANSWERS`)."""
    rows: list[list[object]] = []
    for found in export.evaluations:
        form = found.form
        title = label(f"evaluation.title_{form.kind}") if form.kind != "custom" else form.title
        name = f"{title} — {form.subject}" if form.subject else title
        for r in found.items:
            words = r.item.text_en if lang == "en" else r.item.text_id
            if not r.shown:
                spread = label("report.too_few_answers", min=MIN_ANSWERS)
                rows.append([name, words, r.answers, None, spread, ""])
                continue
            spread = evaluation_spread(
                r.item.scale, r.distribution, label("evaluation.yes"), label("evaluation.no")
            )
            average = _number(round(r.average, 2)) if r.average is not None else None
            rows.append([name, words, r.answers, average, spread, " | ".join(r.texts)])
    return rows


def xlsx_bytes(export: Export, label: Label, lang: str = "id") -> bytes:
    """A workbook: the rows (real dates and numbers, bold frozen header, auto-filter) and a
    summary sheet per participant. CPU-bound: call it from a worker thread in async code."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = label("report.sheet_rows")[:31]
    rows = [
        [
            row.name,
            row.unit,
            row.nip,
            row.day,
            row.habit,
            row.measure,
            _number(row.target),
            _number(row.value),
            label(f"report.status_{row.status}"),
            note(row, label),
        ]
        for row in export.rows
    ]
    _fill(sheet, [label(f"report.col_{c}") for c in COLUMNS], rows, dates=(4,), percents=())
    summary = book.create_sheet(label("report.sheet_summary")[:31])
    _fill(
        summary,
        [label(f"report.col_{c}") for c in SUMMARY_COLUMNS],
        summary_rows(export.report, label),
        dates=(4,),
        percents=(
            7,
            SUMMARY_COLUMNS.index("attendance_rate") + 1,
            SUMMARY_COLUMNS.index("pre_test") + 1,
            SUMMARY_COLUMNS.index("post_test") + 1,
        ),
    )
    questions = quiz_rows(export.report)
    if questions and export.report.quizzes is not None:
        later = export.report.quizzes.post or export.report.quizzes.pre
        assert later is not None
        kind = label(f"quiz.kind_{later.kind}")
        quiz_sheet = book.create_sheet(label("report.sheet_quiz", kind=kind)[:31])
        _fill(
            quiz_sheet,
            [label(f"report.col_{c}") for c in QUIZ_COLUMNS],
            questions,
            dates=(),
            percents=(len(QUIZ_COLUMNS),),
        )
    evaluated = evaluation_rows(export, label, lang)
    if evaluated:
        sheet = book.create_sheet(label("report.sheet_evaluation")[:31])
        header = [label(f"report.col_eval_{c}") for c in EVALUATION_COLUMNS]
        _fill(sheet, header, evaluated, dates=(), percents=())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill(
    sheet: Worksheet,
    header: list[str],
    rows: Sequence[Sequence[object]],
    *,
    dates: tuple[int, ...],
    percents: tuple[int, ...],
) -> None:
    """Write a table: bold frozen header, auto-filter, formats and widths by content."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.append(header)
    for number, row in enumerate(rows, start=2):
        sheet.append(list(row))
        # openpyxl stores a text starting with "=" as a formula: typed text must stay text.
        for column, value in enumerate(row, start=1):
            if isinstance(value, str) and value.startswith("="):
                sheet.cell(row=number, column=column).data_type = "s"
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(header))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    widths = [len(h) for h in header]
    for row in rows:
        for index, value in enumerate(row):
            if value is not None and index < len(widths):
                shown = 10 if index + 1 in dates else len(str(value))
                widths[index] = max(widths[index], shown)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(_MAX_WIDTH, width + 2)
        if width > _MAX_WIDTH:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = wrap
    for column in dates:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "yyyy-mm-dd"
    for column in percents:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = "0%"
