"""Confirmations of destructive actions: asked once, valid for a few minutes, and only while
the person does nothing else.

A feature that is about to erase, replace, remove, stop or move something first stores what
it will do (`ask`) and shows it with yes / no buttons that carry the row's id and a random
nonce. The row is carried out only when the same person presses one of those buttons before
`CONFIRM_FOR` has passed and without having sent or pressed anything else in between: any
other update voids their open confirmations (`void_open`). Each row is taken once (`take`),
so a double tap or an old message's button can never run the action twice."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Confirmation

CONFIRM_FOR = timedelta(minutes=5)
KEEP_FOR = timedelta(days=1)  # answered, voided or expired rows are kept this long, then dropped
CHOICES = ("yes", "no", "alt")  # alt: a second way to say yes (e.g. "also the past sessions")
_NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8}$")


class State(StrEnum):
    OPEN = "open"  # still valid: carry it out (or cancel it)
    EXPIRED = "expired"  # older than CONFIRM_FOR
    VOIDED = "voided"  # the person did something else after it was asked
    GONE = "gone"  # unknown, already answered, or not this person's


@dataclass(frozen=True)
class Taken:
    """The outcome of a press: the state, and the action with its data when the row exists."""

    state: State
    action: str = ""
    payload: dict[str, Any] | None = None
    language: str = ""

    @property
    def data(self) -> dict[str, Any]:
        return self.payload or {}


@dataclass(frozen=True)
class Ref:
    """What a confirmation button carries: the row's id and its nonce."""

    id: int
    nonce: str

    def encode(self) -> str:
        return f"{self.id}.{self.nonce}"

    @classmethod
    def decode(cls, text: str) -> Ref | None:
        ident, _, nonce = text.partition(".")
        if not re.fullmatch(r"[1-9][0-9]{0,11}", ident) or not _NONCE_RE.match(nonce):
            return None
        return cls(int(ident), nonce)


async def ask(
    session: AsyncSession,
    person_id: int,
    action: str,
    payload: dict[str, Any],
    language: str,
    now: datetime,
) -> Ref:
    """Store a new question for `person_id` (voiding any they had open) and return what its
    buttons carry. Rows older than `KEEP_FOR` are dropped on the way."""
    await void_open(session, person_id, now)
    await session.execute(delete(Confirmation).where(Confirmation.created_at < now - KEEP_FOR))
    row = Confirmation(
        person_id=person_id,
        action=action,
        nonce=secrets.token_urlsafe(6)[:8],
        payload=json.dumps(payload, separators=(",", ":"), sort_keys=True),
        language=language,
        created_at=now,
        expires_at=now + CONFIRM_FOR,
    )
    session.add(row)
    await session.flush()
    return Ref(row.id, row.nonce)


# Asked on every update: built once.
_HAS_OPEN = (
    select(Confirmation.id)
    .where(Confirmation.person_id == bindparam("person_id"), Confirmation.voided_at.is_(None))
    .limit(1)
)


async def has_open(session: AsyncSession, person_id: int) -> bool:
    """Whether `person_id` has a question not yet answered or voided (a cheap indexed read)."""
    return (await session.scalar(_HAS_OPEN, {"person_id": person_id})) is not None


async def people_asked(session: AsyncSession) -> set[int]:
    """Everyone with a question not yet answered or voided."""
    found = await session.scalars(
        select(Confirmation.person_id).where(Confirmation.voided_at.is_(None)).distinct()
    )
    return set(found)


async def void_open(session: AsyncSession, person_id: int, now: datetime) -> int:
    """The person did something else: their open questions can no longer be answered."""
    result = await session.execute(
        update(Confirmation)
        .where(Confirmation.person_id == person_id, Confirmation.voided_at.is_(None))
        .values(voided_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def take(session: AsyncSession, person_id: int, ref: Ref, now: datetime) -> Taken:
    """Answer the question `ref` for `person_id`, once: the row is removed whatever its state,
    and only an `OPEN` one may be carried out."""
    row = await session.get(Confirmation, ref.id)
    if (
        row is None
        or row.person_id != person_id
        or not secrets.compare_digest(row.nonce, ref.nonce)
    ):
        return Taken(State.GONE)
    await session.delete(row)
    await session.flush()
    if row.voided_at is not None:
        state = State.VOIDED
    elif now >= row.expires_at:
        state = State.EXPIRED
    else:
        state = State.OPEN
    return Taken(state, row.action, json.loads(row.payload), row.language)
