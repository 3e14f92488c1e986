"""/pengingat (/reminders): daily reminder times, working days, pause (until resumed, or until
a date with a reason: sick, official travel, leave) and resume; and the repeating job that
sends what is due — daily reminders with check-in buttons and "remind me in an hour", the
evening follow-up, the morning summary of the day's sessions, and session reminders."""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core import buttons, checkins, conversation, follow_up, pauses
from core import reminder_settings as settings_rules
from core import reminders as rules
from core.attendance import window as attendance_window
from core.channel import (
    Action,
    Rows,
    button_rows,
)
from core.conversation import Ask
from core.errors import InvalidInput
from core.i18n import Html, escape, link
from core.participants import effective_timezone, language_for
from core.reading import BadDate, BadTime
from core.timefmt import clock, local, long_date, zone_abbreviation
from handlers import offers, pause, refusals
from handlers.attendance import hadir_row
from handlers.checkin_view import render_sheet, today_of
from handlers.common import Answer, plain, text
from handlers.turn import HasServices, Reader, Turn
from scheduler import reminders as rem
from scheduler.reminder_job import Composed, ReminderMessages
from storage.models import Participant, Session

log = logging.getLogger(__name__)
_ARGS = {
    "pause": frozenset({""}),  # the pause choices
    "pausefor": frozenset(str(n) for n in pauses.QUICK_DAYS),
    "pausedate": frozenset({""}),  # asks for a typed date
    "hold": frozenset({""}),  # paused until resumed
    "why": frozenset(pauses.PAUSE_REASONS),
    "resume": frozenset({""}),
    "menu": frozenset({""}),
    "workdays": frozenset({""}),
    "everyday": frozenset({""}),
    "add": frozenset({""}),
    "default": frozenset({""}),
    "del": frozenset(f"{h:02d}{m:02d}" for h in range(24) for m in range(60)),
}


def language_of(context: HasServices, participant: Participant) -> str:
    """The participant's language when there is no update to read the Telegram app's from."""
    return language_for(participant, None, context.services.settings.aksi_default_language)


def render_settings(
    context: HasServices, lang: str, participant: Participant, today: date
) -> tuple[str, Rows]:
    tz = effective_timezone(participant)
    times = rules.daily_times(participant)
    zone = zone_abbreviation(tz)
    shown = ", ".join(clock(datetime.strptime(t, "%H:%M"), lang) for t in times)
    cohort = participant.cohort
    status, note = pause.status_of(context, lang, participant, today)
    body = text(
        context,
        lang,
        "reminders.view",
        times=f"{shown} {zone}",
        origin=plain(
            context,
            lang,
            "reminders.cohort_default" if participant.reminder_times is None else "reminders.own",
        ),
        days=plain(
            context,
            lang,
            "schedule_kind.workdays"
            if participant.reminder_workdays_only
            else "schedule_kind.daily",
        ),
        status=status + (f"\n\n{note}" if note else ""),
        evening=clock(datetime.strptime(cohort.evening_time, "%H:%M"), lang)
        if cohort.evening_time
        else "—",
        lead=plain(context, lang, "count.minute", count=cohort.session_lead_minutes),
    )

    def button(label_key: str, action: str, arg: str = "", **values: object) -> Action:
        return pause.button(context, lang, label_key, action, arg, **values)

    rows = []
    if participant.reminder_times is not None:
        rows.append(
            [button("reminders.button_delete", "del", t.replace(":", ""), time=t) for t in times]
        )
    if len(times) < rules.MAX_DAILY_TIMES or participant.reminder_times is None:
        rows.append([button("reminders.button_add", "add")])
    rows.append(
        [
            button("reminders.button_everyday", "everyday")
            if participant.reminder_workdays_only
            else button("reminders.button_workdays", "workdays")
        ]
    )
    paused = pauses.is_paused(participant, today)
    rows.append(
        [
            button("reminders.button_resume", "resume")
            if paused
            else button("reminders.button_pause", "pause")
        ]
    )
    if pauses.paused_until(participant, today) is not None:  # why: each paused day skipped
        rows.append(pause.reason_row(context, lang, participant))
    if participant.reminder_times is not None:
        rows.append([button("reminders.button_default", "default")])
    return body, button_rows(rows)


def problem(context: HasServices, lang: str, key: str, today: date, *, alert: bool = False) -> str:
    """An InvalidInput key as a message, or as a pop-up's plain text (the pause limits filled
    in where it names them)."""
    last = long_date(pauses.latest_until(today), lang)
    render = plain if alert else text
    return render(context, lang, key, days=pauses.MAX_PAUSE_DAYS, last=last)


async def change(
    session: AsyncSession,
    context: HasServices,
    participant: Participant,
    action: str,
    value: str | None = None,
) -> None:
    """Apply one change to the participant's reminders (`core.reminder_settings.change`)."""
    await settings_rules.change(session, participant, action, value, context.services.clock())


def _refused(context: HasServices, lang: str, exc: InvalidInput, today: date) -> str:
    """Why a change was refused: 25:00 is no time at all, `7:3` is not written as one, 31/2
    is no date; the pause limits filled in where the message names them."""
    if isinstance(exc, BadTime):
        return refusals.bad_time(context, lang, exc, "reminders.bad_time")
    if isinstance(exc, BadDate):  # the date a pause ends: 31/2 is impossible, `besok` unread
        return refusals.bad_date(context, lang, exc, "reminders.bad_until")
    return problem(context, lang, str(exc), today)


async def show_reminders(turn: Turn) -> None:
    """/pengingat: the reminder settings with buttons; `/pengingat 07:30` adds a time,
    `jeda` pauses (`jeda 2026-12-24 cuti`: until that date, with a reason), `lanjut` resumes,
    `harikerja`/`setiaphari` choose the days."""
    services = turn.services
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        lang = reader.lang
        today = today_of(turn, participant)
        parsed = settings_rules.parse_args(list(turn.args or []))
        notice = None
        if parsed is not None:
            action, value = parsed
            try:
                if action == "bad":
                    raise InvalidInput("reminders.bad_argument")
                await change(session, turn, participant, action, value)
                notice = text(turn, lang, "profile.saved")
            except InvalidInput as exc:
                await turn.reply(_refused(turn, lang, exc, today))
                return
        body, keyboard = render_settings(turn, lang, participant, today)
    if notice:
        await turn.reply(notice)
    await turn.reply(body, keyboard)


async def reminders_button(turn: Turn) -> None:
    """A press on a /pengingat button, or "remind me in an hour" on a reminder."""
    if pause.is_snooze(turn.data):
        await pause.snooze_button(turn)
        return
    button = buttons.unpack(turn.data, buttons.REMINDERS, dict(_ARGS))
    services = turn.services
    follow_up = None
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        lang = reader.lang
        if button is None:
            await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
            return
        today = today_of(turn, participant)
        conversation.clear(participant)  # a question left open must not catch later text
        if button.action == "add":
            conversation.ask(participant, Ask.REMINDER_TIME)
            follow_up = text(turn, lang, "reminders.ask_time")
        elif button.action == "pausedate":
            conversation.ask(participant, Ask.PAUSE_UNTIL)
            follow_up = text(turn, lang, "reminders.ask_until", days=pauses.MAX_PAUSE_DAYS)
        elif button.action not in ("pause", "menu"):
            value = f"{button.arg[:2]}:{button.arg[2:]}" if button.action == "del" else button.arg
            try:
                await change(session, turn, participant, button.action, value or None)
            except InvalidInput as exc:
                notice = problem(turn, lang, str(exc), today, alert=True)
                await turn.answer_button(notice, alert=True)
                return
        if button.action == "pause":
            view = pause.render_choices(turn, lang)
        else:
            view = render_settings(turn, lang, participant, today)
    changed = button.action not in ("add", "pausedate", "pause", "menu")
    await turn.answer_button(plain(turn, lang, "button.saved") if changed else None)
    if follow_up:
        await turn.reply(follow_up)
    else:
        await turn.edit_or_reply(*view)


async def answer_text(
    session: AsyncSession, context: HasServices, reader: Reader, typed: str
) -> Answer:
    """A typed reminder time (after "add a time") or the date a pause ends (after "until a
    date…", e.g. `24/12 cuti`)."""
    participant = reader.participant
    assert participant is not None
    lang = reader.lang
    today = today_of(context, participant)
    until = conversation.is_open(participant, Ask.PAUSE_UNTIL)
    try:
        if until:
            if not typed.split():
                raise InvalidInput("reminders.bad_until")
            await change(session, context, participant, "pause", typed)
        else:
            await change(session, context, participant, "add", typed)
    except InvalidInput as exc:
        if str(exc) == "reminders.too_many":
            conversation.clear(participant)
        return [(_refused(context, lang, exc, today), None)]
    conversation.clear(participant)
    return [
        (text(context, lang, "profile.saved"), None),
        render_settings(context, lang, participant, today),
    ]


# The reminder messages (the job that sends them is scheduler.reminder_job)
# ---------------------------------------------------------------------------------------------


_HEADERS = {
    rules.DAILY: "reminders.daily_header",
    rules.EVENING: "reminders.evening_header",
    rules.SNOOZE: "reminders.snoozed_header",
}


async def compose(
    session: AsyncSession, context: HasServices, due: rem.Due, *, snoozed: bool = False
) -> Composed | None:
    """The message for a due reminder, or None when it should stay quiet. `snoozed`: "remind
    me in an hour" is waiting (the regular reminders keep quiet till it comes). Only reads:
    the plan nudge's own writes go with its claim (`nudge_claimed`)."""
    participant, kind, day = due.participant, due.reminder.kind, due.local_date
    lang = language_of(context, participant)
    if not follow_up.reminds_on(participant, day):
        # Nothing before the training starts; after it, on the follow-up's weekdays only
        # (core.follow_up), and nothing once the follow-up is over or stopped.
        return None
    if day > participant.cohort.ends_on and not await follow_up.is_current(session, participant):
        return None  # an alumnus who joined another cohort since: the chat acts on that one
    if kind == rules.MORNING:
        return await morning_summary(session, context, participant, day, lang)
    sheet = await checkins.day_sheet(session, participant, day)
    if not sheet.lines:
        if kind != rules.DAILY or not await rem.plan_nudge_due(session, participant, day):
            return None
        body, keyboard = offers.plan_nudge(context, lang)
        return Composed(body, keyboard, partial(nudge_claimed, due))
    if not sheet.due or sheet.complete:
        return None  # quiet once the day's work is done
    if kind != rules.SNOOZE and snoozed:
        return None  # "remind me in an hour" was pressed: that one comes instead
    body, keyboard = render_sheet(context, lang, sheet, day)
    snooze = pause.snooze_row(context, lang, day)
    keyboard = button_rows([*keyboard, *snooze])
    header = text(context, lang, _HEADERS.get(kind, _HEADERS[rules.DAILY]))
    return Composed(header + "\n\n" + body, keyboard)


async def nudge_claimed(due: rem.Due, session: AsyncSession) -> bool:
    """In the claiming transaction: record the one plan nudge (False: already recorded) and
    let a typed title answer it today, unless another question is open."""
    if not await rem.claim_plan_nudge(session, due.participant.id, due.local_date):
        return False
    participant = await session.get(
        Participant, due.participant.id, options=[selectinload(Participant.cohort)]
    )
    if participant is not None and conversation.waiting(participant) is None:
        offers.expect_answer(participant, Ask.OFFER_PLAN, due.occurrence)
    return True


async def morning_summary(
    session: AsyncSession, context: HasServices, participant: Participant, day: date, lang: str
) -> Composed | None:
    tz = effective_timezone(participant)
    result = await session.scalars(
        select(Session)
        .where(Session.cohort_id == participant.cohort_id)
        .order_by(Session.starts_at)
    )
    today = [s for s in result if local(s.starts_at, tz).date() == day]
    if not today:
        return None
    zone = zone_abbreviation(tz)
    lines = [
        f"• {clock(local(s.starts_at, tz), lang)}–{clock(local(s.ends_at, tz), lang)} {zone} "
        f"{escape(s.title)}" + (f"\n  🔗 {link(s.link, s.link)}" if s.link else "")
        for s in today
    ]
    return Composed(text(context, lang, "reminders.morning", sessions=Html("\n".join(lines))))


def session_message(
    context: HasServices, participant: Participant, s: Session
) -> tuple[str, Rows | None]:
    """A session about to start: when, its link, and the "Hadir" button (attendance opens
    before the start: `core.attendance`)."""
    lang = language_of(context, participant)
    tz = effective_timezone(participant)
    minutes = participant.cohort.session_lead_minutes
    body = text(
        context,
        lang,
        "reminders.session",
        title=s.title,
        start=f"{clock(local(s.starts_at, tz), lang)} {zone_abbreviation(tz)}",
        minutes=plain(context, lang, "count.minute", count=minutes),
        link=Html(link(s.link, s.link)) if s.link else "—",
    )
    opens, closes = attendance_window(s, participant.cohort)
    body += "\n" + text(
        context,
        lang,
        "reminders.session_attendance",
        opens=clock(local(opens, tz), lang),
        closes=f"{clock(local(closes, tz), lang)} {zone_abbreviation(tz)}",
    )
    return body, hadir_row(context, lang, s)


# What the reminder job (scheduler.reminder_job) sends.
MESSAGES = ReminderMessages(compose, session_message)
