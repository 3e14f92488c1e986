"""Quizzes, the facilitator's side (`core.quizzes`; the participant's is `handlers.quizzes`).
/hasilkuis (/quizresults): the cohort's quizzes, one opened to every participant, results
(scores, the hardest questions), the pre→post gain per participant and for the cohort, a quiz
closed (asked first, final). The quiz buttons of both sides are routed here."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, quiz_scores
from core import quizzes as rules
from core.channel import Action, Outbound, Rows
from core.confirmations import Taken
from core.i18n import escape
from core.numbers import percent
from core.participants import cohort_members
from core.staff import can_manage
from handlers import confirm
from handlers.common import Answer, plain, shorten, text
from handlers.mentoring import name_of, tell_all
from handlers.quizzes import (
    answer_press,
    cohort_gain,
    quiz_name,
    score_words,
    signed,
    start,
)
from handlers.quizzes import (
    quiz_button_row as _button,
)
from handlers.refusals import stale_button
from handlers.staff import staff_view
from handlers.turn import HasServices, Turn
from storage.models import Cohort
from storage.quizzes import Quiz


def _parse(data: str | None) -> tuple[str, int, int | None] | None:
    """quz:a:<question>.<option>, or quz:go|open|close|res|gain:<id>."""
    return buttons.id_action(data, buttons.QUIZ, ANSWER, QUIZ_ACTIONS)


ANSWER = frozenset({"a"})
QUIZ_ACTIONS = frozenset({"go", "open", "close", "res", "gain"})


async def quiz_button(turn: Turn) -> None:
    parsed = _parse(turn.data)
    if parsed is None:
        await stale_button(turn)
        return
    action, first, second = parsed
    if action == "go":
        await start(turn, first)
    elif action == "a":
        assert second is not None
        await answer_press(turn, first, second)
    else:
        await _staff_press(turn, action, first)


async def _overview(
    session: AsyncSession, context: HasServices, lang: str, cohort: Cohort
) -> tuple[str, Rows]:
    members = await cohort_members(session, cohort.id)
    ids = [p.id for p in members]
    lines = [text(context, lang, "quiz.staff_header", code=cohort.code)]
    rows: list[list[Action]] = []
    quizzes = await rules.quizzes_of(session, cohort.id)
    for quiz in quizzes:
        name = quiz_name(context, lang, quiz)
        short = shorten(name, 28)
        total = len(await rules.questions_of(session, quiz.id))
        if quiz.opened_at is None:
            lines.append(text(context, lang, "quiz.staff_line_new", quiz=name, questions=total))
            rows.append(_button(plain(context, lang, "quiz.button_open", quiz=short), "open",
                                str(quiz.id)))  # fmt: skip
            continue
        found = await quiz_scores.scores(session, quiz, ids)
        done = [s for s in found.values() if s.finished]
        mean = quiz_scores.average([s.percent for s in done])
        state = "closed" if quiz.closed_at is not None else "open"
        lines.append(
            text(
                context,
                lang,
                f"quiz.staff_line_{state}",
                quiz=name,
                questions=total,
                finished=len(done),
                members=len(members),
                average=percent(mean / 100, lang) if mean is not None else "—",
            )
        )
        rows.append(_button(plain(context, lang, "quiz.button_results", quiz=short), "res",
                            str(quiz.id)))  # fmt: skip
        if quiz.closed_at is None:
            rows.append(_button(plain(context, lang, "quiz.button_close", quiz=short), "close",
                                str(quiz.id)))  # fmt: skip
    if not quizzes:
        lines.append(text(context, lang, "quiz.no_quizzes"))
    opened = {q.kind for q in quizzes if q.opened_at is not None}
    if {"pre", "post"} <= opened:
        rows.append(_button(plain(context, lang, "quiz.button_gain"), "gain", str(cohort.id)))
    return "\n".join(lines), rows


show_results = staff_view(
    "hasilkuis",
    _overview,
    "/hasilkuis: the cohort's quizzes (finished k/n, average), open one, results, close.",
)


async def _staff_press(turn: Turn, action: str, number_: int) -> None:
    services = turn.services
    answer: Answer = []
    messages: list[tuple[int, Outbound]] = []
    async with services.db.begin() as session:
        lang = (await turn.identify(session)).lang
        if action == "gain":
            cohort = await session.get(Cohort, number_)
            if cohort is None or not await can_manage(
                session, turn.person_id, cohort.id, turn.is_admin
            ):
                await turn.answer_button(plain(turn, lang, "staff.only"), alert=True)
                return
            answer.append((await _gain_view(session, turn, lang, cohort), None))
        else:
            quiz = await rules.managed_quiz(session, turn.person_id, turn.is_admin, number_)
            if quiz is None:
                await turn.answer_button(plain(turn, lang, "staff.only"), alert=True)
                return
            if action == "res":
                answer.append((await _results(session, turn, lang, quiz), None))
            elif action == "open":
                answer.append(await _open(session, turn, lang, quiz, messages))
            elif quiz.closed_at is not None:
                answer.append((text(turn, lang, "quiz.closed"), None))
            else:  # closing is final: asked first
                keyboard = await confirm.ask(
                    session, turn, turn.person_id, lang, "close_quiz", {"id": quiz.id},
                    confirm.yes_no(turn, lang, "quiz.confirm_close"),
                )  # fmt: skip
                body = text(turn, lang, "quiz.close_ask", quiz=quiz_name(turn, lang, quiz))
                answer.append((body + "\n\n" + confirm.valid_for(turn, lang), keyboard))
        if messages:
            await tell_all(session, turn, messages, "a quiz opened")
    await turn.answer_button()
    for body, rows in answer:
        await turn.reply(body, rows)


async def _open(
    session: AsyncSession,
    turn: Turn,
    lang: str,
    quiz: Quiz,
    messages: list[tuple[int, Outbound]],
) -> tuple[str, Rows | None]:
    """Open the quiz (once: a second press, or two facilitators at once, opens it once) and
    invite every participant of its cohort."""
    now = turn.services.clock()
    done = await session.execute(
        update(Quiz).where(Quiz.id == quiz.id, Quiz.opened_at.is_(None)).values(opened_at=now)
    )
    if not getattr(done, "rowcount", 0):
        return text(turn, lang, "quiz.already_open", quiz=quiz_name(turn, lang, quiz)), None
    total = len(await rules.questions_of(session, quiz.id))
    default = turn.services.settings.aksi_default_language
    for p in await cohort_members(session, quiz.cohort_id):
        theirs = p.language or default
        name = quiz_name(turn, theirs, quiz)
        body = text(turn, theirs, "quiz.invite", quiz=name, questions=total)
        if quiz.seconds is not None:
            body += "\n" + text(turn, theirs, "quiz.invite_timed", seconds=quiz.seconds)
        label = plain(turn, theirs, "quiz.button_start", quiz=shorten(name, 40))
        messages.append((p.person_id, Outbound(body, [_button(label, "go", str(quiz.id))])))
    return text(turn, lang, "quiz.opened", quiz=quiz_name(turn, lang, quiz),
                count=len(messages)), None  # fmt: skip


async def _results(session: AsyncSession, context: HasServices, lang: str, quiz: Quiz) -> str:
    """Scores per participant, the average, the hardest questions."""
    members = await cohort_members(session, quiz.cohort_id)
    found = await quiz_scores.scores(session, quiz, [p.id for p in members])
    done = [s.percent for s in found.values() if s.finished]
    mean = quiz_scores.average(done)
    lines = [
        text(
            context,
            lang,
            "quiz.results_header",
            quiz=quiz_name(context, lang, quiz),
            finished=len(done),
            members=len(members),
            average=percent(mean / 100, lang) if mean is not None else "—",
        )
    ]
    hard = quiz_scores.hardest(await quiz_scores.question_results(session, quiz))
    if hard:
        lines.append(text(context, lang, "quiz.hardest_header"))
        for r in hard:
            lines.append(
                text(
                    context,
                    lang,
                    "quiz.hardest_line",
                    n=r.n,
                    question=shorten(r.question.text, 60),
                    percent=percent(r.percent / 100, lang),
                    correct=r.correct,
                    answered=r.answered,
                )
            )
    lines.append(text(context, lang, "quiz.scores_header"))
    for p in members:
        score = found[p.id]
        if not score.answered:
            state = plain(context, lang, "quiz.not_started")
        else:
            state = score_words(context, lang, score)
            if not score.finished:
                state += " " + plain(context, lang, "quiz.unfinished", done=score.answered)
        lines.append(f"• {escape(name_of(p))}: {escape(state)}")
    return "\n".join(lines)


async def _gain_view(session: AsyncSession, context: HasServices, lang: str, cohort: Cohort) -> str:
    members = await cohort_members(session, cohort.id)
    summary = await quiz_scores.cohort_quizzes(session, cohort.id, [p.id for p in members])
    pre, post, found = summary.pre, summary.post, summary.gains
    if pre is None or post is None:  # a stale button: a test was never opened
        return text(context, lang, "quiz.gain_none")
    lines = [
        text(context, lang, "quiz.gain_header", pre=pre.title, post=post.title),
        cohort_gain(context, lang, summary, "quiz.gain_cohort")
        or text(context, lang, "quiz.gain_none"),
    ]
    for p in members:
        gain = found[p.id]
        pre_s = percent(gain.pre.percent / 100, lang) if gain.pre and gain.pre.finished else "—"
        post_s = percent(gain.post.percent / 100, lang) if gain.post and gain.post.finished else "—"
        points = f" ({signed(gain.points, lang)})" if gain.points is not None else ""
        lines.append(f"• {escape(name_of(p))}: {pre_s} → {post_s}{points}")
    return "\n".join(lines)


@confirm.action("close_quiz", again="quiz.again")
async def close_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """The answer to "close this quiz?": closed for good and its results shown, or kept
    open."""
    return await confirm.close_for_good(
        session, turn, taken, choice, rules.managed_quiz, "quiz.kept_open", _results
    )
