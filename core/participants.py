"""Joining a cohort and the participant's own profile and preferences."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from core import conversation
from core.channel import Address
from core.cohorts import find_cohort, looks_like_code
from core.conversation import Ask, Waiting
from core.errors import InvalidInput, TooLong
from core.languages import SUPPORTED_LANGUAGES, check_timezone
from storage.base import utcnow
from storage.models import Cohort, Contact, Participant

NAME_MAX = 100
UNIT_MAX = 150
# The profile fields asked for with a typed answer (`core.conversation`: while joining, each
# answer may ask the next; asked from /pengaturan, an answer asks nothing next).
ASK_FULL_NAME = "full_name"
ASK_UNIT = "unit"
PROFILE_FIELDS = (ASK_FULL_NAME, ASK_UNIT)
_ASK = {ASK_FULL_NAME: Ask.FULL_NAME, ASK_UNIT: Ask.UNIT}
_EDIT = {ASK_FULL_NAME: Ask.EDIT_FULL_NAME, ASK_UNIT: Ask.EDIT_UNIT}


def profile_field(participant: Participant) -> str | None:
    """The profile field the open question is about (joining or editing), else None."""
    found = conversation.waiting(participant)
    return found.field if found is not None else None


def editing_profile(participant: Participant) -> bool:
    return conversation.is_open(participant, *conversation.EDITING)


def ask_profile(participant: Participant, field: str, *, editing: bool = False) -> None:
    """Ask for `field` ("full_name" or "unit"); `editing`: from /pengaturan."""
    conversation.ask(participant, (_EDIT if editing else _ASK)[field])


@dataclass(frozen=True)
class Writer:
    """Who wrote: the person (`core.contacts`) and what their channel tells about them."""

    person_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()


@dataclass(frozen=True)
class JoinResult:
    participant: Participant
    cohort: Cohort
    already_member: bool
    returned: bool = False  # back to a cohort they had moved away from


# Every update asks this: built once (statement building costs more than SQLite here), and
# one query with the cohort joined, not two.
_FIND_PARTICIPANT = (
    select(Participant)
    .where(Participant.person_id == bindparam("person_id"))
    .options(joinedload(Participant.cohort))
    .order_by(Participant.joined_at.desc(), Participant.id.desc())
    .limit(1)
)


async def find_participant(session: AsyncSession, person_id: int) -> Participant | None:
    """The person's current membership: the cohort joined most recently."""
    result = await session.execute(_FIND_PARTICIPANT, {"person_id": person_id})
    return result.scalar_one_or_none()


async def leave_question(session: AsyncSession, participant_id: int, asked: str | None) -> None:
    """Close the open question `asked` of a membership, unless another has been asked since."""
    await session.execute(
        update(Participant)
        .where(Participant.id == participant_id, Participant.awaiting == asked)
        .values(awaiting=None)
    )


async def stale_or_left(
    session: AsyncSession, participant: Participant, cohort_id: int | None
) -> str:
    """Why something of cohort `cohort_id` pressed by `participant` is refused: `cohort.left`
    when this person was a member there and moved away (`/start` of another cohort: what is
    theirs there stays, but is no longer answered), else `button.stale` (forged, or of a cohort
    they never were in)."""
    if cohort_id is not None and cohort_id != participant.cohort_id:
        earlier = await session.scalar(
            select(Participant.id).where(
                Participant.person_id == participant.person_id, Participant.cohort_id == cohort_id
            )
        )
        if earlier is not None:
            return "cohort.left"
    return "button.stale"


async def poll_refusal(session: AsyncSession, participant: Participant | None, owner: int) -> str:
    """Why an answer to a poll sent to membership `owner` is refused from `participant` (the
    writer's current membership): `cohort.left` when it was sent to them in a cohort they
    moved away from, else `poll.stale`."""
    sent_to = await session.get(Participant, owner)
    if participant is None or sent_to is None or sent_to.person_id != participant.person_id:
        return "poll.stale"
    return "cohort.left"


# The same, asked by the address someone writes from, with the person it belongs to: one query
# for every update (the person is the table's, whatever a worker remembers: `core.linking`).
_FIND_AT = (
    select(Contact.person_id, Participant)
    .select_from(Contact)
    .outerjoin(Participant, Participant.person_id == Contact.person_id)
    .options(joinedload(Participant.cohort))
    .where(Contact.channel == bindparam("channel"), Contact.external_id == bindparam("external_id"))
    .order_by(Participant.joined_at.desc(), Participant.id.desc())
    .limit(1)
)


async def membership_at(
    session: AsyncSession, where: Address
) -> tuple[int | None, Participant | None]:
    """The person who has the contact `where` (None: nobody Aksi has heard from there) and
    their current membership (`find_participant`)."""
    found = (
        await session.execute(
            _FIND_AT, {"channel": where.channel, "external_id": where.external_id}
        )
    ).first()
    if found is None:
        return None, None
    return int(found[0]), found[1]


async def join_cohort(
    session: AsyncSession, person: Writer, code: str, now: datetime | None = None
) -> JoinResult | None:
    """Join the cohort with this code; None when no cohort has it. Joining twice changes nothing."""
    if not looks_like_code(code):
        return None
    cohort = await find_cohort(session, code)
    if cohort is None:
        return None
    result = await session.execute(
        select(Participant).where(
            Participant.cohort_id == cohort.id, Participant.person_id == person.person_id
        )
    )
    existing = result.scalar_one_or_none()
    if existing is not None:
        return JoinResult(existing, cohort, already_member=True)
    previous = await find_participant(session, person.person_id)
    participant = Participant(
        cohort=cohort,
        joined_at=now or utcnow(),
        person_id=person.person_id,
        first_name=person.first_name[:128],
        # Carry over what the person already told the bot in an earlier cohort.
        full_name=previous.full_name if previous else None,
        unit=previous.unit if previous else None,
        # The Telegram app's language, when Aksi speaks it, until the person chooses.
        language=previous.language if previous else client_language(person.language_code),
        timezone=previous.timezone if previous else None,
        awaiting=None if previous and previous.full_name else Waiting(Ask.FULL_NAME).encode(),
    )
    session.add(participant)
    await session.flush()
    return JoinResult(participant, cohort, already_member=False)


def rejoin(participant: Participant, now: datetime, current: Participant | None) -> None:
    """Someone goes back to a cohort they had moved away from: it is their current membership
    again (the most recently joined: after `current`, even on a clock standing still), with its
    reminders."""
    latest = current.joined_at + timedelta(milliseconds=1) if current is not None else now
    participant.joined_at = max(now, latest)
    participant.reminders_paused = False


def clean_profile_text(text: str, limit: int, what: str) -> str:
    """Trim and check a typed name or unit; raise InvalidInput naming the limit."""
    value = " ".join(unicodedata.normalize("NFC", text).split())
    if len(value) > limit:
        raise TooLong("full_name" if what == "name" else "work_unit", limit, len(value))
    if len(value) < 2 or not re.search(r"[^\W\d_]", value):
        raise InvalidInput(f"not_a_{what}")
    if what == "name" and re.search(r"[<>@#/\\{}\[\]|=+*^$%&~`]|\d{3,}", value):
        raise InvalidInput("not_a_name")
    return value


# What a name may keep of a Telegram display name: letters, accents, spaces and the
# punctuation of names and titles ("Dr. Siti Aminah, M.Si.", "Ni Luh Putu", "O'Neil").
_NAME_PUNCTUATION = frozenset(" .,'’-")


def name_from_telegram(display_name: str) -> str | None:
    """The Telegram display name as a name the profile accepts: emoji, digits and symbols
    left out ("Budi 🙂" → "Budi", "<Sari>" → "Sari"); None when no acceptable name is left."""
    kept = "".join(
        ch if ch in _NAME_PUNCTUATION or unicodedata.category(ch)[0] in "LM" else " "
        for ch in unicodedata.normalize("NFC", display_name)
    )
    name = " ".join(kept.split()).lstrip(".,'’-").rstrip(",'’-")[:NAME_MAX].strip()
    try:
        return clean_profile_text(name, NAME_MAX, "name")
    except InvalidInput:
        return None


def set_profile(participant: Participant, field: str, text: str | None) -> None:
    """Save the typed answer (None: skip) for `field` and move to the next onboarding question
    (none after an edit from /pengaturan)."""
    if field == ASK_FULL_NAME:
        if text is not None:
            participant.full_name = clean_profile_text(text, NAME_MAX, "name")
        # After the name, the onboarding asks for the unit unless it is known already.
        onboarding = conversation.is_open(participant, Ask.FULL_NAME)
        conversation.clear(participant)
        if onboarding and not participant.unit:
            conversation.ask(participant, Ask.UNIT)
    elif field == ASK_UNIT:
        if text is not None:
            participant.unit = clean_profile_text(text, UNIT_MAX, "unit")
        conversation.clear(participant)
    else:
        raise InvalidInput(f"unknown profile field {field!r}")


def set_language(participant: Participant, language: str) -> None:
    if language not in SUPPORTED_LANGUAGES:
        raise InvalidInput(f"unknown language {language!r}")
    participant.language = language


def set_timezone(participant: Participant, timezone: str) -> None:
    try:
        participant.timezone = check_timezone(timezone)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def effective_timezone(participant: Participant) -> str:
    return participant.timezone or participant.cohort.timezone


def client_language(code: str | None) -> str | None:
    code = (code or "").lower()
    if code.startswith("en"):
        return "en"
    if code.startswith("id"):
        return "id"
    return None


def language_for(participant: Participant | None, client_code: str | None, default: str) -> str:
    """The participant's choice, else the Telegram client's language if supported, else default."""
    if participant is not None and participant.language:
        return participant.language
    return client_language(client_code) or default


async def cohort_members(session: AsyncSession, cohort_id: int) -> list[Participant]:
    """A cohort's participants by name, their cohort loaded (for the cohort's bundle)."""
    found = await session.scalars(
        select(Participant)
        .where(Participant.cohort_id == cohort_id)
        .order_by(Participant.full_name, Participant.first_name, Participant.id)
        .options(selectinload(Participant.cohort))
    )
    return list(found)
