"""CSV imports of schedule and materials: validate everything, then write all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AksiError
from core.reading import BadDate, BadTime, read_clock, read_iso_date
from storage.models import Cohort, Material, Session

SCHEDULE_COLUMNS = ("date", "start", "end", "title", "speaker", "link")
SCHEDULE_REQUIRED = ("date", "start", "end", "title")
MATERIAL_COLUMNS = ("module", "title", "url")
MAX_ROWS = 2000
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 20


# The English of each problem, for the CLI and logs. The chat shows the same problems from the
# catalogs (`upload.problem.<key>`, Indonesian and English), so keep both in step. A problem
# that counts something has two forms, for a `count` of one and for any other number.
PROBLEM_ENGLISH: dict[str, str | tuple[str, str]] = {
    "file_too_large": "the file is larger than {limit} bytes",
    "not_utf8": "the file is not UTF-8 text (save it as 'CSV UTF-8')",
    "empty": "the file is empty",
    "unreadable_header": "unreadable CSV header ({error})",
    "missing_column": "missing column {columns}",
    "unknown_column": "unknown column {columns}",
    "duplicate_column": "a column appears twice",
    "expected_header": "(expected header: {expected})",
    "too_many_rows": "more than {limit} rows",
    "field_count": (
        "{count} field where the header has {expected}",
        "{count} fields where the header has {expected}",
    ),
    "unreadable": "unreadable CSV ({error})",
    "no_rows": "the file has a header but no rows",
    "empty_field": "{name} is empty",
    "too_long": "{name} is longer than {limit} characters",
    "not_link": "{name} {value!r} is not an http(s) link",
    "bad_date": "date {value!r} is not YYYY-MM-DD",
    "impossible_date": "{value} is not a date that exists (that month has {last} days)",
    "impossible_month": "{value} is not a date that exists (months run from 01 to 12)",
    "outside_period": "date {day} is outside the cohort's period {starts} to {ends}",
    "bad_time": "{name} {value!r} is not HH:MM",
    "impossible_time": "{name} {value} is not a time that exists (00:00 to 23:59)",
    "end_not_after_start": "end {end} is not after start {start}",
    "duplicate_session": "a session at {day} {start} is already on line {other}",
    "duplicate_material": "{title!r} in {module!r} is already on line {other}",
    "session_shape": "write the session as: YYYY-MM-DD HH:MM-HH:MM title | speaker | link",
}


@dataclass(frozen=True)
class Detail:
    """One translatable part of a problem: its catalog key (`upload.problem.<key>`) and values."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict, hash=False)

    def english(self) -> str:
        template = PROBLEM_ENGLISH[self.key]
        if isinstance(template, tuple):
            template = template[0] if self.values.get("count") == 1 else template[1]
        return template.format(**self.values)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str  # English, as the CLI prints it
    details: tuple[Detail, ...] = ()  # the same for a catalog; empty: only the English exists

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def problem(line: int, key: str, /, **values: object) -> Problem:
    """A problem of one part, its English made from `PROBLEM_ENGLISH`."""
    detail = Detail(key, values)
    return Problem(line, detail.english(), (detail,))


class ImportRefused(AksiError):
    """The file was refused; nothing of it was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
        super().__init__("\n".join(shown))


@dataclass(frozen=True)
class SessionRow:
    line: int
    starts_at: datetime
    ends_at: datetime
    title: str
    speaker: str | None
    link: str | None


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


Row = TypeVar("Row")


@dataclass
class _Reader(Generic[Row]):
    """Reads a CSV file row by row, collecting every problem with its line number."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    problems: list[Problem] = field(default_factory=list)
    ignored: tuple[str, ...] = ()  # columns allowed in the file but not read

    def rows(self, data: bytes) -> Iterator[tuple[int, dict[str, str]]]:
        text = decode_text(data, self.problems)
        if text is None:
            return
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=guess_delimiter(text))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except csv.Error as exc:
            self.problems.append(problem(1, "unreadable_header", error=str(exc)))
            return
        missing = [c for c in self.required if c not in header]
        unknown = [h for h in header if h not in self.columns and h not in self.ignored]
        if missing or unknown or len(set(header)) != len(header):
            details = []
            if missing:
                details.append(Detail("missing_column", {"columns": ", ".join(missing)}))
            if unknown:
                columns = ", ".join(repr(u) for u in unknown)
                details.append(Detail("unknown_column", {"columns": columns}))
            if len(set(header)) != len(header):
                details.append(Detail("duplicate_column"))
            expected = Detail("expected_header", {"expected": ",".join(self.columns)})
            message = "; ".join(d.english() for d in details) + " " + expected.english()
            self.problems.append(Problem(1, message, (*details, expected)))
            return
        count = 0
        try:
            for raw in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in raw):
                    continue
                count += 1
                if count > MAX_ROWS:
                    self.problems.append(problem(line, "too_many_rows", limit=MAX_ROWS))
                    return
                if len(raw) != len(header):
                    self.problems.append(
                        problem(line, "field_count", count=len(raw), expected=len(header))
                    )
                    continue
                yield line, {name: cell.strip() for name, cell in zip(header, raw, strict=True)}
        except csv.Error as exc:
            self.problems.append(problem(reader.line_num, "unreadable", error=str(exc)))
        if count == 0 and not self.problems:
            self.problems.append(problem(0, "no_rows"))

    def need(self, line: int, row: dict[str, str], name: str, limit: int) -> str | None:
        value = row.get(name, "")
        if not value:
            self.problems.append(problem(line, "empty_field", name=name))
            return None
        if len(value) > limit:
            self.problems.append(problem(line, "too_long", name=name, limit=limit))
            return None
        return value

    def optional(self, line: int, row: dict[str, str], name: str, limit: int) -> str | None:
        value = row.get(name, "")
        if len(value) > limit:
            self.problems.append(problem(line, "too_long", name=name, limit=limit))
            return None
        return value or None

    def url(self, line: int, name: str, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            self.problems.append(problem(line, "not_link", name=name, value=value))
            return None
        if len(value) > 2048:
            self.problems.append(problem(line, "too_long", name=name, limit=2048))
            return None
        return value


def decode_text(data: bytes, problems: list[Problem]) -> str | None:
    """The file's text, or None with the reason added to `problems`."""
    if len(data) > MAX_FILE_BYTES:
        problems.append(problem(0, "file_too_large", limit=MAX_FILE_BYTES))
        return None
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        problems.append(problem(data[: exc.start].count(b"\n") + 1, "not_utf8"))
        return None
    if not text.strip():
        problems.append(problem(0, "empty"))
        return None
    return text


def guess_delimiter(text: str) -> str:
    # Excel with Indonesian regional settings separates fields with ';'.
    first_line = text.split("\n", 1)[0]
    return ";" if first_line.count(";") > first_line.count(",") else ","


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
        rows.append(SessionRow(line, starts_at, ends_at, title, speaker, link))
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
