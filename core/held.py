"""What a closed window kept from its reader. A message nobody asked for (a NOTICE: a question
to answer, a quiz's next question, a mentor's request, a result) that reached a person on a
channel with a service window (WhatsApp's 24 hours) only as its kind's template, without its
buttons, or not at all (no template configured), is kept for them (HELD_FOR, the newest
KEPT_PER_PERSON) and shown whole when they next write, wherever they write from
(`handlers.arrival`). The template says so ("reply to see the choices", the channel's words).

Not kept: reminders, session reminders, follow-ups and digests (a newer one comes in their
place), announcements (their outbox keeps them: `scheduler.outbox.claim_held`), and
attachments (no notice carries one)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import NOTICE, Action, NeedsTemplate, Outbound, SendResult, Sent
from core.contacts import is_reachable
from storage.messaging import HeldMessage

HELD_FOR = timedelta(days=3)
KEPT_PER_PERSON = 5
KEPT_KINDS = frozenset({NOTICE})


def worth_keeping(message: Outbound, result: SendResult) -> bool:
    """Whether `message`, sent with `result`, did not reach its reader whole and is kept:
    a notice with no template for it, or one whose template could not carry its buttons."""
    if message.kind not in KEPT_KINDS or message.attachment is not None or message.poll:
        return False
    if isinstance(result, NeedsTemplate):
        return True
    return isinstance(result, Sent) and result.template and bool(message.rows)


def _dump(message: Outbound) -> str:
    return json.dumps(
        {
            "text": message.text,
            "rows": [[[a.label, a.data] for a in row] for row in message.rows],
            "lang": message.lang,
            "kind": message.kind,
            "previews": message.link_previews,
        },
        ensure_ascii=False,
    )


def _load(body: str) -> Outbound | None:
    try:
        found = json.loads(body)
        rows = [[Action(str(label), str(data)) for label, data in row] for row in found["rows"]]
        return Outbound(
            str(found["text"]),
            rows,
            link_previews=bool(found["previews"]),
            lang=str(found["lang"]),
            kind=str(found["kind"]),
        )
    except (ValueError, KeyError, TypeError):
        return None  # written by an older release in another shape: not shown


async def keep(session: AsyncSession, person_id: int, message: Outbound, now: datetime) -> None:
    """Keep `message` for `person_id` until they next write (or HELD_FOR runs out); only the
    newest KEPT_PER_PERSON stay."""
    session.add(
        HeldMessage(
            person_id=person_id,
            kind=message.kind,
            body=_dump(message),
            created_at=now,
            expires_at=now + HELD_FOR,
        )
    )
    await session.flush()
    older = await session.scalars(
        select(HeldMessage.id)
        .where(HeldMessage.person_id == person_id)
        .order_by(HeldMessage.created_at.desc(), HeldMessage.id.desc())
        .offset(KEPT_PER_PERSON)
    )
    stale = list(older)
    if stale:
        await session.execute(delete(HeldMessage).where(HeldMessage.id.in_(stale)))


async def claim(session: AsyncSession, person_id: int, now: datetime) -> list[Outbound]:
    """What is kept for `person_id` and still current, oldest first, taken out (shown once:
    a caller whose send fails keeps it again); nothing while they have asked for nothing sent
    unasked (BERHENTI: it waits, until it runs out, for MULAI)."""
    if not await is_reachable(session, person_id):
        return []
    rows = list(
        await session.scalars(
            select(HeldMessage)
            .where(HeldMessage.person_id == person_id)
            .order_by(HeldMessage.created_at, HeldMessage.id)
            .with_for_update()
        )
    )
    if not rows:
        return []
    await session.execute(delete(HeldMessage).where(HeldMessage.id.in_([r.id for r in rows])))
    current = [_load(r.body) for r in rows if r.expires_at > now]
    return [m for m in current if m is not None]


async def forget_expired(session: AsyncSession, now: datetime) -> int:
    """Drop what nobody came back for in time; how many went."""
    result = await session.execute(delete(HeldMessage).where(HeldMessage.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
