"""The follow-up after the course: once a cohort's last day is past, its participants are
alumni for `Cohort.follow_up_days` (default 90). Check-ins and the plan keep working; reminders
come only on the cohort's follow-up weekdays (three a week by default); the day after the last
day a welcome says so, and every 30 days a question asks whether the action is still running
and what helped or blocked it (`storage.mentoring.FollowUp`, answered with buttons and a typed
note). A participant can stop the follow-up with one command, and take it up again while the
period lasts. The job that sends the messages is `scheduler.follow_up`.

Days are the participant's own local dates; instants are UTC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from core.errors import InvalidInput
from core.participants import effective_timezone
from core.reminders import daily_times
from storage.mentoring import FollowUp
from storage.models import Cohort, Participant

EVERY = 30  # days between the questions
# The rows that were (or could not be, the person blocked the bot) delivered: those a view lists
# and a report counts. One recorded late or failed never reached anyone: it is left out.
SHOWN = ("sending", "sent", "unreachable")
MAX_DAYS = 365  # the longest follow-up a cohort can have
NOTE_MAX = 500  # characters of "what helped or blocked it"
WELCOME = 0  # the offset of the welcome to the follow-up (no answer expected)
# A message due while the bot was down still goes out this long after its time (a question
# that comes once a month should not be lost to a restart); later, it is recorded late.
CATCH_UP = timedelta(hours=6)


class Answer(StrEnum):
    RUNNING = "running"  # the action is still running
    PARTLY = "partly"  # in part, or now and then
    STOPPED = "stopped"  # it stopped


class Phase(StrEnum):
    BEFORE = "before"  # the training has not started
    TRAINING = "training"
    FOLLOW_UP = "follow_up"  # alumni, within the follow-up period
    STOPPED = "stopped"  # alumni who stopped the follow-up
    OVER = "over"  # the follow-up period is past (or the cohort has none)


# Weekday words a command line or a chat may use, ISO numbered (Monday 1).
WEEKDAY_WORDS = {
    **{w: n for n, w in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 1)},
    **{w: n for n, w in enumerate(("sen", "sel", "rab", "kam", "jum", "sab", "min"), 1)},
}


def weekdays_of(cohort: Cohort) -> list[int]:
    """The ISO weekdays (Monday 1) reminders come on during the follow-up."""
    return sorted({int(c) for c in cohort.follow_up_weekdays if c in "1234567"})


def read_weekdays(typed: str) -> str:
    """`mon,wed,fri`, `sen,rab,jum`, `1,3,5`, `all` or `none` as stored ("135"); InvalidInput
    naming the word that is no weekday."""
    words = [w for w in typed.lower().replace(" ", ",").split(",") if w]
    if words in (["all"], ["semua"]):
        return "1234567"
    if words in (["none"], ["tidak"]):
        return ""
    days = set()
    for word in words:
        number = WEEKDAY_WORDS.get(word[:3]) if not word.isdigit() else int(word)
        if number is None or not 1 <= number <= 7 or (not word.isdigit() and len(word) < 3):
            raise InvalidInput(word)
        days.add(number)
    if not days:
        raise InvalidInput(typed)
    return "".join(str(d) for d in sorted(days))


def newer_membership() -> ColumnElement[bool]:
    """Whether the person of a `Participant` row has joined another cohort since (their
    current membership is the newest: `core.participants.find_participant`). A follow-up is
    for the person's current membership only: the chat's buttons and commands act on that."""
    later = aliased(Participant)
    return exists().where(
        later.person_id == Participant.person_id,
        or_(
            later.joined_at > Participant.joined_at,
            and_(later.joined_at == Participant.joined_at, later.id > Participant.id),
        ),
    )


async def is_current(session: AsyncSession, participant: Participant) -> bool:
    """Whether `participant` is its person's current membership."""
    newer = await session.scalar(select(newer_membership()).where(Participant.id == participant.id))
    return not newer


def offsets(cohort: Cohort) -> list[int]:
    """The messages of the follow-up, in days after the last day: the welcome (0), then a
    question every 30 days within the period. None when the cohort has no follow-up."""
    days = cohort.follow_up_days
    return [WELCOME, *range(EVERY, days + 1, EVERY)] if days > 0 else []


def questions(cohort: Cohort) -> list[int]:
    return [o for o in offsets(cohort) if o != WELCOME]


def last_day(cohort: Cohort) -> date:
    """The follow-up's last day (the training's own when it has none)."""
    return cohort.ends_on + timedelta(days=cohort.follow_up_days)


def stopped_on(participant: Participant) -> date | None:
    """The local date the participant stopped the follow-up, if they did."""
    at = participant.follow_up_stopped_at
    if at is None:
        return None
    return at.astimezone(ZoneInfo(effective_timezone(participant))).date()


def phase(participant: Participant, day: date) -> Phase:
    cohort = participant.cohort
    if day < cohort.starts_on:
        return Phase.BEFORE
    if day <= cohort.ends_on:
        return Phase.TRAINING
    if day > last_day(cohort):
        return Phase.OVER
    stopped = stopped_on(participant)
    return Phase.STOPPED if stopped is not None and stopped <= day else Phase.FOLLOW_UP


def reminds_on(participant: Participant, day: date) -> bool:
    """Whether the participant's own reminders come on `day`: every day of the training, the
    follow-up's weekdays after it."""
    now = phase(participant, day)
    if now is Phase.TRAINING:
        return True
    return now is Phase.FOLLOW_UP and day.isoweekday() in weekdays_of(participant.cohort)


def counted_until(participant: Participant, today: date) -> date:
    """The last day progress counts: today, but not after the training (or, for alumni, the
    follow-up, or the day they stopped it): days after it would all look missed."""
    cohort = participant.cohort
    end = last_day(cohort)
    stopped = stopped_on(participant)
    if stopped is not None and stopped < end:
        end = max(cohort.ends_on, stopped)
    return min(today, end)


def due_on(cohort: Cohort, offset: int) -> date:
    """The local date a follow-up message is due: the welcome the day after the last day."""
    return cohort.ends_on + timedelta(days=max(offset, 1))


def due_at(participant: Participant, offset: int) -> datetime:
    """When a follow-up message is due (UTC): on its day, at the participant's first daily
    reminder time."""
    hour, minute = (int(x) for x in daily_times(participant)[0].split(":"))
    zone = ZoneInfo(effective_timezone(participant))
    local = datetime.combine(due_on(participant.cohort, offset), datetime.min.time(), zone)
    return local.replace(hour=hour, minute=minute).astimezone(UTC)


@dataclass(frozen=True)
class Due:
    offset: int
    at: datetime
    late: bool  # due longer ago than the catch-up: recorded, not sent


def due_now(
    participant: Participant, now: datetime, sent: Collection[int], catch_up: timedelta
) -> Due | None:
    """The follow-up message due for the participant at `now`: the latest one whose time has
    come, unless it was already claimed (an earlier one never claimed is not sent any more:
    a newer question replaces it). None when nothing is due or they stopped the follow-up."""
    if participant.follow_up_stopped_at is not None:
        return None
    latest = None
    for offset in offsets(participant.cohort):
        at = due_at(participant, offset)
        if at <= now:
            latest = Due(offset, at, now - at > max(catch_up, CATCH_UP))
    if latest is None or latest.offset in sent:
        return None
    return latest


async def sent_offsets(
    session: AsyncSession, participant_ids: Collection[int]
) -> dict[int, set[int]]:
    """The follow-up messages already claimed, per participant (one query)."""
    found: dict[int, set[int]] = defaultdict(set)
    if participant_ids:
        rows = await session.execute(
            select(FollowUp.participant_id, FollowUp.offset_days).where(
                FollowUp.participant_id.in_(participant_ids)
            )
        )
        for pid, offset in rows:
            found[pid].add(offset)
    return found


async def of_participants(
    session: AsyncSession, participant_ids: Collection[int]
) -> dict[int, list[FollowUp]]:
    """Each participant's follow-up questions that went out (not the welcome, not those
    recorded late or failed), in order (one query)."""
    found: dict[int, list[FollowUp]] = defaultdict(list)
    if participant_ids:
        for row in await session.scalars(
            select(FollowUp)
            .where(
                FollowUp.participant_id.in_(participant_ids),
                FollowUp.offset_days > WELCOME,
                FollowUp.status.in_(SHOWN),
            )
            .order_by(FollowUp.participant_id, FollowUp.offset_days)
        ):
            found[row.participant_id].append(row)
    return found


async def own_question(
    session: AsyncSession, person_id: int, follow_up_id: int
) -> tuple[FollowUp, Participant] | None:
    """The follow-up question `follow_up_id` with its participant, when it was asked of this
    person (in any of their cohorts) and went out; another's, the welcome, one never sent or a
    made-up id: None."""
    found = (
        await session.execute(
            select(FollowUp, Participant)
            .join(Participant, Participant.id == FollowUp.participant_id)
            .where(
                FollowUp.id == follow_up_id,
                Participant.person_id == person_id,
                FollowUp.offset_days > WELCOME,
                FollowUp.status.in_(("sending", "sent")),
            )
            .options(joinedload(Participant.cohort))
        )
    ).first()
    return (found[0], found[1]) if found is not None else None


def answer(question: FollowUp, given: Answer, now: datetime) -> None:
    """Record (or change) the answer to a question; its note stays until a new one is typed."""
    question.answer = given.value
    question.answered_at = now


def save_note(question: FollowUp, typed: str, now: datetime) -> None:
    """What helped or blocked the action, typed after the answer (at most NOTE_MAX)."""
    cleaned = " ".join(typed.split())
    if not cleaned:
        raise InvalidInput("follow_up.note_empty")
    if len(cleaned) > NOTE_MAX:
        raise InvalidInput("follow_up.note_long")
    question.note = cleaned
    question.answered_at = now


def stop(participant: Participant, now: datetime) -> bool:
    """Stop the follow-up (no more follow-up reminders or questions); False when already."""
    if participant.follow_up_stopped_at is not None:
        return False
    participant.follow_up_stopped_at = now
    return True


def resume(participant: Participant, today: date) -> bool:
    """Take the follow-up up again; False when it was not stopped. Refused once the period is
    over (nothing would come)."""
    if participant.follow_up_stopped_at is None:
        return False
    if today > last_day(participant.cohort) or participant.cohort.follow_up_days == 0:
        raise InvalidInput("follow_up.over")
    participant.follow_up_stopped_at = None
    return True


def set_terms(cohort: Cohort, days: int | None, weekdays: str | None) -> None:
    """A cohort's follow-up: its length in days (0 to MAX_DAYS) and reminder weekdays."""
    if days is not None:
        if not 0 <= days <= MAX_DAYS:
            raise InvalidInput(f"follow-up days are 0 to {MAX_DAYS}, not {days}")
        cohort.follow_up_days = days
    if weekdays is not None:
        cohort.follow_up_weekdays = read_weekdays(weekdays)
