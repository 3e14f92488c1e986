"""/lapor (/checkin): today's habits as buttons — done, not done, skipped with a reason, or a
number — an optional reflection, and days up to a week back. A logged habit's button opens its
choices again: change the entry or undo it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, checkins, conversation
from core.channel import Action, Rows, button_rows
from core.checkins import DaySheet, SheetLine
from core.conversation import Ask
from core.errors import InvalidInput, TooLong
from core.habits import Kind, Status
from core.i18n import escape
from core.numbers import number
from core.participants import effective_timezone
from core.plans import TARGET_MAX, parse_amount
from core.reading import Amount, BadDate, BadNumber, read_day
from core.timefmt import local, long_date, short_date
from handlers import refusals
from handlers.common import Answer, Reader, identify, plain, text
from handlers.plan import WEEKDAY_KEYS
from handlers.turn import HasServices, Turn
from storage.models import Participant

REASONS = {
    "sick": "checkin.reason_sick",
    "duty": "checkin.reason_duty",
    "leave": "checkin.reason_leave",
}
_DATA_RE = re.compile(
    rf"^{buttons.CHECKIN}:(y|n|s|v|e|u|sick|duty|leave|other|back|note|days|show)"
    rf":(\d{{1,12}})\.(\d{{8}})$"
)
YESTERDAY_WORDS = frozenset({"kemarin", "yesterday"})
SHORT_NAME = 18
LONG_NAME = 30  # a logged habit's button has its row to itself


@dataclass(frozen=True)
class Press:
    action: str
    habit_id: int
    day: date


def parse_press(data: str | None) -> Press | None:
    """A check-in button, or None when the data is not one we could have sent."""
    if not data or len(data.encode()) > buttons.MAX_BYTES:
        return None
    match = _DATA_RE.match(data)
    if match is None:
        return None
    try:
        day = datetime.strptime(match[3], "%Y%m%d").date()
    except ValueError:
        return None
    return Press(match[1], int(match[2]), day)


def _data(action: str, habit_id: int, day: date) -> str:
    return buttons.pack(buttons.CHECKIN, action, f"{habit_id}.{day:%Y%m%d}")


def _button(label: str, action: str, habit_id: int, day: date) -> Action:
    return Action(label, _data(action, habit_id, day))


def today_of(context: HasServices, participant: Participant) -> date:
    return local(context.services.clock(), effective_timezone(participant)).date()


def _short(name: str, limit: int = SHORT_NAME) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def describe_entry(context: HasServices, lang: str, line: SheetLine) -> str:
    entry, habit = line.entry, line.habit
    if entry is None:
        return plain(context, lang, "checkin.state_open")
    if entry.status == Status.SKIPPED.value:
        reason = entry.skip_reason or ""
        label = plain(context, lang, REASONS[reason]) if reason in REASONS else reason
        return plain(context, lang, "checkin.state_skipped", reason=label)
    if entry.status == Status.NOT_DONE.value:
        return plain(context, lang, "checkin.state_not_done")
    if habit.kind == Kind.NUMERIC.value and entry.value is not None:
        reached = habit.target is None or entry.value >= habit.target
        key = "checkin.state_amount" if reached else "checkin.state_partial"
        return plain(
            context,
            lang,
            key,
            value=number(entry.value, lang),
            target=number(habit.target or 0, lang),
            unit=habit.unit or "",
        ).strip()
    return plain(context, lang, "checkin.state_done")


def render_sheet(context: HasServices, lang: str, sheet: DaySheet, today: date) -> tuple[str, Rows]:
    day = sheet.day
    when = long_date(day, lang)
    header_key = "checkin.header_today" if day == today else "checkin.header_day"
    blocks = [text(context, lang, header_key, day=when)]
    due = sheet.due
    rows: list[list[Action]] = []
    if not due:
        nothing_yet = all(line.not_yet for line in sheet.lines)
        key = "checkin.nothing_yet" if nothing_yet else "checkin.nothing_due"
        blocks.append(text(context, lang, key))
    lines = []
    for i, line in enumerate(due, 1):
        lines.append(
            f"{i}. {escape(line.habit.name)} — {escape(describe_entry(context, lang, line))}"
        )
        h = line.habit
        if line.entry is not None:  # logged: one button that opens its choices again
            label = plain(context, lang, "checkin.button_change", name=_short(h.name, LONG_NAME))
            rows.append([_button(label, "e", h.id, day)])
            continue
        first = (
            _button(f"🔢 {_short(h.name)}", "v", h.id, day)
            if h.kind == Kind.NUMERIC.value
            else _button(f"✅ {_short(h.name)}", "y", h.id, day)
        )
        rows.append([first, _button("❌", "n", h.id, day), _button("⏸", "s", h.id, day)])
    if lines:
        blocks.append("\n".join(lines))
    off = [line.habit.name for line in sheet.lines if not line.due and not line.not_yet]
    if off:
        blocks.append(text(context, lang, "checkin.not_scheduled", names=", ".join(off)))
    later = _added_later(context, lang, sheet)
    if later:
        blocks.append(text(context, lang, "checkin.not_yet", names=later))
    if sheet.complete:
        blocks.append(text(context, lang, "checkin.all_done"))
    if sheet.reflection:
        blocks.append(text(context, lang, "checkin.reflection", note=sheet.reflection))
    blocks.append(text(context, lang, "checkin.legend"))
    rows.append(
        [
            _button(plain(context, lang, "checkin.button_note"), "note", 0, day),
            _button(plain(context, lang, "checkin.button_days"), "days", 0, day),
        ]
    )
    return "\n\n".join(blocks), button_rows(rows)


def _added_later(context: HasServices, lang: str, sheet: DaySheet) -> str:
    """'Membaca (ditambahkan pada 5 Sep)' for the habits added to the plan after the sheet's day,
    grouped by the day they were added."""
    by_day: dict[date, list[str]] = {}
    for line in sheet.lines:
        if line.not_yet:
            by_day.setdefault(line.habit.created_on, []).append(line.habit.name)
    return "; ".join(
        plain(context, lang, "checkin.added_on", names=", ".join(names), day=short_date(d, lang))
        for d, names in sorted(by_day.items())
    )


def render_choices(context: HasServices, lang: str, line: SheetLine, day: date) -> tuple[str, Rows]:
    """A logged habit pressed again: its entry, the other choices and undo."""
    h = line.habit
    first = (
        _button(plain(context, lang, "checkin.choice_value"), "v", h.id, day)
        if h.kind == Kind.NUMERIC.value
        else _button(plain(context, lang, "checkin.choice_done"), "y", h.id, day)
    )
    rows = [
        [
            first,
            _button(plain(context, lang, "checkin.choice_not_done"), "n", h.id, day),
            _button(plain(context, lang, "checkin.choice_skip"), "s", h.id, day),
        ]
    ]
    if line.entry is not None:
        rows.append([_button(plain(context, lang, "checkin.button_undo"), "u", h.id, day)])
    rows.append([_button(plain(context, lang, "button.back"), "back", h.id, day)])
    body = text(
        context,
        lang,
        "checkin.choices",
        name=h.name,
        day=long_date(day, lang),
        state=describe_entry(context, lang, line),
    )
    return body, button_rows(rows)


def render_days(
    context: HasServices, lang: str, participant: Participant, today: date, day: date
) -> tuple[str, Rows]:
    first = checkins.earliest_day(participant, today)
    days = [today - timedelta(days=n) for n in range((today - first).days + 1)]
    buttons = [
        _button(
            ("• " if d == day else "")
            + f"{plain(context, lang, f'weekday.{WEEKDAY_KEYS[d.weekday()]}')} {d.day}/{d.month}",
            "show",
            0,
            d,
        )
        for d in days
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([_button(plain(context, lang, "button.back"), "show", 0, day)])
    return text(context, lang, "checkin.pick_day", days=checkins.BACKFILL_DAYS), button_rows(rows)


def render_reasons(
    context: HasServices, lang: str, habit_name: str, habit_id: int, day: date
) -> tuple[str, Rows]:
    rows = [
        [_button(plain(context, lang, key), reason, habit_id, day)]
        for reason, key in REASONS.items()
    ]
    rows.append([_button(plain(context, lang, "checkin.reason_other"), "other", habit_id, day)])
    rows.append([_button(plain(context, lang, "button.back"), "back", habit_id, day)])
    body = text(context, lang, "checkin.ask_reason", name=habit_name, day=long_date(day, lang))
    return body, button_rows(rows)


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
        reader = await identify(session, turn)
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
        reader = await identify(session, turn)
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
    await turn.answer_button(plain(turn, lang, done) if done else None)
    if result is not None:
        await turn.edit_or_reply(*result)
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
