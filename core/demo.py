"""The demo cohort of the local chat: the shipped example files, shifted to run this week."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from core.cohorts import find_cohort
from core.imports import apply_materials, apply_schedule, parse_materials, parse_schedule
from storage.models import Cohort

DEMO_DIR = Path(__file__).resolve().parent.parent / "bot" / "demo"
DEMO_CODE = "DEMO"
DEMO_NAME = "Pelatihan Revolusi Mental Angkatan I (demo)"
DEMO_TIMEZONE = "Asia/Makassar"
# The real cohort ran from Thursday 2 September to Monday 25 October 2021 in Bontang (WITA).
SOURCE_STARTS = date(2021, 9, 2)
SOURCE_ENDS = date(2021, 10, 25)


def demo_shift(today: date) -> timedelta:
    """Whole weeks (weekdays stay right) that put `today` in the cohort's second week."""
    source_monday = SOURCE_STARTS - timedelta(days=SOURCE_STARTS.weekday())
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - source_monday - timedelta(weeks=1)


async def ensure_demo_cohort(session: AsyncSession, today: date) -> Cohort:
    """Create or refresh the demo cohort so that its sessions surround `today`."""
    shift = demo_shift(today)
    source = Cohort(
        code=DEMO_CODE,
        name=DEMO_NAME,
        timezone=DEMO_TIMEZONE,
        starts_on=SOURCE_STARTS,
        ends_on=SOURCE_ENDS,
    )
    sessions = parse_schedule((DEMO_DIR / "schedule.csv").read_bytes(), source)
    materials = parse_materials((DEMO_DIR / "materials.csv").read_bytes())
    cohort = await find_cohort(session, DEMO_CODE)
    if cohort is None:
        cohort = source
        session.add(cohort)
    cohort.starts_on, cohort.ends_on = SOURCE_STARTS + shift, SOURCE_ENDS + shift
    await session.flush()
    shifted = [
        dataclasses.replace(s, starts_at=s.starts_at + shift, ends_at=s.ends_at + shift)
        for s in sessions
    ]
    await apply_schedule(session, cohort, shifted, replace=True)
    await apply_materials(session, cohort, materials, replace=True)
    return cohort
