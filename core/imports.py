"""CSV imports of schedule and materials: validate everything, then write all or nothing.

How a file is read row by row is `core.csv_reader`, and how its problems are told is
`core.import_problems` (the roster import uses both too); their names are importable from
here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.csv_reader import MAX_FILE_BYTES, MAX_ROWS, _Reader, decode_text, guess_delimiter
from core.import_problems import (
    MAX_PROBLEMS_SHOWN,
    PROBLEM_ENGLISH,
    Detail,
    ImportRefused,
    Problem,
    problem,
)
from core.reading import BadDate, BadTime, read_clock, read_iso_date
from storage.models import Cohort, Material, Session

__all__ = [
    "MATERIAL_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_PROBLEMS_SHOWN",
    "MAX_ROWS",
    "PROBLEM_ENGLISH",
    "SCHEDULE_COLUMNS",
    "SCHEDULE_REQUIRED",
    "Detail",
    "ImportRefused",
    "ImportSummary",
    "MaterialRow",
    "Problem",
    "SessionRow",
    "apply_materials",
    "apply_schedule",
    "decode_text",
    "guess_delimiter",
    "parse_materials",
    "parse_schedule",
    "problem",
]

SCHEDULE_COLUMNS = (
    "date",
    "start",
    "end",
    "title",
    "speaker",
    "link",
    "attendance_before",  # the session's own attendance window (core.attendance), minutes
    "attendance_after",
)
WINDOW_MAX = 240  # minutes an attendance window may reach before or after a start
SCHEDULE_REQUIRED = ("date", "start", "end", "title")
MATERIAL_COLUMNS = ("module", "title", "url")


@dataclass(frozen=True)
class SessionRow:
    line: int
    starts_at: datetime
    ends_at: datetime
    title: str
    speaker: str | None
    link: str | None
    attendance_before: int | None = None  # None: the cohort's window
    attendance_after: int | None = None


@dataclass(frozen=True)
class MaterialRow:
    line: int
    module: str
    title: str
    url: str


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    # Not in the file but kept although replacing: sessions already past (see apply_schedule).
    kept_past: int = 0
    # What replacing removes (or would remove): (start, title) of sessions, (None, title) of
    # materials, in order.
    removed_items: list[tuple[datetime | None, str]] = field(default_factory=list)
    kept_items: list[tuple[datetime | None, str]] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )
        if self.kept_past:
            text += f", {self.kept_past} kept (already past; --include-past removes them)"
        return text

    @property
    def counts(self) -> list[int]:
        """What a confirmation compares: the same counts mean the same change."""
        return [self.added, self.updated, self.unchanged, self.removed, self.kept_past]


def _parse_date(line: int, value: str, problems: list[Problem]) -> date | None:
    """YYYY-MM-DD; a date that does not exist (2021-02-30) is named as such, apart from one
    written another way."""
    try:
        return read_iso_date(value, strict=True)
    except BadDate as exc:
        if exc.reason == "no_such_day":
            problems.append(problem(line, "impossible_date", value=value, last=exc.last_day))
        elif exc.reason == "no_such_month":
            problems.append(problem(line, "impossible_month", value=value))
        else:
            problems.append(problem(line, "bad_date", value=value))
        return None


def _parse_time(line: int, name: str, value: str, problems: list[Problem]) -> time | None:
    try:
        return read_clock(value)
    except BadTime as exc:
        key = "impossible_time" if exc.impossible else "bad_time"
        problems.append(problem(line, key, name=name, value=value))
        return None


def _minutes(reader: _Reader[SessionRow], line: int, row: dict[str, str], name: str) -> int | None:
    """An optional number of minutes, 0 to WINDOW_MAX (an attendance window's side)."""
    raw = reader.optional(line, row, name, 8)
    if raw is None or not raw.strip():
        return None
    if raw.strip().isascii() and raw.strip().isdigit() and int(raw) <= WINDOW_MAX:
        return int(raw)
    reader.problems.append(problem(line, "bad_minutes", name=name, value=raw, limit=WINDOW_MAX))
    return None


def parse_schedule(data: bytes, cohort: Cohort) -> list[SessionRow]:
    """Validate a schedule CSV (`date,start,end,title,speaker,link`) in the cohort's zone."""
    reader: _Reader[SessionRow] = _Reader(SCHEDULE_COLUMNS, SCHEDULE_REQUIRED)
    zone = ZoneInfo(cohort.timezone)
    rows: list[SessionRow] = []
    seen: dict[datetime, int] = {}
    for line, row in reader.rows(data):
        before = len(reader.problems)
        day = _parse_date(line, row["date"], reader.problems)
        if day is not None and not cohort.starts_on <= day <= cohort.ends_on:
            reader.problems.append(
                problem(
                    line, "outside_period", day=day, starts=cohort.starts_on, ends=cohort.ends_on
                )
            )
        start = _parse_time(line, "start", row["start"], reader.problems)
        end = _parse_time(line, "end", row["end"], reader.problems)
        if start is not None and end is not None and end <= start:
            reader.problems.append(
                problem(line, "end_not_after_start", end=row["end"], start=row["start"])
            )
        title = reader.need(line, row, "title", 200)
        speaker = reader.optional(line, row, "speaker", 200)
        link = reader.url(line, "link", reader.optional(line, row, "link", 2048))
        window = [_minutes(reader, line, row, name) for name in SCHEDULE_COLUMNS[6:]]
        if len(reader.problems) > before or day is None or start is None or end is None:
            continue
        assert title is not None
        starts_at = datetime.combine(day, start, zone).astimezone(UTC)
        if starts_at in seen:
            reader.problems.append(
                problem(
                    line, "duplicate_session", day=day, start=row["start"], other=seen[starts_at]
                )
            )
            continue
        seen[starts_at] = line
        ends_at = datetime.combine(day, end, zone).astimezone(UTC)
        rows.append(SessionRow(line, starts_at, ends_at, title, speaker, link, *window))
    if reader.problems:
        raise ImportRefused(reader.problems)
    return rows


def parse_materials(data: bytes) -> list[MaterialRow]:
    """Validate a materials CSV (`module,title,url`)."""
    reader: _Reader[MaterialRow] = _Reader(MATERIAL_COLUMNS, MATERIAL_COLUMNS)
    rows: list[MaterialRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in reader.rows(data):
        before = len(reader.problems)
        module = reader.need(line, row, "module", 200)
        title = reader.need(line, row, "title", 200)
        url = reader.url(line, "url", reader.need(line, row, "url", 2048))
        if len(reader.problems) > before or module is None or title is None or url is None:
            continue
        key = (module, title)
        if key in seen:
            reader.problems.append(
                problem(line, "duplicate_material", title=title, module=module, other=seen[key])
            )
            continue
        seen[key] = line
        rows.append(MaterialRow(line, module, title, url))
    if reader.problems:
        raise ImportRefused(reader.problems)
    return rows


async def _apply(
    existing: dict[object, Any],
    incoming: dict[object, dict[str, object]],
    make: Callable[[dict[str, object]], object],
    session: AsyncSession,
    replace: bool,
    *,
    label: Callable[[Any], tuple[datetime | None, str]],
    keep: Callable[[Any], bool] = lambda _row: False,
    dry_run: bool = False,
) -> ImportSummary:
    """Add, update and (with `replace`) remove rows; `keep` spares rows replacing would remove;
    `dry_run` only counts (nothing is changed), for a preview."""
    summary = ImportSummary()
    for key, values in incoming.items():
        current = existing.pop(key, None)
        if current is None:
            if not dry_run:
                session.add(make(values))
            summary.added += 1
            continue
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        if not dry_run:
            for name in changed:
                setattr(current, name, values[name])
        summary.updated += bool(changed)
        summary.unchanged += not changed
    if replace:
        for stale in sorted(existing.values(), key=lambda row: _order(label(row))):
            if keep(stale):
                summary.kept_past += 1
                summary.kept_items.append(label(stale))
                continue
            if not dry_run:
                await session.delete(stale)
            summary.removed += 1
            summary.removed_items.append(label(stale))
    if not dry_run:
        await session.flush()
    return summary


def _order(item: tuple[datetime | None, str]) -> tuple[datetime, str]:
    return (item[0] or datetime.min.replace(tzinfo=UTC), item[1])


async def apply_schedule(
    session: AsyncSession,
    cohort: Cohort,
    rows: list[SessionRow],
    *,
    replace: bool = False,
    keep_past_before: datetime | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Add or update sessions matched by start time; with replace, drop those not in the file
    — except sessions that started before `keep_past_before` (already past) when it is given.
    `dry_run`: only count what would change."""
    result = await session.execute(select(Session).where(Session.cohort_id == cohort.id))
    existing: dict[object, Any] = {s.starts_at: s for s in result.scalars()}
    incoming: dict[object, dict[str, object]] = {
        r.starts_at: {
            "starts_at": r.starts_at,
            "ends_at": r.ends_at,
            "title": r.title,
            "speaker": r.speaker,
            "link": r.link,
            "attendance_before": r.attendance_before,
            "attendance_after": r.attendance_after,
        }
        for r in rows
    }
    return await _apply(
        existing,
        incoming,
        lambda v: Session(cohort_id=cohort.id, **v),
        session,
        replace,
        label=lambda s: (s.starts_at, s.title),
        keep=lambda s: keep_past_before is not None and s.starts_at < keep_past_before,
        dry_run=dry_run,
    )


async def apply_materials(
    session: AsyncSession,
    cohort: Cohort,
    rows: list[MaterialRow],
    *,
    replace: bool = False,
    dry_run: bool = False,
) -> ImportSummary:
    """Add or update materials matched by module and title; with replace, drop the others."""
    result = await session.execute(select(Material).where(Material.cohort_id == cohort.id))
    existing: dict[object, Any] = {(m.module, m.title): m for m in result.scalars()}
    incoming: dict[object, dict[str, object]] = {
        (r.module, r.title): {"module": r.module, "title": r.title, "url": r.url, "position": i}
        for i, r in enumerate(rows)
    }
    return await _apply(
        existing,
        incoming,
        lambda v: Material(cohort_id=cohort.id, **v),
        session,
        replace,
        label=lambda m: (None, f"{m.module} — {m.title}"),
        dry_run=dry_run,
    )
