"""How /lapor looks: the day's sheet of habits as buttons, a habit's choices (done, not done,
skipped with a reason, a number), the days a week back, and the button data they carry
(`parse_press` reads it back, refusing anything forged). The feature is `handlers.checkin`;
the reminder job shows the same sheet under a reminder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core import buttons, checkins
from core.channel import Action, Rows, button_rows
from core.checkins import DaySheet, SheetLine
from core.habits import Kind, Status
from core.i18n import escape
from core.numbers import number
from core.participants import effective_timezone
from core.timefmt import local, long_date, short_date
from handlers.common import plain, shorten, text
from handlers.plan_words import WEEKDAY_KEYS
from handlers.turn import HasServices
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
            label = plain(context, lang, "checkin.button_change", name=shorten(h.name, LONG_NAME))
            rows.append([_button(label, "e", h.id, day)])
            continue
        first = (
            _button(f"🔢 {shorten(h.name, SHORT_NAME)}", "v", h.id, day)
            if h.kind == Kind.NUMERIC.value
            else _button(f"✅ {shorten(h.name, SHORT_NAME)}", "y", h.id, day)
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
