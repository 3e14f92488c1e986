"""Pausing reminders until a date and "remind me in an hour": the buttons and their answers.

/pengingat (handlers.reminders) shows the pause state and routes these buttons here; the rules
are core.pauses (what a pause and its reason do) and scheduler.reminders (the rows)."""

from __future__ import annotations

import re
from datetime import date

from core import buttons, pauses
from core import reminders as rem
from core.channel import Action, Rows, button_rows
from core.errors import InvalidInput
from core.participants import effective_timezone
from core.timefmt import clock, local, weekday_date, zone_abbreviation
from handlers.checkin_view import REASONS, today_of
from handlers.common import plain, text
from handlers.turn import HasServices, Turn
from storage.models import Participant

_SNOOZE_RE = re.compile(rf"^{buttons.REMINDERS}:snooze:(\d{{8}})$")
_QUICK_LABELS = {1: "reminders.pause_1", 3: "reminders.pause_3", 7: "reminders.pause_7"}


def button(
    context: HasServices, lang: str, label_key: str, action: str, arg: str = "", **values: object
) -> Action:
    """A /pengingat button."""
    return Action(
        plain(context, lang, label_key, **values),
        buttons.pack(buttons.REMINDERS, action, arg),
    )


def status_of(
    context: HasServices, lang: str, participant: Participant, today: date
) -> tuple[str, str | None]:
    """The status line, and a note on a pause until a date (when it ends, what its reason does),
    both plain text."""
    until = pauses.paused_until(participant, today)
    if participant.reminders_paused:
        return plain(context, lang, "reminders.paused"), None
    if until is None:
        return plain(context, lang, "reminders.active"), None
    day = weekday_date(until, lang)
    reason = participant.pause_reason
    if reason in REASONS:
        label = plain(context, lang, REASONS[reason])
        status = plain(context, lang, "reminders.paused_until_reason", day=day, reason=label)
        return status, plain(context, lang, "reminders.pause_note_reason", day=day, reason=label)
    status = plain(context, lang, "reminders.paused_until", day=day)
    return status, plain(context, lang, "reminders.pause_note", day=day)


def reason_row(context: HasServices, lang: str, participant: Participant) -> list[Action]:
    """Sick, official travel, leave: the reason of a pause until a date (the chosen one marked)."""
    return [
        Action(
            ("• " if participant.pause_reason == reason else "")
            + plain(context, lang, REASONS[reason]),
            buttons.pack(buttons.REMINDERS, "why", reason),
        )
        for reason in pauses.PAUSE_REASONS
    ]


def render_choices(context: HasServices, lang: str) -> tuple[str, Rows]:
    """How long to pause: a day, three days, a week, a typed date, or until resumed."""
    rows = [
        [button(context, lang, _QUICK_LABELS[n], "pausefor", str(n)) for n in pauses.QUICK_DAYS],
        [button(context, lang, "reminders.pause_date", "pausedate")],
        [button(context, lang, "reminders.pause_hold", "hold")],
        [button(context, lang, "button.back", "menu")],
    ]
    return text(context, lang, "reminders.pause_choose"), button_rows(rows)


def snooze_row(context: HasServices, lang: str, day: date) -> list[list[Action]]:
    """The "remind me in an hour" button under a reminder for `day`."""
    data = buttons.pack(buttons.REMINDERS, "snooze", f"{day:%Y%m%d}")
    return [[Action(plain(context, lang, "reminders.button_snooze"), data)]]


def is_snooze(data: str | None) -> bool:
    return bool(data and data.startswith(f"{buttons.REMINDERS}:snooze:"))


async def snooze_button(turn: Turn) -> None:
    """ "Remind me in an hour" on a reminder: the same reminder comes back an hour later, once,
    unless the day gets logged meanwhile. Another day's reminder or made-up data is refused."""
    match = _SNOOZE_RE.match(turn.data or "")
    services = turn.services
    async with services.db.begin() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        lang = reader.lang
        today = today_of(turn, participant)
        if match is None or match[1] != f"{today:%Y%m%d}":
            await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
            return
        if pauses.is_paused(participant, today):
            await turn.answer_button(plain(turn, lang, "reminders.snooze_paused"), alert=True)
            return
        try:
            due = await rem.snooze(session, participant, services.clock())
        except InvalidInput as exc:
            await turn.answer_button(plain(turn, lang, str(exc)), alert=True)
            return
        tz = effective_timezone(participant)
        at = f"{clock(local(due, tz), lang)} {zone_abbreviation(tz)}"
    await turn.answer_button(plain(turn, lang, "reminders.snoozed", time=at))
