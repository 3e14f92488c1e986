"""/tindaklanjut (/followup): the follow-up after the course — where it stands (when it starts,
until when it runs, the reminder days, the answers given), stopped or taken up again with one
command (`/tindaklanjut berhenti`, `lanjut`) or a button. Also what the follow-up messages say
(`compose`, sent by `scheduler.follow_up`): the welcome to it, and every 30 days "is your action
still running?" answered with a button, then what helped or blocked it, typed. The rules are
`core.follow_up`'s."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, conversation
from core import follow_up as rules
from core.channel import Action, Rows
from core.conversation import Ask
from core.errors import InvalidInput
from core.follow_up import Answer as Given
from core.follow_up import Phase
from core.timefmt import long_date
from handlers.checkin_view import today_of
from handlers.common import Answer, plain, text
from handlers.mentoring import WITH_COHORT
from handlers.reminders import language_of
from handlers.turn import HasServices, Reader, Turn
from storage.mentoring import FollowUp
from storage.models import Participant

MARK = {Given.RUNNING: "✅", Given.PARTLY: "🌓", Given.STOPPED: "⛔"}
STOP_WORDS = frozenset({"berhenti", "stop", "henti", "off"})
RESUME_WORDS = frozenset({"lanjut", "resume", "mulai", "on"})
_ANSWERS = {"yes": Given.RUNNING, "part": Given.PARTLY, "no": Given.STOPPED}


def _button(context: HasServices, lang: str, key: str, action: str, arg: int) -> Action:
    return Action(plain(context, lang, key), buttons.pack(buttons.FOLLOW_UP, action, str(arg)))


def weekdays_text(context: HasServices, lang: str, participant: Participant) -> str:
    """The follow-up's reminder days in words ("Sen, Rab, Jum"; every day)."""
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    days = rules.weekdays_of(participant.cohort)
    if len(days) == 7:
        return plain(context, lang, "schedule_kind.daily").lower()
    return ", ".join(plain(context, lang, f"weekday.{keys[d - 1]}") for d in days)


def _terms(context: HasServices, lang: str, participant: Participant) -> dict[str, object]:
    """What the follow-up brings, as its texts say it: its length, its end, and its reminders
    and questions — only those it has (no reminder days, no question in under 30 days)."""
    cohort = participant.cohort
    reminders, questions = bool(rules.weekdays_of(cohort)), bool(rules.questions(cohort))
    kind = {
        (True, True): "both",
        (True, False): "reminders",
        (False, True): "questions",
        (False, False): "none",
    }[(reminders, questions)]
    terms = plain(
        context,
        lang,
        f"follow_up.terms_{kind}",
        weekdays=weekdays_text(context, lang, participant),
        every=rules.EVERY,
    )
    return {
        "cohort": cohort.name,
        "days": plain(context, lang, "count.day", count=cohort.follow_up_days),
        "until": long_date(rules.last_day(cohort), lang),
        "terms": terms,
    }


def compose(
    context: HasServices, participant: Participant, offset: int, follow_up_id: int
) -> tuple[str, Rows]:
    """A follow-up message (for `scheduler.follow_up`): the welcome (offset 0), or the
    question `offset` days after the last day, with its answer buttons."""
    lang = language_of(context, participant)
    stop = [_button(context, lang, "follow_up.button_stop", "off", participant.id)]
    if offset == rules.WELCOME:
        body = text(context, lang, "follow_up.welcome", **_terms(context, lang, participant))
        return body, [stop]
    body = text(
        context,
        lang,
        "follow_up.question",
        days=plain(context, lang, "count.day", count=offset),
        cohort=participant.cohort.name,
    )
    answers = [
        _button(context, lang, f"follow_up.button_{given.value}", action, follow_up_id)
        for action, given in _ANSWERS.items()
    ]
    return body, [answers, stop]


def answer_line(context: HasServices, lang: str, question: FollowUp) -> str:
    """One question as asked and answered, for the status view and /dataku."""
    days = plain(context, lang, "count.day", count=question.offset_days)
    if question.answer is None:
        key = (
            "follow_up.line_unreachable"
            if question.status == "unreachable"
            else ("follow_up.line_open")
        )
        return text(context, lang, key, days=days)
    given = Given(question.answer)
    line = text(
        context,
        lang,
        "follow_up.line_answered",
        days=days,
        mark=MARK[given],
        answer=plain(context, lang, f"follow_up.answer_{given.value}"),
    )
    if question.note:
        line += "\n   " + text(context, lang, "follow_up.line_note", note=question.note)
    return line


async def status_view(
    session: AsyncSession, context: HasServices, lang: str, participant: Participant
) -> tuple[str, Rows | None]:
    """Where the participant's follow-up stands, with the button to stop or resume it."""
    today = today_of(context, participant)
    cohort = participant.cohort
    if cohort.follow_up_days == 0:
        return text(context, lang, "follow_up.none", cohort=cohort.name), None
    terms = _terms(context, lang, participant)
    now = rules.phase(participant, today)
    stopped = participant.follow_up_stopped_at is not None
    if now in (Phase.BEFORE, Phase.TRAINING):
        key = "follow_up.view_stopped_ahead" if stopped else "follow_up.view_ahead"
        body = text(context, lang, key, ends=long_date(cohort.ends_on, lang), **terms)
    elif now is Phase.OVER:
        body = text(context, lang, "follow_up.view_over", **terms)
    elif stopped:
        day = rules.stopped_on(participant)
        assert day is not None
        body = text(context, lang, "follow_up.view_stopped", day=long_date(day, lang), **terms)
    else:
        body = text(context, lang, "follow_up.view_active", **terms)
    asked = (await rules.of_participants(session, [participant.id])).get(participant.id, [])
    if asked:
        body += "\n\n" + "\n".join(answer_line(context, lang, q) for q in asked)
    if now is Phase.OVER:
        return body, None
    if stopped:
        return body, [[_button(context, lang, "follow_up.button_resume", "on", participant.id)]]
    return body, [[_button(context, lang, "follow_up.button_stop", "off", participant.id)]]


def _switch(
    context: HasServices, lang: str, participant: Participant, on: bool, now_today: date
) -> str:
    """Stop or resume the follow-up: what to say."""
    if not on:
        changed = rules.stop(participant, context.services.clock())
        return text(context, lang, "follow_up.stopped" if changed else "follow_up.already_stopped")
    try:
        changed = rules.resume(participant, now_today)
    except InvalidInput as exc:
        return text(context, lang, str(exc))
    key = "follow_up.resumed" if changed else "follow_up.already_on"
    return text(context, lang, key, **_terms(context, lang, participant))


async def show_follow_up(turn: Turn) -> None:
    """/tindaklanjut: where the follow-up stands; `berhenti` (`stop`) stops it at once,
    `lanjut` (`resume`) takes it up again."""
    answer: Answer = []
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        if participant is None:
            await turn.ask_for_code(lang)
            return
        words = [w.lower() for w in turn.args or []]
        if words[:1] and words[0] in STOP_WORDS | RESUME_WORDS:
            today = today_of(turn, participant)
            answer.append((_switch(turn, lang, participant, words[0] in RESUME_WORDS, today), None))
        elif words:
            answer.append((text(turn, lang, "follow_up.bad_argument"), None))
        answer.append(await status_view(session, turn, lang, participant))
    for body, rows in answer:
        await turn.reply(body, rows)


def _parse(data: str | None) -> tuple[str, int] | None:
    """(answer or off/on, the question's or the participant's id); None for anything else."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != buttons.FOLLOW_UP or len(data or "") > buttons.MAX_BYTES:
        return None
    action, number = parts[1], buttons.parse_id(parts[2])
    if action not in (*_ANSWERS, "off", "on") or number is None:
        return None
    return action, number


async def follow_up_button(turn: Turn) -> None:
    """An answer to a follow-up question, or "stop" / "resume" the follow-up."""
    parsed = _parse(turn.data)
    answer: Answer = []
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        if parsed is None:
            await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
            return
        action, number = parsed
        if action in ("off", "on"):  # the membership it is for, the presser's own only
            member = await session.get(Participant, number, options=WITH_COHORT)
            if member is None or member.person_id != turn.person_id:
                await turn.answer_button(plain(turn, lang, "follow_up.not_yours"), alert=True)
                return
            today = today_of(turn, member)
            notice = _switch(turn, lang, member, action == "on", today)
            answer = [(notice, None), await status_view(session, turn, lang, member)]
        else:
            found = await rules.own_question(session, turn.person_id, number)
            if found is None:
                await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
                return
            question, asked = found
            rules.answer(question, _ANSWERS[action], turn.services.clock())
            holder = participant if participant is not None else asked
            waiting = conversation.waiting(holder)
            # An offer after joining is no question being answered (`handlers.guide`).
            if waiting is None or waiting.ask in {Ask.FOLLOW_UP_NOTE, *conversation.OFFERS}:
                conversation.ask(holder, Ask.FOLLOW_UP_NOTE, item_id=question.id)
                answer = [_thanks(turn, lang, question)]
            else:  # another question is open (a check-in's number…): it keeps its answer
                given = plain(turn, lang, f"follow_up.answer_{question.answer}")
                answer = [(text(turn, lang, "follow_up.thanks", answer=given), None)]
    await turn.answer_button(plain(turn, lang, "button.saved"))
    for body, rows in answer:
        await turn.reply(body, rows)


def _thanks(context: HasServices, lang: str, question: FollowUp) -> tuple[str, Rows | None]:
    assert question.answer is not None
    given = plain(context, lang, f"follow_up.answer_{question.answer}")
    key = (
        "follow_up.ask_note_stopped" if question.answer == Given.STOPPED else ("follow_up.ask_note")
    )
    return text(context, lang, key, answer=given, max=rules.NOTE_MAX), None


async def answer_note(session: AsyncSession, turn: Turn, reader: Reader, typed: str) -> Answer:
    """What helped or blocked the action, typed after a follow-up answer."""
    participant, lang = reader.participant, reader.lang
    assert participant is not None
    waiting = conversation.waiting(participant)
    found = None
    if waiting is not None and waiting.item_id is not None:
        found = await rules.own_question(session, turn.person_id, waiting.item_id)
    if found is None:  # the question is gone (data deleted): nothing to keep it for
        conversation.clear(participant)
        return [(text(turn, lang, "fallback.text"), None)]
    try:
        rules.save_note(found[0], typed, turn.services.clock())
    except InvalidInput as exc:
        return [(text(turn, lang, str(exc), max=rules.NOTE_MAX), None)]
    conversation.clear(participant)
    return [(text(turn, lang, "follow_up.note_saved"), None)]


def progress_line(
    context: HasServices, lang: str, participant: Participant, today: date
) -> str | None:
    """For /progres: the follow-up's state once the training has ended (None before)."""
    now = rules.phase(participant, today)
    if now in (Phase.BEFORE, Phase.TRAINING) or participant.cohort.follow_up_days == 0:
        return None
    terms = _terms(context, lang, participant)
    return text(context, lang, f"follow_up.progress_{now.value}", **terms)
