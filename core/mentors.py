"""Mentors: the participant's direct superior or coach, who approves the action plan (LAN's
rules) — who they are, how they are asked, and the history of it.

A participant asks with a personal link (`m-` and 24 random letters and digits, valid
`INVITE_VALID`): whoever opens it first is the one asked (a forwarded link cannot be taken over
by a second person), and they accept or decline. An organiser can also assign a mentor from the
command line. A participant has at most one active mentor; a mentor may have any number of
mentees, in any cohorts. Nothing is overwritten: a new link withdraws the open one, a new mentor
ends the old one's mentorship, and every row keeps its times (`storage.mentoring.Mentorship`); a
used link keeps its token, so opening it again says it was used rather than that it is unknown."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.errors import InvalidInput, NotFound
from storage.base import lock_row
from storage.mentoring import Mentorship, PlanReview
from storage.models import Cohort, Participant, RosterEntry

TOKEN_PREFIX = "m-"
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_TOKEN_RANDOM = 24  # 62^24: about 143 bits
TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9]{{{_TOKEN_RANDOM}}}$")
INVITE_VALID = timedelta(days=14)
NAME_MAX = 128


class State(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    ENDED = "ended"


class Refusal(StrEnum):
    """Why an invitation link cannot be used (nothing was changed)."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"  # accepted, declined or withdrawn already
    OWN = "own"  # the participant's own link
    TAKEN = "taken"  # someone else opened it first


def looks_like_token(text: str) -> bool:
    return bool(TOKEN_RE.match(text))


def _new_token() -> str:
    return TOKEN_PREFIX + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_RANDOM))


async def active_mentor(session: AsyncSession, participant_id: int) -> Mentorship | None:
    return await session.scalar(
        select(Mentorship).where(
            Mentorship.participant_id == participant_id, Mentorship.state == State.ACTIVE
        )
    )


async def open_invitation(
    session: AsyncSession, participant_id: int, now: datetime
) -> Mentorship | None:
    """The participant's invitation still waiting for an answer, if any."""
    return await session.scalar(
        select(Mentorship).where(
            Mentorship.participant_id == participant_id,
            Mentorship.state == State.INVITED,
            Mentorship.expires_at > now,
        )
    )


async def invitation_key(session: AsyncSession, participant_id: int) -> str:
    """What a "new link" button carries: the id of the invitation it replaces ("-": none), so a
    press on an old message cannot void a link made since."""
    found = await session.scalar(
        select(Mentorship.id).where(
            Mentorship.participant_id == participant_id, Mentorship.state == State.INVITED
        )
    )
    return "-" if found is None else str(found)


async def _withdraw_open(session: AsyncSession, participant_id: int, now: datetime) -> int:
    result = await session.execute(
        update(Mentorship)
        .where(Mentorship.participant_id == participant_id, Mentorship.state == State.INVITED)
        .values(state=State.WITHDRAWN, decided_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def lock_participant(session: AsyncSession, participant_id: int) -> None:
    """Changes to one participant's mentorships wait for each other (two workers, two quick
    taps): PostgreSQL locks the participant's row; SQLite has one writer at a time anyway.
    The partial unique indexes (storage.mentoring) are the last guard."""
    await lock_row(session, Participant.id, participant_id)


async def invite(session: AsyncSession, participant: Participant, now: datetime) -> Mentorship:
    """A new invitation link for the participant's mentor; any open one is withdrawn."""
    await lock_participant(session, participant.id)
    await _withdraw_open(session, participant.id, now)
    while True:
        token = _new_token()
        if await session.scalar(select(Mentorship.id).where(Mentorship.token == token)) is None:
            break
    invitation = Mentorship(
        participant_id=participant.id,
        state=State.INVITED,
        token=token,
        source="link",
        created_at=now,
        expires_at=now + INVITE_VALID,
    )
    session.add(invitation)
    await session.flush()
    return invitation


async def withdraw(
    session: AsyncSession, participant: Participant, invitation_id: int, now: datetime
) -> bool:
    """Cancel the participant's own open invitation; False when it is not theirs or not open."""
    result = await session.execute(
        update(Mentorship)
        .where(
            Mentorship.id == invitation_id,
            Mentorship.participant_id == participant.id,
            Mentorship.state == State.INVITED,
        )
        .values(state=State.WITHDRAWN, decided_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Opened:
    """An invitation link opened: the invitation and its participant, or why not."""

    invitation: Mentorship | None
    participant: Participant | None
    refused: Refusal | None


async def open_link(session: AsyncSession, person_id: int, token: str, now: datetime) -> Opened:
    """Someone opened an invitation link: bind it to them (the first to open it), or say why
    it cannot be used."""
    invitation = await session.scalar(
        select(Mentorship).where(Mentorship.token == token).with_for_update()
    )
    if invitation is None:
        return Opened(None, None, Refusal.UNKNOWN)
    participant = await session.get(
        Participant, invitation.participant_id, options=[selectinload(Participant.cohort)]
    )
    assert participant is not None
    refused = _refusal(invitation, participant, person_id, now)
    if refused is None:
        invitation.opened_by = person_id
    return Opened(invitation, participant, refused)


def _refusal(
    invitation: Mentorship, participant: Participant, person_id: int, now: datetime
) -> Refusal | None:
    if invitation.state != State.INVITED:
        return Refusal.USED
    if invitation.expires_at is None or invitation.expires_at <= now:
        return Refusal.EXPIRED
    if participant.person_id == person_id:
        return Refusal.OWN
    if invitation.opened_by is not None and invitation.opened_by != person_id:
        return Refusal.TAKEN
    return None


@dataclass(frozen=True)
class Decision:
    """An answer to an invitation: the invitation and its participant (None: it could not be
    answered by this person now — forged, stale, expired or someone else's), and the mentor it
    replaced when accepted."""

    invitation: Mentorship | None
    participant: Participant | None
    replaced: Mentorship | None = None
    unchanged: bool = False  # accepted by the mentor the participant already had


async def decide(
    session: AsyncSession,
    person_id: int,
    invitation_id: int,
    *,
    accept: bool,
    name: str,
    language: str | None,
    now: datetime,
) -> Decision:
    """The person who opened invitation `invitation_id` accepts or declines it."""
    # The participant's row first, then the invitation: the order `invite` takes them in, so
    # an "accept" and a "new link" at once wait for each other instead of deadlocking.
    found = await session.scalar(
        select(Mentorship.participant_id).where(Mentorship.id == invitation_id)
    )
    if found is None:
        return Decision(None, None)
    await lock_participant(session, found)
    invitation = await session.scalar(
        select(Mentorship)
        .where(Mentorship.id == invitation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invitation is None or invitation.opened_by != person_id:
        return Decision(None, None)
    participant = await session.get(
        Participant, invitation.participant_id, options=[selectinload(Participant.cohort)]
    )
    assert participant is not None
    if _refusal(invitation, participant, person_id, now) is not None:
        return Decision(None, None)
    invitation.decided_at = now
    if not accept:
        invitation.state = State.DECLINED
        return Decision(invitation, participant)
    current = await active_mentor(session, participant.id)
    if current is not None and current.mentor_person_id == person_id:
        # Their mentor already: the link is closed, the mentorship (and the plan's approval
        # with it) goes on as it was.
        invitation.state = State.WITHDRAWN
        current.mentor_name = name.strip()[:NAME_MAX] or current.mentor_name
        current.mentor_language = language
        return Decision(current, participant, unchanged=True)
    replaced = await _end_active(session, participant.id, now)
    invitation.state = State.ACTIVE
    invitation.mentor_person_id = person_id
    invitation.mentor_name = name.strip()[:NAME_MAX] or None
    invitation.mentor_language = language
    return Decision(invitation, participant, replaced)


async def _end_active(
    session: AsyncSession, participant_id: int, now: datetime
) -> Mentorship | None:
    current = await active_mentor(session, participant_id)
    if current is not None:
        current.state = State.ENDED
        current.ended_at = now
        await session.flush()
        await withdraw_waiting_plans(session, [current.id])
    return current


async def withdraw_waiting_plans(session: AsyncSession, mentorship_ids: list[int]) -> None:
    """Mentorships that ended: a plan waiting for them waits for nobody any more (it goes to the
    next mentor when they accept; meanwhile the participant's status says no mentor)."""
    await session.execute(
        update(PlanReview)
        .where(PlanReview.mentorship_id.in_(mentorship_ids), PlanReview.state == "waiting")
        .values(state="superseded", comment_asked_at=None)
    )


@dataclass(frozen=True)
class Assigned:
    mentorship: Mentorship
    participant: Participant
    replaced: Mentorship | None
    unchanged: bool = False


async def assign(
    session: AsyncSession,
    participant: Participant,
    mentor_person_id: int,
    name: str | None,
    now: datetime,
) -> Assigned:
    """An organiser assigns the participant's mentor (the command line): active at once, any
    open invitation withdrawn, the previous mentor's mentorship ended. Assigning the same
    mentor again changes nothing (a new name is kept)."""
    if participant.person_id == mentor_person_id:
        raise InvalidInput("a participant cannot be their own mentor")
    await lock_participant(session, participant.id)
    current = await active_mentor(session, participant.id)
    if current is not None and current.mentor_person_id == mentor_person_id:
        if name:
            current.mentor_name = name.strip()[:NAME_MAX]
        return Assigned(current, participant, None, unchanged=True)
    await _withdraw_open(session, participant.id, now)
    replaced = await _end_active(session, participant.id, now)
    mentorship = Mentorship(
        participant_id=participant.id,
        mentor_person_id=mentor_person_id,
        mentor_name=(name or "").strip()[:NAME_MAX] or None,
        state=State.ACTIVE,
        source="cli",
        created_at=now,
        decided_at=now,
    )
    session.add(mentorship)
    await session.flush()
    return Assigned(mentorship, participant, replaced)


async def end(session: AsyncSession, participant: Participant, now: datetime) -> Mentorship | None:
    """End the participant's mentorship (the command line); None when they had no mentor."""
    await lock_participant(session, participant.id)
    return await _end_active(session, participant.id, now)


async def has_mentored(session: AsyncSession, person_id: int) -> bool:
    """Whether Aksi holds anything of the person as a mentor (for /hapusdata)."""
    found = await session.scalar(
        select(Mentorship.id).where(Mentorship.mentor_person_id == person_id).limit(1)
    )
    return found is not None


async def note_language(session: AsyncSession, person_id: int, language: str) -> None:
    """The mentor wrote in `language`: what is sent to them later (a plan for approval) uses
    it."""
    await session.execute(
        update(Mentorship)
        .where(
            Mentorship.mentor_person_id == person_id,
            Mentorship.state == State.ACTIVE,
            (Mentorship.mentor_language != language) | Mentorship.mentor_language.is_(None),
        )
        .values(mentor_language=language)
    )


@dataclass(frozen=True)
class Mentee:
    participant: Participant
    cohort: Cohort
    since: datetime | None


async def mentees_of(session: AsyncSession, person_id: int) -> list[Mentee]:
    """Whom the person mentors now, by cohort and name."""
    rows = (
        await session.execute(
            select(Participant, Cohort, Mentorship.decided_at)
            .join(Mentorship, Mentorship.participant_id == Participant.id)
            .join(Cohort, Cohort.id == Participant.cohort_id)
            .where(Mentorship.mentor_person_id == person_id, Mentorship.state == State.ACTIVE)
            .order_by(Cohort.code, Participant.full_name, Participant.first_name, Participant.id)
        )
    ).all()
    return [Mentee(participant, cohort, since) for participant, cohort, since in rows]


async def mentors_of_cohort(
    session: AsyncSession, cohort_id: int
) -> list[tuple[Participant, Mentorship | None]]:
    """Every participant of the cohort with their active mentorship (None: no mentor)."""
    participants = (
        await session.scalars(
            select(Participant)
            .where(Participant.cohort_id == cohort_id)
            .order_by(Participant.full_name, Participant.first_name, Participant.id)
        )
    ).all()
    active = {
        m.participant_id: m
        for m in await session.scalars(
            select(Mentorship)
            .join(Participant, Participant.id == Mentorship.participant_id)
            .where(Participant.cohort_id == cohort_id, Mentorship.state == State.ACTIVE)
        )
    }
    return [(p, active.get(p.id)) for p in participants]


async def find_participant(session: AsyncSession, cohort: Cohort, who: str) -> Participant:
    """A participant of `cohort` by their NIP (on the roster, 18 digits, spaces allowed) or
    their participant number (`aksi participants list`)."""
    digits = re.sub(r"[\s.]", "", who.strip())
    if not digits.isdigit() or not digits.isascii():
        raise InvalidInput(f"participant {who!r}: give a NIP (18 digits) or a participant number")
    if len(digits) == 18:
        participant = await session.scalar(
            select(Participant)
            .join(RosterEntry, RosterEntry.participant_id == Participant.id)
            .where(RosterEntry.cohort_id == cohort.id, RosterEntry.nip == digits)
        )
    else:
        participant = await session.scalar(
            select(Participant).where(
                Participant.cohort_id == cohort.id, Participant.id == int(digits)
            )
        )
    if participant is None:
        raise NotFound(f"no participant {who!r} in cohort {cohort.code}")
    return participant
