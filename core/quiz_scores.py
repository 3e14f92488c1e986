"""Quiz results (`core.quizzes` runs the quizzes): each participant's score, each question's
share of right answers and the hardest ones, the pre→post gain per participant and for the
cohort — for /hasilkuis, /rekap, the export and the final report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.quizzes import Quiz, QuizAnswer, QuizQuestion


@dataclass(frozen=True)
class Score:
    correct: int
    answered: int  # questions answered or timed out
    total: int

    @property
    def finished(self) -> bool:
        return self.answered >= self.total > 0

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0


async def scores(
    session: AsyncSession, quiz: Quiz, participant_ids: Sequence[int]
) -> dict[int, Score]:
    """Each participant's score on the quiz (0 of the total for those who have not started)."""
    total = int(
        await session.scalar(
            select(func.count()).select_from(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id)
        )
        or 0
    )
    rows = (
        await session.execute(
            select(
                QuizAnswer.participant_id,
                func.count(QuizAnswer.answered_at),
                func.count().filter(QuizAnswer.correct.is_(True)),
            )
            .where(QuizAnswer.quiz_id == quiz.id)
            .group_by(QuizAnswer.participant_id)
        )
    ).all()
    found = {pid: (int(answered), int(right)) for pid, answered, right in rows}
    return {
        pid: Score(found.get(pid, (0, 0))[1], found.get(pid, (0, 0))[0], total)
        for pid in participant_ids
    }


@dataclass(frozen=True)
class QuestionResult:
    question: QuizQuestion
    n: int
    answered: int
    correct: int

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.answered if self.answered else 0.0


async def question_results(session: AsyncSession, quiz: Quiz) -> list[QuestionResult]:
    """Per question (in order): how many answered (or ran out of time) and how many were
    right, in one query."""
    rows = (
        await session.execute(
            select(
                QuizQuestion,
                func.count(QuizAnswer.answered_at),
                func.count(QuizAnswer.id).filter(QuizAnswer.correct.is_(True)),
            )
            .outerjoin(QuizAnswer, QuizAnswer.question_id == QuizQuestion.id)
            .where(QuizQuestion.quiz_id == quiz.id)
            .group_by(QuizQuestion.id)
            .order_by(QuizQuestion.position, QuizQuestion.id)
        )
    ).all()
    return [QuestionResult(q, n, int(a), int(c)) for n, (q, a, c) in enumerate(rows, 1)]


def hardest(results: Sequence[QuestionResult], count: int = 3) -> list[QuestionResult]:
    """The questions fewest got right (of those anyone answered), the hardest first."""
    answered = [r for r in results if r.answered]
    return sorted(answered, key=lambda r: (r.percent, r.n))[:count]


@dataclass(frozen=True)
class Gain:
    pre: Score | None
    post: Score | None

    @property
    def points(self) -> float | None:
        """Post-test percent less pre-test percent, when both are finished."""
        if self.pre is None or self.post is None:
            return None
        if not (self.pre.finished and self.post.finished):
            return None
        return self.post.percent - self.pre.percent


@dataclass(frozen=True)
class CohortQuizzes:
    """A cohort's latest opened pre-test and post-test: each participant's scores and gain,
    and the hardest questions of the later one."""

    pre: Quiz | None
    post: Quiz | None
    gains: dict[int, Gain]
    questions: list[QuestionResult]  # of the post-test (the pre-test until there is one)

    @property
    def hardest(self) -> list[QuestionResult]:
        return hardest(self.questions)

    @property
    def averages(self) -> tuple[float | None, float | None, int]:
        """The cohort's average pre-test and post-test percent over those who finished both,
        and how many they are."""
        both = [g for g in self.gains.values() if g.points is not None]
        pre = average([g.pre.percent for g in both if g.pre is not None])
        post = average([g.post.percent for g in both if g.post is not None])
        return pre, post, len(both)


async def cohort_quizzes(
    session: AsyncSession, cohort_id: int, participant_ids: Sequence[int]
) -> CohortQuizzes:
    """Per participant the pre-test and post-test scores and the gain between them, and the
    hardest questions: three queries at most (the cohort reports count them)."""
    opened = (
        await session.execute(
            select(Quiz, func.count(QuizQuestion.id))
            .outerjoin(QuizQuestion, QuizQuestion.quiz_id == Quiz.id)
            .where(
                Quiz.cohort_id == cohort_id,
                Quiz.opened_at.is_not(None),
                Quiz.kind.in_(("pre", "post")),
            )
            .group_by(Quiz.id)
            .order_by(Quiz.created_at, Quiz.id)
        )
    ).all()
    latest: dict[str, tuple[Quiz, int]] = {quiz.kind: (quiz, int(n)) for quiz, n in opened}
    if not latest:
        return CohortQuizzes(None, None, {}, [])
    ids = [quiz.id for quiz, _ in latest.values()]
    rows = (
        await session.execute(
            select(
                QuizAnswer.quiz_id,
                QuizAnswer.participant_id,
                func.count(QuizAnswer.answered_at),
                func.count().filter(QuizAnswer.correct.is_(True)),
            )
            .where(QuizAnswer.quiz_id.in_(ids))
            .group_by(QuizAnswer.quiz_id, QuizAnswer.participant_id)
        )
    ).all()
    found = {(qid, pid): (int(a), int(c)) for qid, pid, a, c in rows}

    def score(kind: str, pid: int) -> Score | None:
        if kind not in latest:
            return None
        quiz, total = latest[kind]
        answered, right = found.get((quiz.id, pid), (0, 0))
        return Score(right, answered, total)

    gains = {pid: Gain(score("pre", pid), score("post", pid)) for pid in participant_ids}
    later = latest.get("post", latest.get("pre"))
    assert later is not None
    results = await question_results(session, later[0])
    pre, post = latest.get("pre"), latest.get("post")
    return CohortQuizzes(pre[0] if pre else None, post[0] if post else None, gains, results)


def average(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
