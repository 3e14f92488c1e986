"""One person on several channels (issue 15, item 2): someone who uses Aksi on Telegram and on
WhatsApp ties the second contact to the person they are with a one-time code. `/tautkan`
(`/link`) on the first gives the code; `TAUTKAN <code>` sent from the second moves that contact
to them — their memberships, plan and check-ins are the person's, so they are the same on
both, and reminders go where they wrote last (`core.contacts.reach`).

A person keeps the identity they have: a contact whose own person already has something of its
own (a membership, a cohort role, mentees) is not moved — that is for the organisers. A code is
kept as its SHA-256 only, is valid LIFETIME, works once, and a new one replaces the last."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import Address
from core.contacts import contact_at
from storage.mentoring import Mentorship
from storage.messaging import LinkCode
from storage.models import Participant, Staff

LIFETIME = timedelta(minutes=15)
# No 0/O, 1/I/L: read off one phone and typed into another.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8


class Linked(Enum):
    LINKED = "linked"
    ALREADY = "already"  # the contact was theirs already
    UNKNOWN = "unknown"  # no such code, used, or expired
    HAS_OWN = "has_own"  # the contact's person has a life of its own here


@dataclass(frozen=True)
class Link:
    result: Linked
    person_id: int | None = None  # whose the contact is now (LINKED, ALREADY)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise(typed: str) -> str:
    """A code as typed (spaces, dashes, lower case) as issued."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


async def issue(session: AsyncSession, person_id: int, now: datetime) -> str:
    """A new code for `person_id` (their earlier ones no longer work)."""
    await session.execute(delete(LinkCode).where(LinkCode.person_id == person_id))
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    session.add(
        LinkCode(person_id=person_id, code_hash=_hash(code), created_at=now,
                 expires_at=now + LIFETIME)
    )  # fmt: skip
    await session.flush()
    return code


async def has_own(session: AsyncSession, person_id: int) -> bool:
    """Whether the person has anything of their own: a membership, a cohort role, mentees."""
    return bool(
        await session.scalar(
            select(
                or_(
                    exists().where(Participant.person_id == person_id),
                    exists().where(Staff.person_id == person_id),
                    exists().where(Mentorship.mentor_person_id == person_id),
                )
            )
        )
    )


async def redeem(session: AsyncSession, where: Address, typed: str, now: datetime) -> Link:
    """`TAUTKAN <code>` from `where`: its contact moved to the code's person."""
    code = normalise(typed)
    if len(code) != LENGTH:
        return Link(Linked.UNKNOWN)
    found = await session.scalar(
        select(LinkCode).where(LinkCode.code_hash == _hash(code)).with_for_update()
    )
    if found is None or found.used_at is not None or found.expires_at <= now:
        return Link(Linked.UNKNOWN)
    contact = await contact_at(session, where)
    if contact is None:  # arrival makes it before any feature runs
        return Link(Linked.UNKNOWN)
    if contact.person_id == found.person_id:
        return Link(Linked.ALREADY, found.person_id)
    if await has_own(session, contact.person_id):
        return Link(Linked.HAS_OWN)
    found.used_at = now
    contact.person_id = found.person_id
    contact.unreachable_at = None
    await session.flush()
    return Link(Linked.LINKED, found.person_id)
