"""/pengingat (/reminders): daily reminder times, working days, pause; and the repeating job
that sends what is due — daily reminders with check-in buttons, the evening follow-up, the
morning summary of the day's sessions, and session reminders."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import AksiContext
from bot.delivery import FAILED, SENT, Outcome, failure
from bot.i18n import Html, escape, link
from core import checkins
from core.errors import InvalidInput
from core.participants import effective_timezone, language_for
from core.reading import BadTime
from core.timefmt import clock, local, zone_abbreviation
from handlers import callbacks, offers, refusals
from handlers.checkin import render_sheet
from handlers.common import (
    NO_PREVIEW,
    Answer,
    Reader,
    answer_button,
    ask_for_code,
    edit_or_reply,
    identify,
    plain,
    reply,
    text,
)
from scheduler import reminders as rem
from storage.models import Participant, Session

log = logging.getLogger(__name__)
_WORDS = {
    "jeda": "pause",
    "pause": "pause",
    "lanjut": "resume",
    "resume": "resume",
    "harikerja": "workdays",
    "workdays": "workdays",
    "setiaphari": "everyday",
    "everyday": "everyday",
    "hapus": "remove",
    "remove": "remove",
    "bawaan": "default",
    "default": "default",
}
_ARGS = {
    "pause": frozenset({""}),
    "resume": frozenset({""}),
    "workdays": frozenset({""}),
    "everyday": frozenset({""}),
    "add": frozenset({""}),
    "default": frozenset({""}),
    "del": frozenset(f"{h:02d}{m:02d}" for h in range(24) for m in range(60)),
}


def language_of(context: AksiContext, participant: Participant) -> str:
    """The participant's language when there is no update to read the Telegram app's from."""
    return language_for(participant, None, context.services.settings.aksi_default_language)


def render_settings(
    context: AksiContext, lang: str, participant: Participant
) -> tuple[str, InlineKeyboardMarkup]:
    tz = effective_timezone(participant)
    times = rem.daily_times(participant)
    zone = zone_abbreviation(tz)
    shown = ", ".join(clock(datetime.strptime(t, "%H:%M"), lang) for t in times)
    cohort = participant.cohort
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
        status=plain(
            context,
            lang,
            "reminders.paused" if participant.reminders_paused else "reminders.active",
        ),
        evening=clock(datetime.strptime(cohort.evening_time, "%H:%M"), lang)
        if cohort.evening_time
        else "—",
        lead=plain(context, lang, "count.minute", count=cohort.session_lead_minutes),
    )

    def button(
        label_key: str, action: str, arg: str = "", **values: object
    ) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            plain(context, lang, label_key, **values),
            callback_data=callbacks.pack(callbacks.REMINDERS, action, arg),
        )

    rows = []
    if participant.reminder_times is not None:
        rows.append(
            [button("reminders.button_delete", "del", t.replace(":", ""), time=t) for t in times]
        )
    if len(times) < rem.MAX_DAILY_TIMES or participant.reminder_times is None:
        rows.append([button("reminders.button_add", "add")])
    rows.append(
        [
            button("reminders.button_everyday", "everyday")
            if participant.reminder_workdays_only
            else button("reminders.button_workdays", "workdays")
        ]
    )
    rows.append(
        [
            button("reminders.button_resume", "resume")
            if participant.reminders_paused
            else button("reminders.button_pause", "pause")
        ]
    )
    if participant.reminder_times is not None:
        rows.append([button("reminders.button_default", "default")])
    return body, InlineKeyboardMarkup(rows)


def apply_change(participant: Participant, action: str, value: str | None = None) -> None:
    """Change the participant's reminder settings; InvalidInput for what cannot be done."""
    times = rem.daily_times(participant)
    if action == "pause":
        participant.reminders_paused = True
    elif action == "resume":
        participant.reminders_paused = False
    elif action == "workdays":
        participant.reminder_workdays_only = True
    elif action == "everyday":
        participant.reminder_workdays_only = False
    elif action == "default":
        participant.reminder_times = None
    elif action == "add" and value is not None:
        new = rem.parse_clock(value)
        own = [] if participant.reminder_times is None else times
        if new not in own:
            if len(own) >= rem.MAX_DAILY_TIMES:
                raise InvalidInput("reminders.too_many")
            own = sorted([*own, new])
        participant.reminder_times = ",".join(own)
        participant.reminders_paused = False
    elif action == "del" and value is not None:
        gone = rem.parse_clock(value)
        left = [t for t in times if t != gone]
        participant.reminder_times = ",".join(left) if left else None
    else:
        raise InvalidInput("button.stale")


def parse_args(args: list[str]) -> tuple[str, str | None] | None:
    """`07:30`, `jeda`, `lanjut`, `harikerja`, `setiaphari`, `hapus 07:30`, `bawaan`."""
    if not args:
        return None
    first = args[0].lower()
    if len(args) == 1 and first[:1].isdigit():
        return "add", first
    action = _WORDS.get(first)
    if action == "remove" and len(args) == 2:
        return "del", args[1]
    if action in ("pause", "resume", "workdays", "everyday", "default") and len(args) == 1:
        return action, None
    return "bad", None


def _refused(context: AksiContext, lang: str, exc: InvalidInput) -> str:
    """Why a change was refused: 25:00 is no time at all, `7:3` is not written as one."""
    if isinstance(exc, BadTime):
        return refusals.bad_time(context, lang, exc, "reminders.bad_time")
    return text(context, lang, str(exc))


async def show_reminders(update: Update, context: AksiContext) -> None:
    """/pengingat: the reminder settings with buttons; `/pengingat 07:30` adds a time,
    `jeda`/`lanjut` pause and resume, `harikerja`/`setiaphari` choose the days."""
    services = context.services
    async with services.db.begin() as session:
        reader = await identify(session, update, context)
        participant = reader.participant
        if participant is None:
            await ask_for_code(update, context, reader.lang)
            return
        lang = reader.lang
        parsed = parse_args(list(context.args or []))
        notice = None
        if parsed is not None:
            action, value = parsed
            try:
                if action == "bad":
                    raise InvalidInput("reminders.bad_argument")
                apply_change(participant, action, value)
                await rem.sync_reminders(session, participant, services.clock())
                notice = text(context, lang, "profile.saved")
            except InvalidInput as exc:
                await reply(update, context, _refused(context, lang, exc))
                return
        body, keyboard = render_settings(context, lang, participant)
    if notice:
        await reply(update, context, notice)
    await reply(update, context, body, keyboard)


async def reminders_button(update: Update, context: AksiContext) -> None:
    """A press on a /pengingat button."""
    query = update.callback_query
    assert query is not None
    button = callbacks.unpack(query.data, callbacks.REMINDERS, dict(_ARGS))
    services = context.services
    follow_up = None
    async with services.db.begin() as session:
        reader = await identify(session, update, context)
        participant = reader.participant
        if participant is None:
            await ask_for_code(update, context, reader.lang)
            return
        lang = reader.lang
        if button is None:
            await answer_button(update, plain(context, lang, "button.stale"), alert=True)
            return
        if button.action == "add":
            participant.awaiting = "rem_time"
            follow_up = text(context, lang, "reminders.ask_time")
        else:
            value = f"{button.arg[:2]}:{button.arg[2:]}" if button.action == "del" else None
            try:
                apply_change(participant, button.action, value)
            except InvalidInput as exc:
                await answer_button(update, plain(context, lang, str(exc)), alert=True)
                return
            await rem.sync_reminders(session, participant, services.clock())
        body, keyboard = render_settings(context, lang, participant)
    await answer_button(update, None if follow_up else plain(context, lang, "button.saved"))
    if follow_up:
        await reply(update, context, follow_up)
    else:
        await edit_or_reply(update, context, body, keyboard)


async def answer_text(
    session: AsyncSession, context: AksiContext, reader: Reader, typed: str
) -> Answer:
    """A typed reminder time, after the "add a time" button."""
    participant = reader.participant
    assert participant is not None
    lang = reader.lang
    try:
        apply_change(participant, "add", typed)
    except InvalidInput as exc:
        if str(exc) == "reminders.too_many":
            participant.awaiting = None
        return [(_refused(context, lang, exc), None)]
    participant.awaiting = None
    await rem.sync_reminders(session, participant, context.services.clock())
    return [
        (text(context, lang, "profile.saved"), None),
        render_settings(context, lang, participant),
    ]


# ---------------------------------------------------------------------------------------------
# The repeating job
# ---------------------------------------------------------------------------------------------


@dataclass
class Outgoing:
    participant_id: int
    chat_id: int
    kind: str
    local_date: date
    slot: str
    body: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass
class TickReport:
    sent: int = 0
    quiet: int = 0
    late: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped_claimed: int = 0
    outgoing: list[Outgoing] = field(default_factory=list)


async def compose(
    session: AsyncSession, context: AksiContext, due: rem.Due
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The message for a due reminder, or None when it should stay quiet."""
    participant, kind, day = due.participant, due.reminder.kind, due.local_date
    lang = language_of(context, participant)
    cohort = participant.cohort
    if not cohort.starts_on <= day <= cohort.ends_on:
        return None  # nothing to check in on before the training starts or after it ends
    if kind == rem.MORNING:
        return await morning_summary(session, context, participant, day, lang)
    sheet = await checkins.day_sheet(session, participant, day)
    if not sheet.lines:
        if kind == rem.EVENING or not await rem.plan_nudge_due(session, participant.id, day):
            return None
        return offers.plan_nudge(context, lang)
    if not sheet.due or sheet.complete:
        return None  # quiet once the day's work is done
    key = "reminders.evening_header" if kind == rem.EVENING else "reminders.daily_header"
    body, keyboard = render_sheet(context, lang, sheet, day)
    return text(context, lang, key) + "\n\n" + body, keyboard


async def morning_summary(
    session: AsyncSession, context: AksiContext, participant: Participant, day: date, lang: str
) -> tuple[str, None] | None:
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
    return text(context, lang, "reminders.morning", sessions=Html("\n".join(lines))), None


def session_message(context: AksiContext, participant: Participant, s: Session) -> str:
    lang = language_of(context, participant)
    tz = effective_timezone(participant)
    minutes = participant.cohort.session_lead_minutes
    return text(
        context,
        lang,
        "reminders.session",
        title=s.title,
        start=f"{clock(local(s.starts_at, tz), lang)} {zone_abbreviation(tz)}",
        minutes=plain(context, lang, "count.minute", count=minutes),
        link=Html(link(s.link, s.link)) if s.link else "—",
    )


async def prepare(context: AksiContext, now: datetime) -> TickReport:
    """Claim every reminder due at `now` and compose its message, in one transaction that is
    committed before anything is sent."""
    services = context.services
    catch_up = timedelta(minutes=services.settings.aksi_reminder_catch_up_minutes)
    report = TickReport()
    async with services.db.begin() as session:
        for due in await rem.take_due(session, now, catch_up):
            p, kind, slot = due.participant, due.reminder.kind, due.reminder.local_time
            if due.late:
                if await rem.claim(session, p.id, kind, due.local_date, slot, "late"):
                    report.late += 1
                    log.info(
                        "skipped a %s reminder for participant %s due at %s (over %s late)",
                        kind, p.id, due.occurrence.isoformat(), catch_up,
                    )  # fmt: skip
                continue
            message = await compose(session, context, due)
            status = "sending" if message else "quiet"
            if not await rem.claim(session, p.id, kind, due.local_date, slot, status):
                report.skipped_claimed += 1
                continue
            if message is None:
                report.quiet += 1
                continue
            report.outgoing.append(
                Outgoing(p.id, p.chat_id, kind, due.local_date, slot, message[0], message[1])
            )
        for item in await rem.sessions_due(session, now, catch_up):
            s = item.session
            for p in item.participants:
                # The session's own (UTC) date: a zone change must not make a second key.
                day = s.starts_at.date()
                status = "late" if item.late else "sending"
                if not await rem.claim(session, p.id, rem.SESSION, day, str(s.id), status):
                    continue
                if item.late:
                    report.late += 1
                    continue
                body = session_message(context, p, s)
                report.outgoing.append(Outgoing(p.id, p.chat_id, rem.SESSION, day, str(s.id), body))
    return report


async def deliver(context: AksiContext, item: Outgoing) -> Outcome:
    """Send one reminder; the outcome for its delivery row."""
    try:
        await context.bot.send_message(
            item.chat_id,
            item.body,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=item.keyboard,
        )
    except TelegramError as exc:
        outcome = failure(exc)
        if outcome == FAILED:
            log.warning("reminder to participant %s not sent: %s", item.participant_id, exc)
        return outcome
    return SENT


async def run_tick(context: AksiContext, now: datetime) -> TickReport:
    """One tick: claim and compose what is due, then send it and record each outcome."""
    report = await prepare(context, now)
    for item in report.outgoing:
        outcome = await deliver(context, item)
        async with context.services.db.begin() as session:
            await rem.set_status(
                session, item.participant_id, item.kind, item.local_date, item.slot, outcome
            )
            if outcome == "unreachable":
                await rem.mark_unreachable(session, item.participant_id, now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    if report.outgoing or report.late:
        log.info(
            "reminders: %d sent, %d quiet, %d late, %d failed, %d unreachable",
            report.sent, report.quiet, report.late, report.failed, report.unreachable,
        )  # fmt: skip
    return report


async def reminder_tick(context: AksiContext) -> None:
    """The repeating job (APScheduler through PTB's JobQueue)."""
    await run_tick(context, context.services.clock())
