"""People and their contacts: who wrote, from which channel, and where a job reaches them.

A person (`storage.models.Person`) is who Aksi knows — their memberships, roles and questions
refer to the person; a contact is one channel's id for them. Someone is answered where they
wrote from; a job (a reminder, a digest, an announcement) reaches them on their reachable
contact they wrote from most recently (`reach`, `reach_of`). A contact the channel calls
unreachable (the bot blocked, the number gone) is skipped until they write from it again."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Exists, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.channel import TELEGRAM, Address, Sender
from storage.models import Contact, Person

# How stale a contact's `last_inbound_at` may get before a message writes it again: one write
# per person every few minutes, not one per message.
TOUCH_EVERY = timedelta(minutes=5)
# Channels whose ids are Telegram user ids (the in-memory channel of the tests mirrors them):
# `AKSI_ADMIN_IDS` names admins by these.
TELEGRAM_IDS = (TELEGRAM, "memory")


def numeric_id(external_id: str) -> int | None:
    """A channel's id as a number (a Telegram user or chat id), None when it is not one."""
    return int(external_id) if external_id.lstrip("-").isdigit() else None


def is_admin(address: Address, admin_ids: Iterable[int]) -> bool:
    """Whether `address` belongs to an admin of the settings (Telegram user ids)."""
    number = numeric_id(address.external_id)
    return address.channel in TELEGRAM_IDS and number is not None and number in set(admin_ids)


PersonColumn = InstrumentedAttribute[int] | ColumnElement[int] | int


def reach(person_id: PersonColumn) -> ColumnElement[int]:
    """The id of the contact a job reaches `person_id` on (None: no reachable contact, or they
    asked for no more messages), to be joined in a query:
    `join(Contact, Contact.id == reach(Participant.person_id))`."""
    return (
        select(Contact.id)
        .where(
            Contact.person_id == person_id,
            Contact.unreachable_at.is_(None),
            Contact.opted_out_at.is_(None),
        )
        .order_by(Contact.last_inbound_at.desc(), Contact.id.desc())
        .limit(1)
        .correlate_except(Contact)
        .scalar_subquery()
    )


def reachable(person_id: PersonColumn) -> Exists:
    """Whether any contact of `person_id` is reachable (a filter): the channel has not said it
    cannot be, and they have not asked for no more messages."""
    return exists().where(
        Contact.person_id == person_id,
        Contact.unreachable_at.is_(None),
        Contact.opted_out_at.is_(None),
    )


async def is_reachable(session: AsyncSession, person_id: int) -> bool:
    return bool(await session.scalar(reachable(person_id).select()))


def address(contact: Contact) -> Address:
    return Address(contact.channel, contact.external_id)


async def find_person(session: AsyncSession, where: Address) -> int | None:
    """The person who has the contact `where`; None: nobody Aksi has heard from there."""
    found = await session.scalar(
        select(Contact.person_id).where(
            Contact.channel == where.channel, Contact.external_id == where.external_id
        )
    )
    return int(found) if found is not None else None


async def contact_at(session: AsyncSession, where: Address) -> Contact | None:
    return await session.scalar(
        select(Contact).where(
            Contact.channel == where.channel, Contact.external_id == where.external_id
        )
    )


async def last_inbound(session: AsyncSession, where: Address) -> datetime | None:
    """When they last wrote from `where` (None: no such contact)."""
    return await session.scalar(
        select(Contact.last_inbound_at).where(
            Contact.channel == where.channel, Contact.external_id == where.external_id
        )
    )


async def person_for(
    session: AsyncSession, where: Address, now: datetime, username: str | None = None
) -> Contact:
    """The contact `where`, made with a new person the first time (a facilitator named on the
    command line, someone writing for the first time)."""
    contact = await contact_at(session, where)
    if contact is None:
        person = Person(created_at=now)
        contact = Contact(
            person=person,
            channel=where.channel,
            external_id=where.external_id,
            username=username or None,
            last_inbound_at=now,
            created_at=now,
        )
        session.add(contact)
        await session.flush()
    return contact


@dataclass(frozen=True)
class Arrival:
    person_id: int
    came_back: bool  # the contact was unreachable until this message


async def arrive(session: AsyncSession, sender: Sender, now: datetime) -> Arrival:
    """`sender` wrote: their person (made the first time), the contact's last inbound time and
    handle brought up to date, and reachable again if it was not."""
    contact = await person_for(session, sender.address, now, sender.username)
    came_back = contact.unreachable_at is not None
    contact.unreachable_at = None
    contact.last_inbound_at = now
    contact.username = sender.username or None
    return Arrival(contact.person_id, came_back)


async def mark_unreachable(session: AsyncSession, where: Address, now: datetime) -> int | None:
    """The channel says `where` cannot be reached: the person's id when no contact reaches
    them any more (their reminders stop), else None."""
    contact = await contact_at(session, where)
    if contact is None:
        return None
    contact.unreachable_at = now
    await session.flush()
    return None if await is_reachable(session, contact.person_id) else contact.person_id


async def telegram_usernames(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's Telegram @username, where they have one (a roster's
    `telegram_username` column is matched against it)."""
    ids = set(person_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Contact.person_id, Contact.username)
        .where(
            Contact.person_id.in_(ids),
            Contact.channel.in_(TELEGRAM_IDS),
            Contact.username.is_not(None),
        )
        .order_by(Contact.last_inbound_at)
    )
    return {int(p): str(u) for p, u in rows}


async def telegram_ids(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, int]:
    """Each person's Telegram user id, where they have one."""
    found = await channel_ids(session, person_ids, TELEGRAM_IDS)
    numbers = ((p, numeric_id(e)) for p, e in found.items())
    return {p: n for p, n in numbers if n is not None}


async def channel_ids(
    session: AsyncSession, person_ids: Iterable[int], channels: Collection[str]
) -> dict[int, str]:
    """Each person's id on `channels` (their latest contact there), where they have one."""
    ids = set(person_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Contact.person_id, Contact.external_id)
        .where(Contact.person_id.in_(ids), Contact.channel.in_(channels))
        .order_by(Contact.last_inbound_at)
    )
    return {int(p): str(e) for p, e in rows}


LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class Arrivals:
    """Who wrote lately, in this process: the person of each recent address and when their
    contact was last written, so that a message costs a write only every `TOUCH_EVERY`. A
    contact moves to another person only when linked (`core.linking`): the worker that links
    forgets it, and any other puts it right as soon as it reads the writer's membership
    (`handlers.turn.Turn.identify`). A hint in front of the table."""

    def __init__(self, size: int = 50_000) -> None:
        self._seen: OrderedDict[Address, tuple[int, datetime]] = OrderedDict()
        self._size = size

    def person(self, where: Address) -> int | None:
        found = self._seen.get(where)
        return found[0] if found is not None else None

    def fresh(self, where: Address, now: datetime) -> bool:
        found = self._seen.get(where)
        return found is not None and timedelta(0) <= now - found[1] < TOUCH_EVERY

    def note(self, where: Address, person_id: int, now: datetime) -> None:
        self._seen[where] = (person_id, now)
        self._seen.move_to_end(where)
        while len(self._seen) > self._size:
            self._seen.popitem(last=False)

    def forget(self, where: Address) -> None:
        self._seen.pop(where, None)

    def correct(self, where: Address, person_id: int) -> None:
        """The table says `where` is `person_id`'s now (another worker linked it elsewhere):
        remembered so, the time it was last written kept."""
        found = self._seen.get(where)
        self.note(where, person_id, found[1] if found is not None else LONG_AGO)


async def unreachable_people(session: AsyncSession, person_ids: Iterable[int]) -> set[int]:
    """Those of `person_ids` no contact reaches (they blocked the bot everywhere)."""
    ids = set(person_ids)
    if not ids:
        return set()
    reached = await session.scalars(
        select(Contact.person_id)
        .where(Contact.person_id.in_(ids), Contact.unreachable_at.is_(None))
        .distinct()
    )
    return ids - {int(p) for p in reached}


@dataclass(frozen=True)
class Reach:
    contact_id: int
    address: Address
    reachable: bool
    last_inbound: datetime | None = None  # when they last wrote from it


async def reach_of(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, Reach]:
    """Where a job reaches each person: their reachable contact written from most recently,
    else (`reachable` False) the contact they were last reached on."""
    ids = set(person_ids)
    if not ids:
        return {}
    rows = await session.scalars(
        select(Contact)
        .where(Contact.person_id.in_(ids))
        .order_by(
            and_(Contact.unreachable_at.is_(None), Contact.opted_out_at.is_(None)),
            Contact.last_inbound_at,
            Contact.id,
        )  # the best last
    )
    found: dict[int, Reach] = {}
    for c in rows:
        ok = c.unreachable_at is None and c.opted_out_at is None
        found[c.person_id] = Reach(c.id, address(c), ok, c.last_inbound_at)
    return found


async def opt_out(session: AsyncSession, person_id: int, now: datetime) -> bool:
    """They asked for no more messages (BERHENTI, /berhenti): nothing unprompted reaches them
    on any contact — reminders, digests, announcements — until they opt in again; what they
    ask is still answered. False when they had already asked."""
    done = await session.execute(
        update(Contact)
        .where(Contact.person_id == person_id, Contact.opted_out_at.is_(None))
        .values(opted_out_at=now)
    )
    return bool(getattr(done, "rowcount", 0))


async def opt_in(session: AsyncSession, where: Address, now: datetime, words: str) -> bool:
    """An explicit opt-in from `where` (joining, MULAI): recorded with its time and words, and
    any earlier opt-out of the person lifted; True when they had opted out."""
    contact = await contact_at(session, where)
    if contact is None:
        return False
    contact.opted_in_at, contact.opt_in_text = now, " ".join(words.split())[:300] or None
    done = await session.execute(
        update(Contact)
        .where(Contact.person_id == contact.person_id, Contact.opted_out_at.is_not(None))
        .values(opted_out_at=None)
    )
    return bool(getattr(done, "rowcount", 0))
