"""Quizzes (`core.quizzes`). /kuis (/quiz): a participant's open quizzes, answered one question
at a time — as the channel's own quiz poll where it has them (the answer comes back as a poll
answer; the channel shows right or wrong and the explanation), as lettered buttons elsewhere
(right or wrong and the explanation shown under the question) — then their score, and the
pre→post gain once both are done. The facilitator's side (/hasilkuis) is
`handlers.quiz_results`."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, quiz_scores
from core import quizzes as rules
from core.channel import Action, Address, Capabilities, Outbound, Poll, PollAnswer, Sent
from core.contacts import reach_of
from core.errors import InvalidInput
from core.i18n import escape
from core.numbers import number, percent
from core.participants import poll_refusal
from handlers.common import plain, shorten, text
from handlers.turn import HasServices, Turn
from storage.models import Participant
from storage.quizzes import Quiz

log = logging.getLogger(__name__)


def quiz_button_row(label: str, action: str, arg: str) -> list[Action]:
    return [Action(label, buttons.pack(buttons.QUIZ, action, arg))]


def quiz_name(context: HasServices, lang: str, quiz: Quiz) -> str:
    """ "Pre-test — Revolusi Mental" (the title alone for a plain quiz)."""
    if quiz.kind == "quiz":
        return quiz.title
    return f"{plain(context, lang, f'quiz.kind_{quiz.kind}')} — {quiz.title}"


def score_words(context: HasServices, lang: str, score: quiz_scores.Score) -> str:
    return plain(
        context,
        lang,
        "quiz.score",
        correct=score.correct,
        total=score.total,
        percent=percent(score.percent / 100, lang),
    )


# --- a question as the channel shows it --------------------------------------------------


def question_message(
    context: HasServices, lang: str, caps: Capabilities, asked: rules.Asked, now: datetime
) -> Outbound:
    """The question as the channel's own quiz poll, or as text with a button per option."""
    question, quiz = asked.question, asked.quiz
    options = rules.options_of(question)
    seconds = quiz.seconds
    if seconds is not None:  # shown again: what is left of its time
        left = seconds - int((now - asked.row.asked_at).total_seconds())
        seconds = max(rules.SECONDS_MIN, min(seconds, left))
    if caps.native_polls:  # a pre-test's is a plain poll: it does not show the right answer
        reveal = rules.reveals(quiz)
        return Outbound(
            poll=Poll(
                f"{asked.n}/{asked.total}. {question.text}",
                options,
                correct=question.correct if reveal else None,
                explanation=(question.explanation or "") if reveal else "",
                seconds=seconds,
            )
        )
    lines = [
        text(context, lang, "quiz.question_head", quiz=quiz_name(context, lang, quiz),
             n=asked.n, total=asked.total),
        escape(question.text),
        "",
        *(f"{rules.LETTERS[i]}. {escape(option)}" for i, option in enumerate(options)),
    ]  # fmt: skip
    if seconds is not None:
        lines.append(text(context, lang, "quiz.time_limit", seconds=seconds))
    per_row = max(1, min(5, caps.max_button_row))
    letters = [
        Action(rules.LETTERS[i], buttons.pack(buttons.QUIZ, "a", f"{question.id}.{i}"))
        for i in range(len(options))
    ]
    rows = [letters[i : i + per_row] for i in range(0, len(letters), per_row)]
    return Outbound("\n".join(lines), rows)


async def _keep_poll(context: HasServices, asked: rules.Asked, result: Sent) -> None:
    """A question delivered: its time runs from now (not from before the send), and a poll's
    id is kept, to know the answer when it comes."""
    async with context.services.db.begin() as session:
        at = None if asked.again else context.services.clock()
        await rules.record_sent(session, asked.row.id, result.poll_id, at)


def _feedback(context: HasServices, lang: str, done: rules.Answered) -> str:
    """What an answer by button shows under its question: right or wrong, the right option,
    the explanation."""
    options = rules.options_of(done.question)
    right = f"{rules.LETTERS[done.question.correct]}. {options[done.question.correct]}"
    if not rules.reveals(done.quiz):  # a pre-test: nothing that would show the answers
        return text(context, lang, "quiz.saved_pre" if done.chosen is not None else "quiz.late_pre")
    if done.chosen is None:
        lines = [text(context, lang, "quiz.too_late", right=right)]
    elif done.correct:
        lines = [text(context, lang, "quiz.right")]
    else:
        lines = [text(context, lang, "quiz.wrong", right=right)]
    if done.question.explanation:
        lines.append(text(context, lang, "quiz.explanation", explanation=done.question.explanation))
    return "\n".join(lines)


def _answered_view(
    context: HasServices, lang: str, done: rules.Answered, position: tuple[int, int]
) -> str:
    """The question answered by button, as its message now shows it (no buttons)."""
    options = rules.options_of(done.question)
    n, total = position
    lines = [
        text(context, lang, "quiz.question_head", quiz=quiz_name(context, lang, done.quiz),
             n=n, total=total),
        escape(done.question.text),
    ]  # fmt: skip
    if done.chosen is not None:
        lines.append(
            text(
                context,
                lang,
                "quiz.your_answer",
                answer=f"{rules.LETTERS[done.chosen]}. {options[done.chosen]}",
            )
        )
    return "\n".join(lines) + "\n\n" + _feedback(context, lang, done)


async def _finished(
    session: AsyncSession, context: HasServices, lang: str, quiz: Quiz, participant: Participant
) -> str:
    """The end of a quiz: the score, and the gain from the pre-test once both are done."""
    score = (await quiz_scores.scores(session, quiz, [participant.id]))[participant.id]
    lines = [
        text(
            context,
            lang,
            "quiz.finished",
            quiz=quiz_name(context, lang, quiz),
            score=score_words(context, lang, score),
        )
    ]
    if quiz.kind == "post":
        summary = await quiz_scores.cohort_quizzes(session, quiz.cohort_id, [participant.id])
        gain = summary.gains[participant.id]
        if gain.points is not None and gain.pre is not None and gain.post is not None:
            lines.append(_gain_line(context, lang, gain))
    return "\n".join(lines)


def _gain_line(context: HasServices, lang: str, gain: quiz_scores.Gain) -> str:
    assert gain.pre is not None and gain.post is not None and gain.points is not None
    return text(
        context,
        lang,
        "quiz.gain_own",
        pre=percent(gain.pre.percent / 100, lang),
        post=percent(gain.post.percent / 100, lang),
        points=signed(gain.points, lang),
    )


def cohort_gain(
    context: HasServices, lang: str, summary: quiz_scores.CohortQuizzes, key: str
) -> str | None:
    """The cohort's average pre-test → post-test over those who finished both, and the gain
    (`key`: the catalog's words for it); None until someone has finished both."""
    before, after, count = summary.averages
    if before is None or after is None:
        return None
    return text(
        context,
        lang,
        key,
        pre=percent(before / 100, lang),
        post=percent(after / 100, lang),
        points=signed(after - before, lang),
        count=count,
    )


def signed(points: float, lang: str) -> str:
    """+26, -5, 0: percentage points of a gain."""
    rounded = round(points)
    value = number(rounded, lang)
    return f"+{value}" if rounded > 0 else value


async def _ask(turn: Turn, asked: rules.Asked | None, finished: str | None) -> None:
    """Send the next question (keeping a poll's id), or the end of the quiz."""
    if asked is None:
        if finished:
            await turn.reply(finished)
        return
    message = question_message(
        turn, turn.lang, turn.channel.capabilities, asked, turn.services.clock()
    )
    sent = await turn.send_message(message)
    await _keep_poll(turn, asked, sent)


# --- participants ----------------------------------------------------------------------------


async def show_quizzes(turn: Turn) -> None:
    """/kuis: the quizzes opened to the reader's cohort, how far they have come, their score."""
    async with turn.services.db() as session:
        if (member := await turn.member(session)) is None:
            return
        participant, lang = member
        lines, rows = [], []
        for quiz in await rules.quizzes_of(session, participant.cohort_id, opened=True):
            score = (await quiz_scores.scores(session, quiz, [participant.id]))[participant.id]
            name = quiz_name(turn, lang, quiz)
            if score.finished or quiz.closed_at is not None:
                state = "quiz.line_closed" if not score.finished else "quiz.line_done"
                if not score.answered:
                    state = "quiz.line_missed"
                lines.append(text(turn, lang, state, quiz=name,
                                  score=score_words(turn, lang, score)))  # fmt: skip
                continue
            lines.append(
                text(turn, lang, "quiz.line_open", quiz=name, done=score.answered,
                     total=score.total)
            )  # fmt: skip
            key = "quiz.button_continue" if score.answered else "quiz.button_start"
            rows.append(
                quiz_button_row(plain(turn, lang, key, quiz=shorten(name, 40)), "go", str(quiz.id))
            )
    if not lines:
        await turn.reply(text(turn, lang, "quiz.none_open"))
        return
    await turn.reply(text(turn, lang, "quiz.open_header") + "\n" + "\n".join(lines), rows or None)


async def start(turn: Turn, quiz_id: int) -> None:
    async with turn.services.db.begin() as session:
        if (member := await turn.member(session)) is None:
            return
        participant, lang = member
        quiz = await session.get(Quiz, quiz_id)
        try:
            if quiz is None:
                raise InvalidInput("button.stale")
            asked = await rules.next_question(session, quiz, participant, turn.services.clock())
        except InvalidInput as exc:
            await turn.answer_button(plain(turn, lang, str(exc)), alert=True)
            return
        finished = None if asked else await _finished(session, turn, lang, quiz, participant)
    await turn.answer_button()
    if (
        asked is not None
        and asked.again
        and asked.row.poll_id
        and turn.channel.capabilities.native_polls
    ):
        # Its poll is in the chat still: a new one would let the old one show the answer first.
        await turn.reply(text(turn, lang, "quiz.answer_above", n=asked.n, total=asked.total))
        return
    await _ask(turn, asked, finished)


async def answer_press(turn: Turn, question_id: int, chosen: int) -> None:
    async with turn.services.db.begin() as session:
        if (member := await turn.member(session)) is None:
            return
        participant, lang = member
        now = turn.services.clock()
        try:
            done = await rules.answer(session, participant, question_id, chosen, now)
        except InvalidInput as exc:
            await turn.answer_button(plain(turn, lang, str(exc)), alert=True)
            return
        asked, finished = await _then(session, turn, lang, done.quiz, participant, now)
        position = await _position(session, done)
    if done.chosen is None:
        notice = "quiz.late_short"
    elif not rules.reveals(done.quiz):
        notice = "button.saved"
    else:
        notice = "quiz.right_short" if done.correct else "quiz.wrong_short"
    await turn.answer_button(plain(turn, lang, notice))
    await turn.edit_or_reply(_answered_view(turn, lang, done, position))
    await _ask(turn, asked, finished)


async def _position(session: AsyncSession, done: rules.Answered) -> tuple[int, int]:
    questions = await rules.questions_of(session, done.quiz.id)
    n = next(i for i, q in enumerate(questions, 1) if q.id == done.question.id)
    return n, len(questions)


async def _then(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    quiz: Quiz,
    participant: Participant,
    now: datetime,
) -> tuple[rules.Asked | None, str | None]:
    """After an answer: the next question, or the end."""
    try:
        asked = await rules.next_question(session, quiz, participant, now)
    except InvalidInput:
        return None, None
    if asked is not None:
        return asked, None
    return None, await _finished(session, context, lang, quiz, participant)


async def quiz_poll_answer(turn: Turn) -> bool:
    """A poll answer to a quiz question: recorded, the next question asked (the channel has
    shown right or wrong). False when the poll is not a quiz question's."""
    inbound = turn.inbound
    assert isinstance(inbound, PollAnswer)
    async with turn.services.db.begin() as session:
        row = await rules.row_of_poll(session, inbound.poll_id)
        if row is None:
            return False
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        if participant is None or participant.id != row.participant_id:
            log.info("a quiz poll answered by someone it was not sent to: %s", inbound.poll_id)
            why = await poll_refusal(session, participant, row.participant_id)
            await turn.reply(text(turn, lang, why))
            return True
        if not inbound.options:  # taken back (a quiz poll cannot be; nothing to do)
            return True
        now = turn.services.clock()
        try:
            done = await rules.answer(
                session, participant, row.question_id, inbound.options[0], now
            )
        except InvalidInput as exc:
            await turn.reply(text(turn, lang, str(exc)))
            return True
        asked, finished = await _then(session, turn, lang, done.quiz, participant, now)
        late = text(turn, lang, "quiz.too_late_poll") if done.chosen is None else None
    if late:
        await turn.reply(late)
    await _ask(turn, asked, finished)
    return True


# --- the time of a timed question running out ------------------------------------------------

STOP_AFTER = 2  # questions run out in a row: no more are pushed (the person has gone)


async def advance_timed_out(context: HasServices) -> int:
    """Questions of timed quizzes left unanswered past their time: recorded so, and each of
    those participants asked their next question (or shown their score) — unless STOP_AFTER
    ran out in a row: then nothing more is pushed. How many ran out."""
    services = context.services
    now = services.clock()
    outgoing: list[tuple[Address, Outbound, rules.Asked | None]] = []
    async with services.db.begin() as session:
        due = await rules.timed_out(session, now)
        if not due:
            return 0
        people = {
            p.id: p
            for p in [await session.get(Participant, pid) for _, pid in due]
            if p is not None
        }
        reach = await reach_of(session, {p.person_id for p in people.values()})
        default = services.settings.aksi_default_language
        for quiz_id, pid in due:
            participant, quiz = people.get(pid), await session.get(Quiz, quiz_id)
            where = reach.get(participant.person_id) if participant is not None else None
            if participant is None or quiz is None or where is None or not where.reachable:
                continue
            if await rules.timeouts_in_a_row(session, quiz_id, pid) >= STOP_AFTER:
                continue  # they have gone: /kuis takes them on where they stopped
            lang = participant.language or default
            asked, finished = await _then(session, context, lang, quiz, participant, now)
            channel = services.channels.get(where.address.channel)
            if channel is None:
                continue
            if asked is not None:
                message = question_message(context, lang, channel.capabilities, asked, now)
                outgoing.append((where.address, message, asked))
            elif finished:
                outgoing.append((where.address, Outbound(finished), None))
    for address, message, asked in outgoing:
        result = await services.send_unprompted(address, message)
        if isinstance(result, Sent) and asked is not None:
            await _keep_poll(context, asked, result)
    return len(due)
