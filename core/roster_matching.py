"""Tying roster rows to Telegram accounts: by a personal link, by username, or by a facilitator.

One roster row per member and one member per row; whoever is tied takes the roster's name and
unit (the official list wins), and what they had told the bot themselves is kept so that a
facilitator undoing a wrong match gives it back. A person keeps the identity they have: a link
that would make them someone else is refused with the reason, nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import conversation
from core.contacts import telegram_usernames
from core.conversation import Ask
from core.errors import InvalidInput
from core.participants import (
    JoinResult,
    Writer,
    find_participant,
    join_cohort,
)
from core.roster_file import NAME_MAX, UNIT_MAX, name_key
from core.roster_tokens import looks_like_token
from storage.models import Cohort, Participant, RosterEntry


async def not_joined(session: AsyncSession, cohort_id: int) -> list[RosterEntry]:
    """The cohort's roster rows nobody has joined with yet, in the order of the roster."""
    result = await session.scalars(
        select(RosterEntry)
        .where(RosterEntry.cohort_id == cohort_id, RosterEntry.participant_id.is_(None))
        .order_by(RosterEntry.position, RosterEntry.id)
    )
    return list(result)


async def entry_by_token(session: AsyncSession, token: str) -> RosterEntry | None:
    """The roster row with exactly this token (case matters); None for anything else."""
    if not looks_like_token(token):
        return None
    result = await session.scalars(select(RosterEntry).where(RosterEntry.join_token == token))
    return result.one_or_none()


async def entry_of(session: AsyncSession, participant_id: int) -> RosterEntry | None:
    result = await session.scalars(
        select(RosterEntry).where(RosterEntry.participant_id == participant_id)
    )
    return result.one_or_none()


async def tie(
    session: AsyncSession, entry: RosterEntry, participant: Participant, *, joining: bool = False
) -> None:
    """Tie the roster row to the member, and give the member the roster's name and unit (the
    official list wins over what they typed). A question the roster answers is not asked: when
    `joining`, the onboarding moves on to the unit if the roster has none (the caller asks it
    next); otherwise (matched later) a pending name question is simply dropped."""
    previous = await entry_of(session, participant.id)
    if previous is not None and previous.id != entry.id:
        previous.participant_id = None
        await session.flush()  # one row per member: free the old one first
    if previous is None:  # what they told the bot themselves, put back by `untie`
        participant.own_full_name = participant.full_name
        participant.own_unit = participant.unit
    entry.participant_id = participant.id
    participant.full_name = entry.name[:NAME_MAX]
    if entry.unit:
        participant.unit = entry.unit[:UNIT_MAX]
    if conversation.is_open(participant, Ask.FULL_NAME):
        conversation.clear(participant)
        if joining and not participant.unit:
            conversation.ask(participant, Ask.UNIT)
    elif conversation.is_open(participant, Ask.UNIT) and participant.unit:
        conversation.clear(participant)
    await session.flush()


class LinkRefusal(StrEnum):
    """Why a personal link was not used (nothing changed)."""

    TAKEN = "taken"  # the row is tied to another Telegram account
    HAS_IDENTITY = "has_identity"  # the person is already in that cohort as someone
    OTHER_PERSON = "other_person"  # on another cohort's roster as a different person


@dataclass(frozen=True)
class RosterJoin:
    """The outcome of a personal link: `joined` is None when it was refused (`refused` says
    why; nothing changed)."""

    entry: RosterEntry
    joined: JoinResult | None
    refused: LinkRefusal | None = None


def same_person(a: RosterEntry, b: RosterEntry) -> bool:
    """Two roster rows (of different cohorts) are the same person: the same NIP when both
    have one, else the same name (case and spacing ignored)."""
    if a.nip and b.nip:
        return a.nip == b.nip
    return name_key(a.name) == name_key(b.name)


async def link_refusal(
    session: AsyncSession, person: Writer, entry: RosterEntry
) -> LinkRefusal | None:
    """Whether `person` may use the personal link of `entry`. A person keeps the identity they
    have: a row tied to another account is refused; someone already in the row's cohort (as
    whoever they are there) is refused, a facilitator re-matches them explicitly; someone
    who is another person in their current cohort — on its roster (another NIP, else another
    name), or by the name they gave the bot — is refused too. Only someone who never gave a
    name, or the same one, may take another cohort's link (after being asked to move)."""
    if entry.participant_id is not None:
        owner = await session.get(Participant, entry.participant_id)
        if owner is not None and owner.person_id != person.person_id:
            return LinkRefusal.TAKEN
        return None  # their own link
    current = await find_participant(session, person.person_id)
    there = await session.scalar(
        select(Participant).where(
            Participant.cohort_id == entry.cohort_id,
            Participant.person_id == person.person_id,
        )
    )
    if there is not None:
        tied = await entry_of(session, there.id)
        if tied is not None or (current is not None and current.id == there.id):
            return LinkRefusal.HAS_IDENTITY
    if current is not None:
        own = await entry_of(session, current.id)
        if own is not None and not same_person(own, entry):
            return LinkRefusal.OTHER_PERSON
        named = current.full_name
        if own is None and named and name_key(named) != name_key(entry.name):
            return LinkRefusal.OTHER_PERSON  # they told the bot another name
    return None


async def join_by_token(
    session: AsyncSession, person: Writer, token: str, now: datetime | None = None
) -> RosterJoin | None:
    """Join the cohort of the roster row with this token and tie the account to it; None when
    no row has this token. Refused (see `link_refusal`) with nothing changed; the same account
    again is simply already a member."""
    entry = await entry_by_token(session, token)
    if entry is None:
        return None
    refused = await link_refusal(session, person, entry)
    if refused is not None:
        return RosterJoin(entry, None, refused)
    cohort = await session.get(Cohort, entry.cohort_id)
    assert cohort is not None
    joined = await join_cohort(session, person, cohort.code, now)
    assert joined is not None
    if entry.participant_id != joined.participant.id:
        await tie(session, entry, joined.participant, joining=True)
    return RosterJoin(entry, joined)


async def match_by_username(session: AsyncSession, participant: Participant) -> RosterEntry | None:
    """Tie a member joining by the cohort code to the unmatched roster row with their Telegram
    username (case ignored), if there is exactly one such row and they have none."""
    username = (await telegram_usernames(session, [participant.person_id])).get(
        participant.person_id, ""
    )
    username = username.lower()
    if not username or await entry_of(session, participant.id) is not None:
        return None
    rows = [
        e
        for e in await not_joined(session, participant.cohort_id)
        if (e.telegram_username or "").lower() == username
    ]
    if len(rows) != 1:
        return None
    await tie(session, rows[0], participant, joining=True)
    return rows[0]


async def untied_members(session: AsyncSession, cohort_id: int) -> list[Participant]:
    """Members of the cohort that no roster row is tied to, in the order they joined."""
    tied = select(RosterEntry.participant_id).where(RosterEntry.participant_id.is_not(None))
    result = await session.scalars(
        select(Participant)
        .where(Participant.cohort_id == cohort_id, Participant.id.not_in(tied))
        .order_by(Participant.joined_at, Participant.id)
    )
    return list(result)


async def roster_pair(
    session: AsyncSession, cohort_id: int, roster_id: int, participant_id: int, *, tied: bool
) -> tuple[RosterEntry, Participant]:
    """The roster row and the member a facilitator's button names, checked: both of the cohort
    and, when `tied`, tied to each other; otherwise the row unmatched and the member tied to no
    row. Anything else (forged, stale, another cohort's) raises InvalidInput("roster.stale")."""
    entry = await session.get(RosterEntry, roster_id)
    participant = await session.get(Participant, participant_id)
    if (
        entry is None
        or participant is None
        or entry.cohort_id != cohort_id
        or participant.cohort_id != cohort_id
    ):
        raise InvalidInput("roster.stale")
    if tied:
        valid = entry.participant_id == participant.id
    else:
        valid = entry.participant_id is None and await entry_of(session, participant.id) is None
    if not valid:
        raise InvalidInput("roster.stale")
    return entry, participant


async def match(
    session: AsyncSession, cohort_id: int, roster_id: int, participant_id: int
) -> RosterEntry:
    """A facilitator ties a member who joined by code to a roster row (see `roster_pair` for
    what is checked; nothing changes when it is refused)."""
    entry, participant = await roster_pair(
        session, cohort_id, roster_id, participant_id, tied=False
    )
    await tie(session, entry, participant)
    return entry


async def untie(
    session: AsyncSession, cohort_id: int, roster_id: int, participant_id: int
) -> RosterEntry:
    """A facilitator undoes a match: the roster row is free again, and the member gets back
    the name and unit they had told the bot themselves (see `roster_pair`)."""
    entry, participant = await roster_pair(session, cohort_id, roster_id, participant_id, tied=True)
    entry.participant_id = None
    participant.full_name, participant.unit = participant.own_full_name, participant.own_unit
    participant.own_full_name = participant.own_unit = None
    await session.flush()
    return entry
