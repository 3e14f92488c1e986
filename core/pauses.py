"""Pausing reminders until a date (leave, official travel, sickness): the rules.

`/pengingat jeda 2026-12-24 cuti` stops the reminders now; they come back by themselves on 24
December, in the participant's own zone (scheduler.reminders starts their rows on that day, so
a restart changes nothing). The paused days are today up to the day before.

With a reason, the paused days are logged: each habit due on each of them (within the cohort's
dates) gets a ⏸ skip with that reason — today only where nothing is logged yet — so the streak
holds, the facilitators' report shows why, and a participant who practised after all changes
that day in /lapor when it comes. Without a reason the reminders only go quiet and the habits
stay due. No one can log a day after today, so every entry after today comes from a pause:
resuming early or pausing again takes them back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import checkins
from core.errors import InvalidInput
from core.reading import read_day
from storage.models import Participant

PAUSE_REASONS = checkins.SKIP_REASONS  # sick, duty (dinas luar), leave (cuti)
QUICK_DAYS = (1, 3, 7)  # the one-tap choices: until tomorrow, three days, a week
MAX_PAUSE_DAYS = 60
REASON_WORDS = {
    "sakit": "sick",
    "sick": "sick",
    "dinas": "duty",
    "dinasluar": "duty",
    "dl": "duty",
    "duty": "duty",
    "travel": "duty",
    "officialtravel": "duty",
    "cuti": "leave",
    "leave": "leave",
}
_DAYS = re.compile(r"^\d{1,3}$", re.ASCII)


@dataclass(frozen=True)
class PauseRequest:
    until: date | None  # the local date reminders come back; None: until resumed
    reason: str | None  # one of PAUSE_REASONS


def parse_until(text: str, today: date) -> date:
    """'2026-12-24', '24/12' (the next 24 December), '24/12/2026', or a number of days ('3':
    back in three days), read as /lapor reads a date (`core.reading.read_day`): a date that
    does not exist (31/2) raises BadDate naming why, one not written as a date BadDate
    `format`. InvalidInput unless it is after today and at most MAX_PAUSE_DAYS ahead."""
    word = text.strip().lower()
    if _DAYS.match(word):
        until = today + timedelta(days=int(word))
    else:
        until = read_day(word, today, ahead=True)
    if not today < until <= latest_until(today):
        raise InvalidInput("reminders.until_out_of_range")
    return until


def latest_until(today: date) -> date:
    return today + timedelta(days=MAX_PAUSE_DAYS)


def parse_reason(words: list[str]) -> str | None:
    """'cuti', 'dinas luar', 'sakit' (or leave, travel, sick); None for no words."""
    if not words:
        return None
    reason = REASON_WORDS.get("".join(words).lower())
    if reason is None:
        raise InvalidInput("reminders.bad_reason")
    return reason


def parse_pause(words: list[str], today: date) -> PauseRequest:
    """The words after `jeda`: nothing (until resumed), or a date or number of days and
    optionally a reason. A reason needs a date: it is written into each paused day."""
    if not words:
        return PauseRequest(None, None)
    if "".join(words).lower() in REASON_WORDS:  # `jeda cuti`: until when?
        raise InvalidInput("reminders.reason_needs_date")
    return PauseRequest(parse_until(words[0], today), parse_reason(words[1:]))


def paused_until(participant: Participant, today: date) -> date | None:
    """The day reminders come back, while a dated pause is running."""
    until = participant.reminders_paused_until
    return until if until is not None and until > today else None


def is_paused(participant: Participant, today: date) -> bool:
    return participant.reminders_paused or paused_until(participant, today) is not None


async def pause(
    session: AsyncSession,
    participant: Participant,
    request: PauseRequest,
    *,
    today: date,
    now: datetime,
) -> None:
    """Pause the reminders until `request.until` (or until resumed), logging the paused days as
    skipped when there is a reason. The caller syncs the reminder rows."""
    await checkins.drop_days_ahead(session, participant, today)
    participant.reminders_paused = request.until is None
    participant.reminders_paused_until = request.until
    participant.pause_reason = request.reason if request.until is not None else None
    if request.until is not None and request.reason is not None:
        cohort = participant.cohort
        first = max(today, cohort.starts_on)
        last = min(request.until - timedelta(days=1), cohort.ends_on)
        await checkins.skip_days(
            session, participant, first, last, request.reason, today=today, now=now
        )


async def give_reason(
    session: AsyncSession, participant: Participant, reason: str, *, today: date, now: datetime
) -> None:
    """Add or change the reason of the running dated pause; InvalidInput when there is none."""
    until = paused_until(participant, today)
    if until is None or reason not in PAUSE_REASONS:
        raise InvalidInput("button.stale")
    await pause(session, participant, PauseRequest(until, reason), today=today, now=now)


async def resume(session: AsyncSession, participant: Participant, *, today: date) -> None:
    """Reminders back now; the skips a pause wrote after today are taken back (today's stay,
    changeable in /lapor). The caller syncs the reminder rows."""
    await checkins.drop_days_ahead(session, participant, today)
    participant.reminders_paused = False
    participant.reminders_paused_until = None
    participant.pause_reason = None
