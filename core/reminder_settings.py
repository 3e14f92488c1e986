"""The rules of a participant's reminder settings (/pengingat): their own daily times (at most
three), workdays or every day, back to the cohort's default, pausing (for some days, until a
date with a reason, or until resumed) and resuming; each change moves their reminder rows
(`core.reminders`). The feature (`handlers.reminders`) shows them and reads the buttons and
typed words into these actions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import pauses
from core import reminders as rules
from core.errors import InvalidInput
from core.participants import effective_timezone, set_timezone
from core.timefmt import local
from storage.models import Participant

WORDS = {
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


def apply_change(participant: Participant, action: str, value: str | None = None) -> None:
    """Change the participant's reminder times and days; InvalidInput for what cannot be done."""
    times = rules.daily_times(participant)
    if action == "workdays":
        participant.reminder_workdays_only = True
    elif action == "everyday":
        participant.reminder_workdays_only = False
    elif action == "default":
        participant.reminder_times = None
    elif action == "add" and value is not None:
        new = rules.parse_clock(value)
        own = [] if participant.reminder_times is None else times
        if new not in own:
            if len(own) >= rules.MAX_DAILY_TIMES:
                raise InvalidInput("reminders.too_many")
            own = sorted([*own, new])
        participant.reminder_times = ",".join(own)
        participant.reminders_paused = False
    elif action == "del" and value is not None:
        gone = rules.parse_clock(value)
        left = [t for t in times if t != gone]
        participant.reminder_times = ",".join(left) if left else None
    else:
        raise InvalidInput("button.stale")


async def change(
    session: AsyncSession,
    participant: Participant,
    action: str,
    value: str | None,
    now: datetime,
) -> None:
    """Apply one change (a pause writes the skips of its reason) and move the reminder rows."""
    today = local(now, effective_timezone(participant)).date()
    request: pauses.PauseRequest | None = None
    if action == "pause":  # `/pengingat jeda [date or days] [reason]`, or a typed date
        request = pauses.parse_pause((value or "").split(), today)
    elif action == "pausefor" and value is not None:
        request = pauses.PauseRequest(today + timedelta(days=int(value)), None)
    elif action == "hold":
        request = pauses.PauseRequest(None, None)
    elif action == "why" and value is not None:
        await pauses.give_reason(session, participant, value, today=today, now=now)
    elif action == "resume":
        await pauses.resume(session, participant, today=today)
    else:
        apply_change(participant, action, value)
    if request is not None:
        running = pauses.paused_until(participant, today) is not None
        if request.until is not None and request.reason is None and running:
            # A new end date for a running pause keeps its reason (leave extended).
            request = pauses.PauseRequest(request.until, participant.pause_reason)
        await pauses.pause(session, participant, request, today=today, now=now)
    await rules.sync_reminders(session, participant, now)


def parse_args(args: list[str]) -> tuple[str, str | None] | None:
    """`07:30`, `jeda [2026-12-24|3] [cuti]`, `lanjut`, `harikerja`, `setiaphari`,
    `hapus 07:30`, `bawaan`."""
    if not args:
        return None
    first = args[0].lower()
    if len(args) == 1 and first[:1].isdigit():
        return "add", first
    action = WORDS.get(first)
    if action == "remove" and len(args) == 2:
        return "del", args[1]
    if action == "pause":
        return action, " ".join(args[1:])
    if action in ("resume", "workdays", "everyday", "default") and len(args) == 1:
        return action, None
    return "bad", None


async def move_to_zone(
    session: AsyncSession, participant: Participant, timezone: str, now: datetime
) -> None:
    """The participant's own zone (WIB/WITA/WIT): their reminders follow them at once."""
    set_timezone(participant, timezone)
    await rules.sync_reminders(session, participant, now)
