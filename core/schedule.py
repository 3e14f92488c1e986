"""What a participant sees of the cohort's schedule and materials, as plain data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.timefmt import local
from storage.models import Material, Session

UPCOMING_LIMIT = 5


class SessionState(Enum):
    DONE = "done"
    LIVE = "live"
    TODAY = "today"
    LATER = "later"


@dataclass(frozen=True)
class SessionView:
    session: Session
    day: date  # the local date the session starts on, in the reader's zone
    state: SessionState


@dataclass(frozen=True)
class ScheduleView:
    sessions: list[SessionView]
    total: int  # how many sessions the cohort has in all
    remaining: int  # how many have not ended yet


def session_state(s: Session, now: datetime, tz: str) -> SessionState:
    if s.ends_at <= now:
        return SessionState.DONE
    if s.starts_at <= now:
        return SessionState.LIVE
    if local(s.starts_at, tz).date() == local(now, tz).date():
        return SessionState.TODAY
    return SessionState.LATER


async def schedule_view(
    session: AsyncSession, cohort_id: int, now: datetime, tz: str, *, everything: bool
) -> ScheduleView:
    """The next sessions (those not yet ended), or every session when asked."""
    result = await session.execute(
        select(Session).where(Session.cohort_id == cohort_id).order_by(Session.starts_at)
    )
    all_sessions: Sequence[Session] = result.scalars().all()
    remaining = [s for s in all_sessions if s.ends_at > now]
    chosen = list(all_sessions) if everything else remaining[:UPCOMING_LIMIT]
    views = [
        SessionView(s, local(s.starts_at, tz).date(), session_state(s, now, tz)) for s in chosen
    ]
    return ScheduleView(views, total=len(all_sessions), remaining=len(remaining))


async def materials_by_module(
    session: AsyncSession, cohort_id: int
) -> list[tuple[str, list[Material]]]:
    """Materials grouped by module, in the order of the imported file."""
    result = await session.execute(
        select(Material)
        .where(Material.cohort_id == cohort_id)
        .order_by(Material.position, Material.id)
    )
    groups: dict[str, list[Material]] = {}
    for material in result.scalars():
        groups.setdefault(material.module, []).append(material)
    return list(groups.items())
