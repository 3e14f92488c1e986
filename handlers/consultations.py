"""/konsultasi (/consultation): consultations between a participant and their mentor, on record.
Either side records one in four answers (the date — today, yesterday or typed —, the topic,
the outcome, the next step); the other side gets it with "confirm" and "not what happened";
both see the list with each record's state. The rules are `core.consultations`'."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, conversation, mentors
from core import consultations as rules
from core.channel import Action, Outbound, Rows
from core.consultations import Kept, Step
from core.errors import InvalidInput
from core.reading import BadDate, read_day
from core.timefmt import weekday_date
from handlers.approvals import mentor_language
from handlers.checkin_view import today_of
from handlers.common import Answer, plain, text
from handlers.mentoring import WITH_COHORT, name_of, tell
from handlers.refusals import bad_date
from handlers.reminders import language_of
from handlers.turn import HasServices, Turn
from storage.mentoring import Consultation, Mentorship
from storage.models import Participant

MARK = {Kept.CONFIRMED: "✅", Kept.UNCONFIRMED: "⏳", Kept.DISPUTED: "⚠️"}
SHOWN = 10  # the latest records listed per participant
_WITH_ID = ("new", "ok", "no")


def _button(
    context: HasServices, lang: str, key: str, action: str, arg: str = "", **values: object
) -> Action:
    return Action(plain(context, lang, key, **values), buttons.pack(buttons.CONSULT, action, arg))


def record_text(context: HasServices, lang: str, record: Consultation) -> str:
    """One record: its state, date, topic, outcome and next step."""
    assert record.held_on is not None
    return text(
        context,
        lang,
        "consult.record",
        mark=MARK.get(Kept(record.state), "⏳"),
        day=weekday_date(record.held_on, lang),
        topic=record.topic or "",
        outcome=record.outcome or "",
        next=record.next_step or plain(context, lang, "consult.no_next"),
        who=plain(
            context, lang, "consult.by_mentor" if record.by_mentor else "consult.by_participant"
        ),
    )


def _to_decide(
    context: HasServices, lang: str, other: str, record: Consultation
) -> tuple[str, Rows]:
    """A record for the other side to decide on; `other` names whoever wrote it (the mentee, or
    the mentor)."""
    body = (
        text(context, lang, "consult.asked", name=other) + "\n" + record_text(context, lang, record)
    )
    rows = [
        [
            _button(context, lang, "consult.button_confirm", "ok", str(record.id)),
            _button(context, lang, "consult.button_dispute", "no", str(record.id)),
        ]
    ]
    return body, rows


def _mentor_name(context: HasServices, lang: str, mentorship: Mentorship | None) -> str:
    name = mentorship.mentor_name if mentorship is not None else None
    return name or plain(context, lang, "mentor.unnamed")


async def _listing(
    session: AsyncSession, context: HasServices, lang: str, participant: Participant, *, own: bool
) -> str:
    records = await rules.of_participant(session, participant.id)
    if not records:
        return text(
            context,
            lang,
            "consult.none_own" if own else "consult.none_of",
            name=name_of(participant),
        )
    key = "consult.heading_own" if own else "consult.heading_of"
    lines = [text(context, lang, key, name=name_of(participant), count=len(records))]
    lines += [record_text(context, lang, r) for r in records[-SHOWN:]]
    return "\n\n".join(lines)


async def show_consultations(turn: Turn) -> None:
    """/konsultasi: a participant's records (and how to add one), a mentor's mentees' (and a
    button to record one with each); the records waiting for this person's confirmation."""
    answer: Answer = []
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        lang, participant = reader.lang, reader.participant
        if participant is not None:
            mentorship = await mentors.active_mentor(session, participant.id)
            rows = (
                [[_button(turn, lang, "consult.button_new", "new", str(participant.id))]]
                if mentorship
                else []
            )
            body = await _listing(session, turn, lang, participant, own=True)
            if mentorship is None:
                body += "\n\n" + text(turn, lang, "consult.no_mentor")
            answer.append((body, rows))
            for record in await rules.waiting_for(session, [participant.id]):
                writer = await session.get(Mentorship, record.mentorship_id or 0)
                answer.append(_to_decide(turn, lang, _mentor_name(turn, lang, writer), record))
        mentees = await mentors.mentees_of(session, turn.person_id)
        if mentees:
            by_id = {m.participant.id: m.participant for m in mentees}
            lines = [text(turn, lang, "consult.mentees", count=len(mentees))]
            for m in mentees:
                records = await rules.of_participant(session, m.participant.id)
                confirmed = sum(1 for r in records if r.state == Kept.CONFIRMED)
                lines.append(
                    text(
                        turn,
                        lang,
                        "consult.mentee_line",
                        name=name_of(m.participant),
                        count=len(records),
                        confirmed=confirmed,
                    )
                )
            rows = [
                [
                    _button(
                        turn, lang, "consult.button_new_with", "new", str(pid), name=name_of(p)[:40]
                    )
                ]
                for pid, p in list(by_id.items())[:SHOWN]
            ]
            answer.append(("\n".join(lines), rows))
            for record in await rules.waiting_for(session, list(by_id), mentor=turn.person_id):
                mentee = by_id[record.participant_id]
                answer.append(_to_decide(turn, lang, name_of(mentee), record))
    if not answer:
        await turn.reply(text(turn, lang, "mentor.nobody"))
        return
    for body, keyboard in answer:
        await turn.reply(body, keyboard or None)


def _parse(data: str | None) -> tuple[str, int | None] | None:
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != buttons.CONSULT or len(data or "") > buttons.MAX_BYTES:
        return None
    action, arg = parts[1], parts[2]
    if action in _WITH_ID:
        number = buttons.parse_id(arg)
        return (action, number) if number is not None else None
    if action == "day" and arg in ("0", "1"):
        return action, int(arg)
    if action == "none" and arg == "":
        return action, None
    return None


async def consultation_button(turn: Turn) -> None:
    parsed = _parse(turn.data)
    services = turn.services
    answer: Answer = []
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        lang = reader.lang
        if parsed is None:
            await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
            return
        action, number = parsed
        now = services.clock()
        if action == "new":
            assert number is not None
            started = await _start(session, turn, lang, number)
            if started is None:
                await turn.answer_button(plain(turn, lang, "consult.cannot"), alert=True)
                return
            answer = [started]
        elif action in ("ok", "no"):
            assert number is not None
            decided = await rules.decide(
                session, turn.person_id, number, confirm=action == "ok", now=now
            )
            if decided.consultation is None or decided.participant is None:
                await turn.answer_button(plain(turn, lang, "consult.cannot"), alert=True)
                return
            answer = [
                await _decided(session, turn, lang, decided.participant, decided.consultation)
            ]
        else:
            draft = await rules.draft_of(session, turn.person_id, now)
            if draft is None or draft.step != (Step.DATE if action == "day" else Step.NEXT):
                await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
                return
            participant = await session.get(Participant, draft.participant_id, options=WITH_COHORT)
            assert participant is not None
            if action == "day":
                today = today_of(turn, participant)
                rules.set_day(draft, today - timedelta(days=number or 0), today)
                answer = [_ask(turn, lang, draft)]
            else:
                rules.finish(draft, now)
                answer = await _written(session, turn, lang, participant, draft)
    await turn.answer_button()
    for body, rows in answer:
        await turn.reply(body, rows)


async def _start(
    session: AsyncSession, turn: Turn, lang: str, participant_id: int
) -> tuple[str, Rows | None] | None:
    """A new record with participant `participant_id`, by them or by their mentor now."""
    participant = await session.get(Participant, participant_id, options=WITH_COHORT)
    if participant is None:
        return None
    mentorship = await mentors.active_mentor(session, participant.id)
    if mentorship is None:
        return None
    own = participant.person_id == turn.person_id
    if not own and mentorship.mentor_person_id != turn.person_id:
        return None
    draft = await rules.start(
        session,
        turn.person_id,
        participant,
        mentorship,
        by_mentor=not own,
        now=turn.services.clock(),
    )
    if own:  # the participant's open question, if any, gives way to the record
        conversation.clear(participant)
    return _ask(turn, lang, draft)


def _ask(context: HasServices, lang: str, draft: Consultation) -> tuple[str, Rows | None]:
    """The question for the draft's next answer."""
    step = Step(draft.step or Step.NEXT)
    if step is Step.DATE:
        rows = [
            [
                _button(context, lang, "consult.button_today", "day", "0"),
                _button(context, lang, "consult.button_yesterday", "day", "1"),
            ]
        ]
        return text(context, lang, "consult.ask_date"), rows
    _, high = rules.LIMITS[step.value]
    if step is Step.NEXT:
        rows = [[_button(context, lang, "consult.button_no_next", "none")]]
        return text(context, lang, "consult.ask_next", max=high), rows
    return text(context, lang, f"consult.ask_{step.value}", max=high), None


async def answer_typed(session: AsyncSession, turn: Turn, lang: str, typed: str) -> Answer | None:
    """Typed text while writing a record: its next answer; None when no record is being
    written (the text is for something else)."""
    now = turn.services.clock()
    draft = await rules.draft_of(session, turn.person_id, now)
    if draft is None:
        return None
    participant = await session.get(Participant, draft.participant_id, options=WITH_COHORT)
    assert participant is not None
    today = today_of(turn, participant)
    try:
        if draft.step == Step.DATE:
            rules.set_day(draft, read_day(typed, today), today)
        else:
            rules.answer(draft, typed, now)
    except BadDate as exc:
        return [(bad_date(turn, lang, exc, "consult.bad_date"), None)]
    except InvalidInput as exc:
        low, high = rules.LIMITS.get(draft.step or "", (0, 0))
        return [(text(turn, lang, str(exc), min=low, max=high, days=rules.MAX_DAYS_BACK), None)]
    if draft.state == Kept.UNCONFIRMED:
        return await _written(session, turn, lang, participant, draft)
    return [_ask(turn, lang, draft)]


async def _written(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    participant: Participant,
    record: Consultation,
) -> Answer:
    """The record is written: to the other side for confirmation (after the commit)."""
    mentorship = (
        await session.get(Mentorship, record.mentorship_id) if record.mentorship_id else None
    )
    if record.by_mentor:
        other, other_lang = participant.person_id, language_of(context, participant)
    elif mentorship is not None and mentorship.mentor_person_id is not None:
        other, other_lang = mentorship.mentor_person_id, mentor_language(context, mentorship)
    else:
        other = None
        other_lang = lang
    if other is not None:
        writer = (
            _mentor_name(context, other_lang, mentorship)
            if record.by_mentor
            else name_of(participant)
        )
        body, rows = _to_decide(context, other_lang, writer, record)
        await tell(session, context, other, Outbound(body, rows), "a consultation to confirm")
    saved = text(context, lang, "consult.saved") + "\n" + record_text(context, lang, record)
    return [(saved, None)]


async def _decided(
    session: AsyncSession,
    context: HasServices,
    lang: str,
    participant: Participant,
    record: Consultation,
) -> tuple[str, Rows | None]:
    """Confirmed or disputed: the writer is told."""
    key = "consult.confirmed" if record.state == Kept.CONFIRMED else "consult.disputed"
    if record.recorded_by is not None:
        writer_lang = language_of(context, participant)
        if record.by_mentor:
            mentorship = (
                await session.get(Mentorship, record.mentorship_id)
                if record.mentorship_id
                else None
            )
            writer_lang = mentor_language(context, mentorship) if mentorship else lang
        news = (
            text(context, writer_lang, f"{key}_news")
            + "\n"
            + record_text(context, writer_lang, record)
        )
        await tell(
            session, context, record.recorded_by, Outbound(news), "a consultation's confirmation"
        )
    return text(context, lang, key) + "\n" + record_text(context, lang, record), None
