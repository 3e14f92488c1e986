"""What became of the messages Aksi sent, as a channel reports it later (WhatsApp posts a
status for each: sent, delivered to the phone, read, or failed with its error). One row per
message keeps the furthest status: a "delivered" that arrives after the "read" changes nothing,
a failure overrides all. Announcement reports count them (`of_announcement`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.messaging import Receipt
from storage.models import OutboxMessage

# Each status and those it goes beyond.
ORDER = ("sent", "delivered", "read", "failed")
# How long a status is kept: a cohort and a while after it (older reports lose these counts).
KEPT = timedelta(days=120)


@dataclass(frozen=True)
class Reported:
    message_id: str
    status: str
    at: datetime
    error: str | None = None


async def record(session: AsyncSession, channel: str, reports: Sequence[Reported]) -> int:
    """Keep what `channel` reported of its messages, each message's furthest status; how many
    reports changed something (an unknown status or an id too long is left out)."""
    changed = 0
    insert = dialect_insert(session)
    for report in reports:
        if report.status not in ORDER or not 0 < len(report.message_id) <= 128:
            continue
        error = report.error[:200] if report.error else None
        values = {"status": report.status, "at": report.at, "error": error}
        added = await session.execute(
            insert(Receipt)
            .values(channel=channel, message_id=report.message_id, **values)
            .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        )
        if getattr(added, "rowcount", 0):
            changed += 1
            continue
        behind = ORDER[: ORDER.index(report.status)]
        moved = await session.execute(
            update(Receipt)
            .where(
                Receipt.channel == channel,
                Receipt.message_id == report.message_id,
                Receipt.status.in_(behind),
            )
            .values(values)
        )
        changed += int(getattr(moved, "rowcount", 0) or 0)
    return changed


async def forget_old(session: AsyncSession, now: datetime) -> int:
    """Drop the statuses older than KEPT; how many went."""
    result = await session.execute(delete(Receipt).where(Receipt.at < now - KEPT))
    return int(getattr(result, "rowcount", 0) or 0)


async def of_announcement(session: AsyncSession, announcement_id: int) -> Counter[str]:
    """How many of an announcement's messages were last reported at each status."""
    rows = await session.execute(
        select(Receipt.status, func.count())
        .join(OutboxMessage, OutboxMessage.external_id == Receipt.message_id)
        .where(OutboxMessage.announcement_id == announcement_id)
        .group_by(Receipt.status)
    )
    return Counter({str(status): int(n) for status, n in rows.all()})
