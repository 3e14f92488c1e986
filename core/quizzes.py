"""Quizzes: a pre-test and a post-test (or any quiz) of multiple-choice questions imported from a
CSV file, opened to a cohort by a facilitator, answered one question at a time — as the
channel's own quiz poll where it has them, as buttons elsewhere — and scored: per participant,
the pre→post gain per participant and for the cohort, the hardest questions.

Each question asked is a `QuizAnswer` row written before it is sent (its poll id kept once
sent), answered once: a second answer, an answer to a question never asked, to another
person's question or to a closed quiz is refused and changes nothing. A timed quiz gives each
question `seconds` (the poll's `open_period`); a question left unanswered past its time (and
`GRACE`) counts as wrong and the next one is asked."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.participants import stale_or_left
from core.staff import can_manage
from storage.base import lock_row
from storage.models import Participant
from storage.quizzes import Quiz, QuizAnswer, QuizQuestion

KINDS = ("pre", "post", "quiz")
MAX_OPTIONS = 10  # Telegram's quiz polls take 2 to 10 options
LETTERS = string.ascii_uppercase[:MAX_OPTIONS]
QUESTION_MAX = 255  # Telegram: 300, less the "10/10. " put in front
OPTION_MAX = 100
EXPLANATION_MAX = 200
TITLE_MAX = 100
SECONDS_MIN, SECONDS_MAX = 5, 600  # Telegram's open_period
MAX_QUESTIONS = 100
GRACE = timedelta(seconds=5)  # a button pressed just as the time ran out still counts


def options_of(question: QuizQuestion) -> tuple[str, ...]:
    return tuple(json.loads(question.options))


async def questions_of(session: AsyncSession, quiz_id: int) -> list[QuizQuestion]:
    return list(
        await session.scalars(
            select(QuizQuestion)
            .where(QuizQuestion.quiz_id == quiz_id)
            .order_by(QuizQuestion.position, QuizQuestion.id)
        )
    )


async def quizzes_of(session: AsyncSession, cohort_id: int, opened: bool = False) -> list[Quiz]:
    """The cohort's quizzes, oldest first (`opened`: only those opened to the participants)."""
    query = select(Quiz).where(Quiz.cohort_id == cohort_id)
    if opened:
        query = query.where(Quiz.opened_at.is_not(None))
    return list(await session.scalars(query.order_by(Quiz.created_at, Quiz.id)))


async def managed_quiz(
    session: AsyncSession, person_id: int, admin: bool, quiz_id: int
) -> Quiz | None:
    """The quiz when this person facilitates its cohort (or is an admin); else None."""
    quiz = await session.get(Quiz, quiz_id)
    if quiz is None or not await can_manage(session, person_id, quiz.cohort_id, admin):
        return None
    return quiz


def expired(quiz: Quiz, row: QuizAnswer, now: datetime) -> bool:
    return quiz.seconds is not None and now > row.asked_at + timedelta(seconds=quiz.seconds) + GRACE


async def _time_out(session: AsyncSession, row_id: int, now: datetime) -> bool:
    """Record a question as unanswered in time; False when it was answered meanwhile."""
    done = await session.execute(
        update(QuizAnswer)
        .where(QuizAnswer.id == row_id, QuizAnswer.answered_at.is_(None))
        .values(answered_at=now, chosen=None, correct=False)
    )
    return bool(getattr(done, "rowcount", 0))


@dataclass(frozen=True)
class Asked:
    """The question to show: its row (asked now, or earlier and still waiting), number, count."""

    quiz: Quiz
    question: QuizQuestion
    row: QuizAnswer
    n: int
    total: int
    again: bool  # asked before and not answered yet (shown again)


async def next_question(
    session: AsyncSession, quiz: Quiz, participant: Participant, now: datetime
) -> Asked | None:
    """The participant's current question — the one waiting for their answer, or the next one,
    recorded as asked now — or None when they have answered them all. A waiting one whose time
    has run out is recorded unanswered first. InvalidInput when the quiz is not theirs to
    answer: `cohort.left` (of a cohort they moved away from), `button.stale` (another cohort's,
    not opened), `quiz.closed`."""
    if quiz.cohort_id != participant.cohort_id:
        raise InvalidInput(await stale_or_left(session, participant, quiz.cohort_id))
    if quiz.opened_at is None:
        raise InvalidInput("button.stale")
    if quiz.closed_at is not None:
        raise InvalidInput("quiz.closed")
    await lock_row(session, Participant.id, participant.id)  # /kuis twice at once: one row
    questions = await questions_of(session, quiz.id)
    rows = {
        r.question_id: r
        for r in await session.scalars(
            select(QuizAnswer).where(
                QuizAnswer.quiz_id == quiz.id, QuizAnswer.participant_id == participant.id
            )
        )
    }
    for n, question in enumerate(questions, 1):
        row = rows.get(question.id)
        if row is not None and row.answered_at is None:
            if not expired(quiz, row, now):
                return Asked(quiz, question, row, n, len(questions), again=True)
            await _time_out(session, row.id, now)
            continue
        if row is None:
            row = QuizAnswer(
                quiz_id=quiz.id, question_id=question.id, participant_id=participant.id,
                asked_at=now, correct=False,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            return Asked(quiz, question, row, n, len(questions), again=False)
    return None


def reveals(quiz: Quiz) -> bool:
    """Whether answering shows the right answer and the explanation: not in a pre-test (the
    post-test would measure what the pre-test told)."""
    return quiz.kind != "pre"


async def record_sent(
    session: AsyncSession, row_id: int, poll_id: str, at: datetime | None
) -> None:
    """A question delivered: the channel's id of the poll it was sent as (its answer names
    it), and `at`, when its time starts (None: shown again, its time runs on)."""
    values: dict[str, object] = {}
    if poll_id:
        values["poll_id"] = poll_id
    if at is not None:
        values["asked_at"] = at
    if values:
        await session.execute(
            update(QuizAnswer)
            .where(QuizAnswer.id == row_id, QuizAnswer.answered_at.is_(None))
            .values(**values)
        )


async def timeouts_in_a_row(session: AsyncSession, quiz_id: int, participant_id: int) -> int:
    """How many of the participant's last answered questions ran out of time, in a row."""
    rows = await session.execute(
        select(QuizAnswer.chosen)
        .join(QuizQuestion, QuizQuestion.id == QuizAnswer.question_id)
        .where(
            QuizAnswer.quiz_id == quiz_id,
            QuizAnswer.participant_id == participant_id,
            QuizAnswer.answered_at.is_not(None),
        )
        .order_by(QuizQuestion.position.desc())
    )
    count = 0
    for (chosen,) in rows:
        if chosen is not None:
            break
        count += 1
    return count


@dataclass(frozen=True)
class Answered:
    quiz: Quiz
    question: QuizQuestion
    chosen: int | None  # None: too late
    correct: bool


async def row_of_poll(session: AsyncSession, poll_id: str) -> QuizAnswer | None:
    if not poll_id or len(poll_id) > 64:
        return None
    return await session.scalar(select(QuizAnswer).where(QuizAnswer.poll_id == poll_id))


async def answer(
    session: AsyncSession,
    participant: Participant,
    question_id: int,
    chosen: int,
    now: datetime,
) -> Answered:
    """Record the participant's answer to a question asked of them. InvalidInput, nothing
    written: `button.stale` (a question never asked of them, an option that does not exist),
    `cohort.left` (asked of them in a cohort they moved away from), `quiz.closed`,
    `quiz.already_answered`. A timed question answered after its time is
    recorded as unanswered (`chosen` None)."""
    found = (
        await session.execute(
            select(QuizAnswer, QuizQuestion, Quiz)
            .join(QuizQuestion, QuizQuestion.id == QuizAnswer.question_id)
            .join(Quiz, Quiz.id == QuizAnswer.quiz_id)
            .where(
                QuizAnswer.question_id == question_id,
                QuizAnswer.participant_id == participant.id,
            )
        )
    ).first()
    if found is None:  # not asked of them: perhaps in a cohort they moved away from
        cohort_id = await session.scalar(
            select(Quiz.cohort_id)
            .join(QuizQuestion, QuizQuestion.quiz_id == Quiz.id)
            .where(QuizQuestion.id == question_id)
        )
        raise InvalidInput(await stale_or_left(session, participant, cohort_id))
    row, question, quiz = found
    if quiz.closed_at is not None:
        raise InvalidInput("quiz.closed")
    if row.answered_at is not None:
        raise InvalidInput("quiz.already_answered")
    if not 0 <= chosen < len(options_of(question)):
        raise InvalidInput("button.stale")
    if expired(quiz, row, now):
        if not await _time_out(session, row.id, now):
            raise InvalidInput("quiz.already_answered")
        return Answered(quiz, question, None, False)
    right = chosen == question.correct
    done = await session.execute(  # two presses at once: one answer
        update(QuizAnswer)
        .where(QuizAnswer.id == row.id, QuizAnswer.answered_at.is_(None))
        .values(answered_at=now, chosen=chosen, correct=right)
    )
    if not getattr(done, "rowcount", 0):
        raise InvalidInput("quiz.already_answered")
    return Answered(quiz, question, chosen, right)


async def timed_out(session: AsyncSession, now: datetime) -> list[tuple[int, int]]:
    """Questions of open timed quizzes left unanswered past their time: recorded unanswered
    (claimed, so that two workers do it once), returned as (quiz id, participant id) to ask
    each the next question."""
    rows = (
        await session.execute(
            select(QuizAnswer.id, QuizAnswer.quiz_id, QuizAnswer.participant_id,
                   QuizAnswer.asked_at, Quiz.seconds)
            .join(Quiz, Quiz.id == QuizAnswer.quiz_id)
            .where(
                QuizAnswer.answered_at.is_(None),
                Quiz.seconds.is_not(None),
                Quiz.closed_at.is_(None),
            )
        )
    ).all()  # fmt: skip
    found = []
    for row_id, quiz_id, participant_id, asked_at, seconds in rows:
        if seconds is None:
            continue
        if now > asked_at + timedelta(seconds=seconds) + GRACE and await _time_out(
            session, row_id, now
        ):
            found.append((quiz_id, participant_id))
    return found


async def own_answers(
    session: AsyncSession, participant_id: int
) -> list[tuple[QuizAnswer, QuizQuestion, Quiz]]:
    """The participant's own answers (for /dataku)."""
    rows = await session.execute(
        select(QuizAnswer, QuizQuestion, Quiz)
        .join(QuizQuestion, QuizQuestion.id == QuizAnswer.question_id)
        .join(Quiz, Quiz.id == QuizAnswer.quiz_id)
        .where(QuizAnswer.participant_id == participant_id)
        .order_by(Quiz.id, QuizQuestion.position)
    )
    return [(a, q, z) for a, q, z in rows.all()]
