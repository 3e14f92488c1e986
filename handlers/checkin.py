"""/lapor (/checkin): today's habits as buttons — done, not done, skipped with a reason, or a
number — an optional reflection, and days up to a week back. A logged habit's button opens its
choices again: change the entry or undo it."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import checkins, conversation
from core.channel import Rows
from core.conversation import Ask
from core.errors import InvalidInput, TooLong
from core.habits import Status
from core.numbers import number
from core.plans import TARGET_MAX, parse_amount
from core.reading import Amount, BadDate, BadNumber, read_day
from core.timefmt import long_date
from handlers import refusals
from handlers.checkin_view import (
    REASONS,
    YESTERDAY_WORDS,
    Press,
    parse_press,
    render_choices,
    render_days,
    render_reasons,
    render_sheet,
    today_of,
)
from handlers.common import Answer, plain, text
from handlers.turn import HasServices, Reader, Turn
from storage.models import Participant


def parse_day_argument(args: list[str], today: date) -> date | None:
    """`/lapor` (today), `/lapor kemarin`, `/lapor 2021-09-03`, `/lapor 3/9/2021` or
    `/lapor 3/9`; None for words that are not a day. A date that does not exist
    (`2026-02-31`, `31/2`) raises BadDate, to be answered as impossible."""
    if not args:
        return today
    word = args[0].lower()
    if len(args) > 1:
        return None
    if word in YESTERDAY_WORDS:
        return today - timedelta(days=1)
    try:
        return read_day(word, today)
    except BadDate as exc:
        if exc.impossible:
            raise
        return None


async def show_checkin(turn: Turn) -> None:
    """/lapor: today's habits as buttons; `/lapor kemarin` or a date up to a week back."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        lang = reader.lang
        today = today_of(turn, participant)
        try:
            day = parse_day_argument(list(turn.args or []), today)
        except BadDate as exc:
            await turn.reply(refusals.bad_date(turn, lang, exc, "checkin.bad_argument"))
            return
        if day is None:
            example = checkins.example_day(participant, today).isoformat()
            await turn.reply(text(turn, lang, "checkin.bad_argument", example=example))
            return
        try:
            checkins.check_day(participant, day, today)
        except InvalidInput:
            await turn.reply(
                text(turn, lang, "checkin.day_out_of_range", days=checkins.BACKFILL_DAYS),
            )
            return
        sheet = await checkins.day_sheet(session, participant, day)
    if not sheet.lines:
        await turn.reply(text(turn, lang, "checkin.no_plan"))
        return
    await turn.reply(*render_sheet(turn, lang, sheet, today))


async def checkin_button(turn: Turn) -> None:
    """A press on a check-in button: log, ask for a reason or a number, or change the day."""
    press = parse_press(turn.data)
    services = turn.services
    result: tuple[str, Rows | None] | None = None
    follow_up: str | None = None
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        lang = reader.lang
        today = today_of(turn, participant)
        if press is None:
            await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
            return
        try:
            result, follow_up = await _apply_press(session, turn, reader, participant, press, today)
        except InvalidInput as exc:
            key = str(exc)
            notice = plain(turn, lang, key, days=checkins.BACKFILL_DAYS)
            await turn.answer_button(notice, alert=True)
            return
    saved = press.action in ("y", "n", *REASONS)
    done = "button.saved" if saved else "checkin.undone" if press.action == "u" else None
    answer = turn.answer_button(plain(turn, lang, done) if done else None)
    if result is None:
        await answer
    else:  # side by side: one round trip to the channel instead of two; both finish first
        failed = [
            r
            for r in await asyncio.gather(
                answer, turn.edit_or_reply(*result), return_exceptions=True
            )
            if isinstance(r, BaseException)
        ]
        if failed:
            raise failed[0]
    if follow_up is not None:
        await turn.reply(follow_up)


async def _apply_press(
    session: AsyncSession,
    context: HasServices,
    reader: Reader,
    participant: Participant,
    press: Press,
    today: date,
) -> tuple[tuple[str, Rows | None] | None, str | None]:
    """What a press does: (the message to show in place of the pressed one, a question to ask)."""
    lang, day, now = reader.lang, press.day, context.services.clock()
    if press.action not in ("v", "other", "note"):
        conversation.clear(participant)  # a question left open must not catch later text
    checkins.check_day(participant, day, today)
    if press.action == "days":
        return render_days(context, lang, participant, today, day), None
    if press.action == "note":
        conversation.ask(participant, Ask.CHECKIN_NOTE, day=day)
        return None, text(context, lang, "checkin.ask_note", day=long_date(day, lang))
    if press.action in ("show", "back"):
        sheet = await checkins.day_sheet(session, participant, day)
        return render_sheet(context, lang, sheet, today), None
    habit = await checkins.habit_of(session, participant.id, press.habit_id)
    if press.action == "e":
        sheet = await checkins.day_sheet(session, participant, day)
        line = next((x for x in sheet.lines if x.habit.id == habit.id), None)
        if line is None or line.not_yet:
            raise InvalidInput("checkin.before_habit")
        return render_choices(context, lang, line, day), None
    if press.action == "u":
        await checkins.undo(session, participant, habit, day, today=today)
        sheet = await checkins.day_sheet(session, participant, day)
        return render_sheet(context, lang, sheet, today), None
    if press.action == "s":  # the reasons are buttons; typed text is told so (answer_text)
        conversation.ask(participant, Ask.CHECKIN_PICK, habit_id=habit.id, day=day)
        return render_reasons(context, lang, habit.name, habit.id, day), None
    if press.action == "v":
        conversation.ask(participant, Ask.CHECKIN_VALUE, habit_id=habit.id, day=day)
        question = text(
            context,
            lang,
            "checkin.ask_value",
            name=habit.name,
            unit=habit.unit or "",
            target=number(habit.target or 0, lang),
            day=long_date(day, lang),
        )
        return None, question
    if press.action == "other":
        conversation.ask(participant, Ask.CHECKIN_REASON, habit_id=habit.id, day=day)
        return None, text(context, lang, "checkin.ask_other_reason", name=habit.name)
    status = {"y": Status.DONE, "n": Status.NOT_DONE}.get(press.action, Status.SKIPPED)
    reason = press.action if press.action in REASONS else None
    await checkins.record(
        session, participant, habit, day, status, today=today, now=now, reason=reason
    )
    sheet = await checkins.day_sheet(session, participant, day)
    return render_sheet(context, lang, sheet, today), None


async def answer_text(
    session: AsyncSession, context: HasServices, reader: Reader, typed: str
) -> Answer:
    """A typed number, skip reason or reflection the check-in asked for (or a reminder that
    the reason for a skip is chosen with the buttons)."""
    participant = reader.participant
    assert participant is not None
    asked = conversation.waiting(participant)
    assert asked is not None and asked.ask in conversation.CHECKIN and asked.day is not None
    lang, kind, day = reader.lang, asked.ask, asked.day
    if kind == Ask.CHECKIN_PICK:  # the reason is chosen with a button; the choice stays open
        return [(text(context, lang, "checkin.pick_reason_button"), None)]
    today = today_of(context, participant)
    now = context.services.clock()
    read: Amount | None = None
    unit: str | None = None
    try:
        if kind == Ask.CHECKIN_NOTE:
            await checkins.save_reflection(session, participant, day, typed, today=today)
        elif kind == Ask.CHECKIN_VALUE and asked.habit_id is not None:
            habit = await checkins.habit_of(session, participant.id, asked.habit_id)
            unit = habit.unit
            read = parse_amount(typed, unit, lang)
            await checkins.record(
                session,
                participant,
                habit,
                day,
                Status.DONE,
                today=today,
                now=now,
                value=read.value,
            )
        elif kind == Ask.CHECKIN_REASON and asked.habit_id is not None:
            reason = " ".join(typed.split())
            if len(reason) > checkins.REASON_MAX:
                raise TooLong("skip_reason", checkins.REASON_MAX, len(reason))
            habit = await checkins.habit_of(session, participant.id, asked.habit_id)
            await checkins.record(
                session, participant, habit, day, Status.SKIPPED, today=today, now=now, reason=typed
            )
        else:
            raise InvalidInput("button.stale")
    except TooLong as exc:  # the question stays open: a shorter answer is welcome
        return [(refusals.too_long(context, lang, exc), None)]
    except BadNumber as exc:
        refused = refusals.bad_number(
            context, lang, exc, unit=unit, maximum=TARGET_MAX, zero_key="checkin.value_zero"
        )
        return [(refused, None)]
    except InvalidInput as exc:
        conversation.clear(participant)
        return [(text(context, lang, str(exc), days=checkins.BACKFILL_DAYS), None)]
    conversation.clear(participant)
    saved = "checkin.note_saved" if kind == Ask.CHECKIN_NOTE else "profile.saved"
    saved = text(context, lang, saved)
    if read is not None and read.grouped:  # "1.000": say it was read as one thousand
        saved += "\n" + refusals.read_as(context, lang, typed, read, unit)
    sheet = await checkins.day_sheet(session, participant, day)
    return [(saved, None), render_sheet(context, lang, sheet, today)]
