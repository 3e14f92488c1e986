"""Quizzes imported from a CSV file (`aksi quiz import`): a question per line, its options in
columns A–J, the correct option and an optional explanation — checked whole (every wrong line
named, nothing kept from a file with one) and stored as a quiz of the cohort, not yet open
(`core.quizzes` runs it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.csv_reader import _Reader
from core.import_problems import Problem, problem
from core.imports import ImportRefused
from core.quizzes import (
    EXPLANATION_MAX,
    KINDS,
    LETTERS,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    OPTION_MAX,
    QUESTION_MAX,
    SECONDS_MAX,
    SECONDS_MIN,
    TITLE_MAX,
)
from storage.quizzes import Quiz, QuizQuestion

OPTION_COLUMNS = tuple(c.lower() for c in LETTERS)
# Each column's Indonesian name too: soal, jawaban, penjelasan.
QUIZ_COLUMNS = ("question", *OPTION_COLUMNS, "correct", "explanation")
ALIASES = {"soal": "question", "pertanyaan": "question", "jawaban": "correct", "kunci": "correct",
           "penjelasan": "explanation", "pembahasan": "explanation"}  # fmt: skip


@dataclass(frozen=True)
class QuestionRow:
    text: str
    options: tuple[str, ...]
    correct: int
    explanation: str | None


def _correct_index(value: str, count: int) -> int | None:
    """ "B", "b" or "2": the option's index (0-based) among `count`; None when not one."""
    value = value.strip().upper().rstrip(".)")
    if len(value) == 1 and value in LETTERS:
        index = LETTERS.index(value)
    elif value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_OPTIONS:
        index = int(value) - 1
    else:
        return None
    return index if index < count else None


def _one_line(value: str) -> str:
    """A cell's text on one line (Telegram takes few line breaks in a poll)."""
    return " ".join(value.split())


def parse_quiz(data: bytes) -> list[QuestionRow]:
    """The questions of a quiz file (header `question,a,b,c,d,correct,explanation`, up to ten
    options a–j, the correct one as a letter or number); `ImportRefused` naming every line
    that is wrong."""
    reader: _Reader[QuestionRow] = _Reader((*QUIZ_COLUMNS, *ALIASES), ())
    rows: list[QuestionRow] = []
    header_checked = False
    for line, raw in reader.rows(data):
        row = {ALIASES.get(k, k): _one_line(v) for k, v in raw.items()}
        if not header_checked:
            header_checked = True
            missing = [c for c in ("question", "a", "b", "correct") if c not in row]
            if missing:
                reader.problems.append(problem(1, "missing_column", columns=", ".join(missing)))
                break
        text = reader.need(line, row, "question", QUESTION_MAX)
        options: list[str] = []
        gap = False
        for column in OPTION_COLUMNS:
            value = row.get(column, "")
            if not value:
                gap = True
                continue
            if gap:
                reader.problems.append(problem(line, "option_gap", name=column))
                break
            if len(value) > OPTION_MAX:
                reader.problems.append(problem(line, "too_long", name=column, limit=OPTION_MAX))
            options.append(value)
        if len(options) < 2:
            reader.problems.append(problem(line, "few_options"))
            continue
        if len(set(options)) != len(options):
            reader.problems.append(problem(line, "same_options"))
        answer = row.get("correct", "")
        correct = _correct_index(answer, len(options))
        if correct is None:
            reader.problems.append(problem(line, "bad_correct", value=answer, count=len(options)))
        explanation = reader.optional(line, row, "explanation", EXPLANATION_MAX)
        if text is not None and correct is not None:
            rows.append(QuestionRow(text, tuple(options), correct, explanation))
    if len(rows) > MAX_QUESTIONS:
        reader.problems.append(problem(0, "too_many_rows", limit=MAX_QUESTIONS))
    if reader.problems:
        raise ImportRefused(reader.problems)
    return rows


def check_settings(kind: str, title: str, seconds: int | None) -> list[Problem]:
    found = []
    if kind not in KINDS:
        found.append(problem(0, "bad_quiz_kind", value=kind, kinds=", ".join(KINDS)))
    if not title.strip() or len(title) > TITLE_MAX:
        found.append(problem(0, "bad_quiz_title", limit=TITLE_MAX))
    if seconds is not None and not SECONDS_MIN <= seconds <= SECONDS_MAX:
        found.append(problem(0, "bad_seconds", low=SECONDS_MIN, high=SECONDS_MAX))
    return found


async def import_quiz(
    session: AsyncSession,
    cohort_id: int,
    kind: str,
    title: str,
    seconds: int | None,
    data: bytes,
    now: datetime,
) -> Quiz:
    """A new quiz of the cohort from a CSV file (not yet open): all or nothing."""
    problems = check_settings(kind, title, seconds)
    if problems:
        raise ImportRefused(problems)
    rows = parse_quiz(data)
    quiz = Quiz(
        cohort_id=cohort_id, kind=kind, title=title.strip(), seconds=seconds, created_at=now
    )
    session.add(quiz)
    await session.flush()
    for position, row in enumerate(rows):
        session.add(
            QuizQuestion(
                quiz_id=quiz.id,
                position=position,
                text=row.text,
                options=json.dumps(row.options, ensure_ascii=False),
                correct=row.correct,
                explanation=row.explanation,
            )
        )
    await session.flush()
    return quiz
