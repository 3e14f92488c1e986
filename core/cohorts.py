"""Cohorts: create, list and find by code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ScalarSelect

from core.channel import TELEGRAM
from core.errors import InvalidInput, NotFound
from core.languages import check_timezone
from storage.models import Cohort, Material, Participant, Session

# A code travels in a deep link (`t.me/<bot>?start=CODE`): letters, digits, '_' and '-'.
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")


def normalise_code(code: str) -> str:
    return code.strip().upper()


def looks_like_code(text: str) -> bool:
    return bool(CODE_RE.match(text.strip()))


def example_day(cohort: Cohort, today: date) -> date:
    """A date to show in an example that must lie in the cohort's period: tomorrow, moved into
    the period when it falls outside."""
    return min(max(today + timedelta(days=1), cohort.starts_on), cohort.ends_on)


# The channels a cohort can be joined on (`Cohort.channels`).
JOINABLE = (TELEGRAM, "whatsapp")


def parse_channels(spec: str) -> str:
    """`telegram,whatsapp` as stored, in a fixed order; InvalidInput naming a bad one."""
    named = {c.strip().lower() for c in spec.split(",") if c.strip()}
    unknown = sorted(named - set(JOINABLE))
    if unknown:
        raise InvalidInput(f"unknown channel {unknown[0]!r} (channels: {', '.join(JOINABLE)})")
    if not named:
        raise InvalidInput(f"name at least one channel ({', '.join(JOINABLE)})")
    return ",".join(c for c in JOINABLE if c in named)


def offered_on(cohort: Cohort) -> tuple[str, ...]:
    return tuple(cohort.channels.split(",")) if cohort.channels else JOINABLE


def offers(cohort: Cohort, channel: str) -> bool:
    """Whether people may join `cohort` from `channel` (the tests' and the local chat's
    in-memory channel stands for Telegram)."""
    return (TELEGRAM if channel == "memory" else channel) in offered_on(cohort)


async def create_cohort(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    timezone: str,
    starts: date,
    ends: date,
    channels: str | None = None,
) -> Cohort:
    """Add a cohort (joined on `channels`, "telegram,whatsapp"; None: any); refuses a bad code,
    zone, date range or channel, or a code already taken."""
    code = normalise_code(code)
    if not CODE_RE.match(code):
        raise InvalidInput(
            f"cohort code {code!r} must be 2-32 letters, digits, '_' or '-' (it goes in a link)"
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("cohort name must be 1-200 characters")
    try:
        check_timezone(timezone)
    except ValueError as exc:
        raise InvalidInput(f"timezone: {exc}") from None
    if ends < starts:
        raise InvalidInput(f"the cohort ends ({ends}) before it starts ({starts})")
    if await find_cohort(session, code) is not None:
        raise InvalidInput(f"cohort {code} exists already")
    joined_on = parse_channels(channels) if channels is not None else None
    cohort = Cohort(
        code=code, name=name, timezone=timezone, starts_on=starts, ends_on=ends, channels=joined_on
    )
    session.add(cohort)
    await session.flush()
    return cohort


async def find_cohort(session: AsyncSession, code: str) -> Cohort | None:
    result = await session.execute(select(Cohort).where(Cohort.code == normalise_code(code)))
    return result.scalar_one_or_none()


async def get_cohort(session: AsyncSession, code: str) -> Cohort:
    cohort = await find_cohort(session, code)
    if cohort is None:
        raise NotFound(f"no cohort with code {normalise_code(code)!r} (see `aksi cohort list`)")
    return cohort


@dataclass(frozen=True)
class CohortSummary:
    cohort: Cohort
    participants: int
    sessions: int
    materials: int


async def list_cohorts(session: AsyncSession) -> list[CohortSummary]:
    def count(model: type[Participant] | type[Session] | type[Material]) -> ScalarSelect[int]:
        return (
            select(func.count())
            .select_from(model)
            .where(model.cohort_id == Cohort.id)
            .scalar_subquery()
        )

    rows = await session.execute(
        select(Cohort, count(Participant), count(Session), count(Material)).order_by(
            Cohort.starts_on, Cohort.code
        )
    )
    return [CohortSummary(c, int(p), int(s), int(m)) for c, p, s, m in rows]
