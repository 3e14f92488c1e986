"""Announcements: a facilitator's draft (text, audience, time), its recipients, and its outcome.

States: compose (waiting for the text) → preview ⇄ time (waiting for a send time) → scheduled
or sending → done; cancelled from any state before done. Delivery itself is scheduler.outbox."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from core.channel import ANNOUNCEMENT, Outbound
from core.errors import InvalidInput
from core.htmlsplit import split_message
from core.i18n import Catalogs, Html
from core.participants import effective_timezone
from core.reading import make_date, read_clock
from storage.models import (
    Announcement,
    CheckIn,
    Cohort,
    Contact,
    Delivery,
    OutboxMessage,
    Participant,
)

AUDIENCES = ("all", "not_checked_in")
DRAFT_STATES = ("compose", "preview", "time")
OPEN_STATES = (*DRAFT_STATES, "scheduled", "sending")
# The body plus the header must fit one Telegram message (4096 characters).
BODY_MAX = 3800
SCHEDULE_AHEAD = timedelta(days=60)


async def open_draft(session: AsyncSession, author_id: int) -> Announcement | None:
    """The author's draft in progress (compose, preview or time), if any."""
    result = await session.execute(
        select(Announcement)
        .where(
            Announcement.author_id == author_id,
            Announcement.state.in_(DRAFT_STATES),
        )
        .order_by(Announcement.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def start_draft(
    session: AsyncSession,
    cohort: Cohort,
    author_id: int,
    author_contact_id: int,
    lang: str,
    now: datetime,
) -> Announcement:
    """A new draft for `cohort`; an unfinished draft of the same author is dropped."""
    await session.execute(
        update(Announcement)
        .where(
            Announcement.author_id == author_id,
            Announcement.state.in_(DRAFT_STATES),
        )
        .values(state="cancelled", finished_at=now)
    )
    draft = Announcement(
        cohort_id=cohort.id,
        author_id=author_id,
        author_contact_id=author_contact_id,
        author_language=lang,
        state="compose",
        audience="all",
        created_at=now,
    )
    session.add(draft)
    await session.flush()
    return draft


def set_body(draft: Announcement, html: str, plain_length: int) -> None:
    """The announcement's text as Telegram HTML (the facilitator's formatting and links)."""
    if plain_length == 0 or not html.strip():
        raise InvalidInput("announce.empty")
    if plain_length > BODY_MAX:
        raise InvalidInput(f"too_long:{BODY_MAX}")
    draft.body = html
    draft.state = "preview"


def toggle_audience(draft: Announcement) -> None:
    draft.audience = "not_checked_in" if draft.audience == "all" else "all"


# The author's buttons under a draft, and the states each one works in: the preview's own
# (audience, time, send) only on the preview, "back" only while a time is asked for; cancel
# and changing the text on any draft. A press in another state is stale (an old message).
PRESSES: dict[str, tuple[str, ...]] = {
    "cancel": DRAFT_STATES,
    "edit": DRAFT_STATES,
    "aud": ("preview",),
    "time": ("preview",),
    "send": ("preview",),
    "back": ("time",),
}


def may_press(draft: Announcement, action: str) -> bool:
    return draft.state in PRESSES.get(action, ())


def to_compose(draft: Announcement) -> None:
    """Change the text: the next typed text is the new one."""
    draft.state = "compose"


def to_time(draft: Announcement) -> None:
    """Send later: the next typed text is the time."""
    if draft.state != "preview":
        raise InvalidInput("button.stale")
    draft.state = "time"


def back_to_preview(draft: Announcement) -> None:
    """No time after all: back to the preview, to be sent at once."""
    if draft.state != "time":
        raise InvalidInput("button.stale")
    draft.state = "preview"
    draft.send_at = None


def set_send_time(draft: Announcement, typed: str, tz: str, now: datetime) -> None:
    """The typed time (in the cohort's zone), then the preview again; `parse_send_time`'s
    refusals leave the draft waiting for a time."""
    if draft.state != "time":
        raise InvalidInput("button.stale")
    draft.send_at = parse_send_time(typed, tz, now)
    draft.state = "preview"


def revoke(draft: Announcement) -> None:
    """The author may no longer send to the cohort: the draft is dropped."""
    draft.state = "cancelled"


_DATE_TIME = re.compile(
    r"^(?:(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\s+)?(?P<h>\d{1,2})[.:](?P<mi>\d{2})$"
)


def example_send_time(tz: str, now: datetime) -> str:
    """A date and time to show as an example of what `parse_send_time` takes: tomorrow 07:00."""
    tomorrow = now.astimezone(ZoneInfo(tz)).date() + timedelta(days=1)
    return f"{tomorrow.isoformat()} 07:00"


def parse_send_time(typed: str, tz: str, now: datetime) -> datetime:
    """`16:30` (today, or tomorrow if passed) or `2021-09-10 07:00`, in zone `tz` → UTC.
    A date or time that does not exist (`2021-02-30`, `25:00`) raises `core.reading.BadDate`
    or `BadTime`; one written another way, InvalidInput("announce.bad_time")."""
    match = _DATE_TIME.match(typed.strip())
    if match is None or not typed.strip().isascii():
        raise InvalidInput("announce.bad_time")
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    written = f"{match['y']}-{match['m']}-{match['d']}" if match["y"] else ""
    day = (
        make_date(int(match["y"]), int(match["m"]), int(match["d"]), written)
        if match["y"]
        else local_now.date()
    )
    at = read_clock(typed.split()[-1])
    local = datetime.combine(day, at, zone)
    if not match["y"] and local <= local_now:
        local += timedelta(days=1)
    # Compared in the zone first: converting a date near year 1 or 9999 to UTC would overflow.
    if local <= local_now:
        raise InvalidInput("announce.time_past")
    if local > local_now + SCHEDULE_AHEAD:
        raise InvalidInput("announce.time_far")
    return local.astimezone(UTC)


def _current_members(cohort_id: int) -> Select[Any]:
    """Participants of the cohort who have not moved on to a newer cohort since."""
    newer = aliased(Participant)
    return (
        select(Participant)
        .options(joinedload(Participant.cohort))
        .where(
            Participant.cohort_id == cohort_id,
            ~select(newer.id)
            .where(
                newer.person_id == Participant.person_id,
                newer.id != Participant.id,
                newer.joined_at > Participant.joined_at,
            )
            .exists(),
        )
        .order_by(Participant.id)
    )


async def recipients(
    session: AsyncSession, cohort_id: int, audience: str, now: datetime
) -> list[Participant]:
    """Who gets it: the cohort's members, or those with nothing logged today (their local day).
    Known-unreachable members are included: delivery counts them without sending."""
    members = list((await session.execute(_current_members(cohort_id))).scalars())
    if audience != "not_checked_in" or not members:
        return members
    days = {p.id: now.astimezone(ZoneInfo(effective_timezone(p))).date() for p in members}
    logged = await session.execute(
        select(CheckIn.participant_id, CheckIn.day).where(
            CheckIn.participant_id.in_(days), CheckIn.day.in_(set(days.values()))
        )
    )
    done = {pid for pid, day in logged.all() if days.get(pid) == day}
    return [p for p in members if p.id not in done]


def confirm(draft: Announcement, now: datetime) -> None:
    """The author pressed send: scheduled for later, or queued to start now."""
    if draft.state != "preview" or not draft.body:
        raise InvalidInput("announce.stale")
    if draft.send_at is not None and draft.send_at > now:
        draft.state = "scheduled"
    else:
        draft.send_at = now
        draft.state = "scheduled"  # the sender starts it at its next turn (scheduler.outbox)


async def cancel(
    session: AsyncSession,
    announcement: Announcement,
    now: datetime,
) -> int:
    """Stop a draft, a scheduled announcement or one being sent; returns how many queued
    messages will now not go out (those already sent stay sent, and those a sender has taken
    up, whichever worker it is, still go out and are recorded)."""
    if announcement.state not in OPEN_STATES:
        raise InvalidInput("announce.stale")
    announcement.state = "cancelled"
    announcement.finished_at = now
    stays: list[ColumnElement[bool]] = [
        OutboxMessage.announcement_id == announcement.id,
        OutboxMessage.status == "pending",
        OutboxMessage.taken_at.is_(None),
    ]
    result = await session.execute(update(OutboxMessage).where(*stays).values(status="cancelled"))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Counts:
    total: int
    sent: int
    pending: int
    failed: int
    unreachable: int
    cancelled: int
    needs_template: int = 0  # WhatsApp's window closed and no template configured


async def counts(session: AsyncSession, announcement_id: int) -> Counts:
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.announcement_id == announcement_id)
        .group_by(OutboxMessage.status)
    )
    return _counted({status: int(n) for status, n in rows.all()})


async def counts_by_channel(session: AsyncSession, announcement_id: int) -> dict[str, Counts]:
    """The counts of each channel the announcement went out on (by the contact it went to)."""
    rows = await session.execute(
        select(Contact.channel, OutboxMessage.status, func.count())
        .join(Contact, Contact.id == OutboxMessage.contact_id)
        .where(OutboxMessage.announcement_id == announcement_id)
        .group_by(Contact.channel, OutboxMessage.status)
    )
    by: dict[str, dict[str, int]] = {}
    for channel, status, n in rows.all():
        by.setdefault(str(channel), {})[str(status)] = int(n)
    return {channel: _counted(statuses) for channel, statuses in sorted(by.items())}


def _counted(by: dict[str, int]) -> Counts:
    return Counts(
        total=sum(by.values()),
        sent=by.get("sent", 0),
        pending=by.get("pending", 0),
        failed=by.get("failed", 0),
        unreachable=by.get("unreachable", 0),
        cancelled=by.get("cancelled", 0),
        needs_template=by.get("needs_template", 0),
    )


@dataclass(frozen=True)
class Untemplated:
    messages: int
    people: int


async def reminders_untemplated(
    session: AsyncSession, cohort_id: int, now: datetime, days: int = 7
) -> Untemplated:
    """The cohort's reminders of the last `days` that were not sent for want of a WhatsApp
    template (the reader's window closed): how many, to how many participants."""
    row = (
        await session.execute(
            select(func.count(), func.count(func.distinct(Delivery.participant_id)))
            .join(Participant, Participant.id == Delivery.participant_id)
            .where(
                Participant.cohort_id == cohort_id,
                Delivery.status == "needs_template",
                Delivery.created_at >= now - timedelta(days=days),
            )
        )
    ).one()
    return Untemplated(int(row[0]), int(row[1]))


async def missed(session: AsyncSession, announcement_id: int, limit: int) -> list[str]:
    """The names of those it failed to reach or who are unreachable, by name, at most `limit`."""
    rows = await session.execute(
        select(Participant.full_name, Participant.first_name)
        .join(OutboxMessage, OutboxMessage.participant_id == Participant.id)
        .where(
            OutboxMessage.announcement_id == announcement_id,
            OutboxMessage.status.in_(("failed", "unreachable", "needs_template")),
        )
        .order_by(Participant.full_name, Participant.first_name)
        .limit(limit)
    )
    return [str(full or first) for full, first in rows.all()]


async def of_cohort(session: AsyncSession, cohort_id: int, limit: int = 5) -> list[Announcement]:
    """The cohort's announcements in progress or scheduled, then the latest finished (or stopped)
    ones."""
    open_ = await session.execute(
        select(Announcement)
        .where(
            Announcement.cohort_id == cohort_id, Announcement.state.in_(("scheduled", "sending"))
        )
        .order_by(Announcement.send_at, Announcement.id)
    )
    # Finished: delivered, or stopped part way (a cancelled draft never started: not shown).
    finished = (Announcement.state == "done") | (
        (Announcement.state == "cancelled") & Announcement.started_at.is_not(None)
    )
    done = await session.execute(
        select(Announcement)
        .where(Announcement.cohort_id == cohort_id, finished)
        .order_by(Announcement.finished_at.desc())
        .limit(limit)
    )
    return [*open_.scalars(), *done.scalars()]


def delivered_text(i18n: Catalogs, lang: str, cohort_name: str, body: str) -> str:
    """The announcement as a participant reads it: a header in their language, then the body."""
    header = i18n.text(lang, "announce.header", cohort=cohort_name)
    return i18n.text(lang, "announce.delivered", header=Html(header), body=Html(body))


def delivered_messages(i18n: Catalogs, lang: str, cohort_name: str, body: str) -> list[Outbound]:
    """`delivered_parts` as the messages a channel sends: unasked announcements, in `lang`."""
    return [
        Outbound(part, lang=lang, kind=ANNOUNCEMENT)
        for part in delivered_parts(i18n, lang, cohort_name, body)
    ]


def delivered_parts(i18n: Catalogs, lang: str, cohort_name: str, body: str) -> list[str]:
    """The messages a participant gets (one, unless the text is over Telegram's limit): the
    preview shows exactly these, and the sender sends exactly these."""
    return split_message(delivered_text(i18n, lang, cohort_name, body))
