"""The schedule and materials from the chat: a CSV file a facilitator sends, and one session typed
as a line. Same validation as the CLI (`core.imports`): everything is checked, then all or nothing
is written."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cohorts import normalise_code
from core.errors import AksiError
from core.imports import (
    MATERIAL_COLUMNS,
    SCHEDULE_COLUMNS,
    ImportRefused,
    ImportSummary,
    MaterialRow,
    Problem,
    SessionRow,
    apply_materials,
    apply_schedule,
    decode_text,
    guess_delimiter,
    parse_materials,
    parse_schedule,
    problem,
)
from storage.models import Cohort, Session

MAX_UPLOAD_BYTES = 1024 * 1024  # a schedule of 2,000 rows is about 200 kB
REPLACE_WORDS = frozenset({"ganti", "replace", "--replace"})
# Columns only one of the two files has: they tell which file it is.
_SCHEDULE_ONLY = frozenset(SCHEDULE_COLUMNS) - frozenset(MATERIAL_COLUMNS)
_MATERIALS_ONLY = frozenset(MATERIAL_COLUMNS) - frozenset(SCHEDULE_COLUMNS)
# "2021-09-09 09:00-11:00 Title | Speaker | https://..." (the times may also be joined by – or —)
_SESSION_LINE = re.compile(
    r"^(?P<date>\S+)\s+(?P<start>[^\s\-–—]+)\s*[-–—]\s*(?P<end>[^\s\-–—]+)\s+(?P<rest>\S.*)$"
)


class Kind(StrEnum):
    SCHEDULE = "schedule"
    MATERIALS = "materials"


class UnknownKind(AksiError):
    """The header row is neither the schedule's nor the materials'."""

    def __init__(self, header: str) -> None:
        self.header = header
        super().__init__(f"the header {header!r} is neither a schedule nor a materials file")


@dataclass(frozen=True)
class Upload:
    """A file that passed every check, ready to be applied."""

    kind: Kind
    sessions: list[SessionRow] = field(default_factory=list)
    materials: list[MaterialRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.sessions) + len(self.materials)


def looks_like_csv(file_name: str | None, mime_type: str | None) -> bool:
    """Loosely: a `.csv` name (whatever the MIME type a phone gave it), or any text/* type."""
    name = (file_name or "").strip().lower()
    mime = (mime_type or "").strip().lower()
    return name.endswith(".csv") or mime.startswith("text/")


def recognise(data: bytes) -> Kind:
    """Which file this is, from its header row. Raises ImportRefused when the file cannot be
    read as text at all, UnknownKind when the header is neither file's."""
    problems: list[Problem] = []
    text = decode_text(data, problems)
    if text is None:
        raise ImportRefused(problems)
    first_line = text.split("\n", 1)[0]
    try:
        header = next(csv.reader([first_line], delimiter=guess_delimiter(first_line)))
    except (csv.Error, StopIteration):
        header = []
    columns = {h.strip().lower() for h in header}
    schedule, materials = bool(columns & _SCHEDULE_ONLY), bool(columns & _MATERIALS_ONLY)
    if schedule == materials:
        raise UnknownKind(first_line.strip()[:100])
    return Kind.SCHEDULE if schedule else Kind.MATERIALS


def read_upload(data: bytes, cohort: Cohort) -> Upload:
    """Recognise and validate the whole file; raises ImportRefused (every problem) or
    UnknownKind. Nothing is written."""
    kind = recognise(data)
    if kind is Kind.SCHEDULE:
        return Upload(kind, sessions=parse_schedule(data, cohort))
    return Upload(kind, materials=parse_materials(data))


async def apply_upload(
    session: AsyncSession,
    cohort: Cohort,
    upload: Upload,
    *,
    replace: bool,
    keep_past_before: datetime | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Apply (or with `dry_run` only count) the file; replacing a schedule spares the sessions
    that started before `keep_past_before`."""
    if upload.kind is Kind.SCHEDULE:
        return await apply_schedule(
            session,
            cohort,
            upload.sessions,
            replace=replace,
            keep_past_before=keep_past_before,
            dry_run=dry_run,
        )
    return await apply_materials(
        session, cohort, upload.materials, replace=replace, dry_run=dry_run
    )


def upload_to_json(upload: Upload) -> dict[str, Any]:
    """The checked rows, to keep in a confirmation until the facilitator says yes."""
    if upload.kind is Kind.SCHEDULE:
        rows: list[dict[str, Any]] = [
            {
                "line": r.line,
                "starts_at": r.starts_at.isoformat(),
                "ends_at": r.ends_at.isoformat(),
                "title": r.title,
                "speaker": r.speaker,
                "link": r.link,
            }
            for r in upload.sessions
        ]
    else:
        rows = [
            {"line": r.line, "module": r.module, "title": r.title, "url": r.url}
            for r in upload.materials
        ]
    return {"kind": str(upload.kind), "rows": rows}


def upload_from_json(data: dict[str, Any]) -> Upload:
    """The inverse of `upload_to_json` (rows that were checked before they were kept)."""
    kind = Kind(data["kind"])
    if kind is Kind.SCHEDULE:
        sessions = [
            SessionRow(
                r["line"],
                datetime.fromisoformat(r["starts_at"]),
                datetime.fromisoformat(r["ends_at"]),
                r["title"],
                r["speaker"],
                r["link"],
            )
            for r in data["rows"]
        ]
        return Upload(kind, sessions=sessions)
    materials = [MaterialRow(r["line"], r["module"], r["title"], r["url"]) for r in data["rows"]]
    return Upload(kind, materials=materials)


@dataclass(frozen=True)
class Caption:
    """What a file's caption asks: replace or not, and the cohort codes it names."""

    replace: bool
    words: tuple[str, ...]  # everything else, as typed (at most 40 characters each)


def read_caption(caption: str | None) -> Caption:
    words = [w for w in re.split(r"[\s,;]+", caption or "") if w]
    replace = any(w.lower() in REPLACE_WORDS for w in words)
    others = tuple(dict.fromkeys(w[:40] for w in words if w.lower() not in REPLACE_WORDS))
    return Caption(replace, others)


class CohortChoice(StrEnum):
    """Why no cohort could be chosen for a file."""

    NONE_MANAGED = "none_managed"  # an admin before any cohort exists
    NOT_MANAGED = "not_managed"  # a word of the caption is not one of their cohorts' codes
    SEVERAL = "several"  # several cohorts and no code (or more than one code)


def choose_cohort(cohorts: list[Cohort], caption: Caption) -> Cohort | tuple[CohortChoice, str]:
    """The cohort a file is for: the one named in the caption, else the only one managed.
    Any other word in the caption is refused rather than guessed at, so a file never lands in
    a cohort that was not meant; the answer is the same whether or not such a cohort exists."""
    if not cohorts:
        return CohortChoice.NONE_MANAGED, ""
    by_code = {c.code: c for c in cohorts}
    for word in caption.words:
        if normalise_code(word) not in by_code:
            return CohortChoice.NOT_MANAGED, word
    named = list(dict.fromkeys(normalise_code(w) for w in caption.words))
    if len(named) == 1:
        return by_code[named[0]]
    if not named and len(cohorts) == 1:
        return cohorts[0]
    return CohortChoice.SEVERAL, ""


def parse_session_line(line: str, cohort: Cohort) -> SessionRow:
    """One session typed as `YYYY-MM-DD HH:MM-HH:MM Title | Speaker | Link` (speaker and link
    optional; a link may come second), checked exactly as a schedule CSV row would be.
    Raises ImportRefused; its problems have line 0 (a line number means nothing here)."""
    m = _SESSION_LINE.match(line.strip())
    parts = [p.strip() for p in m["rest"].split("|")] if m else []
    if m is None or not 1 <= len(parts) <= 3:
        raise ImportRefused([problem(0, "session_shape")])
    title, speaker, link = [*parts, "", ""][:3]
    if len(parts) == 2 and re.match(r"^[a-z][a-z0-9+.-]*://", speaker, re.IGNORECASE):
        speaker, link = "", speaker
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SCHEDULE_COLUMNS[:6])  # the line has no attendance window of its own
    writer.writerow([m["date"], m["start"], m["end"], title, speaker, link])
    try:
        [row] = parse_schedule(out.getvalue().encode(), cohort)
    except ImportRefused as refused:
        raise ImportRefused([Problem(0, p.message, p.details) for p in refused.problems]) from None
    return row


async def add_session(
    session: AsyncSession, cohort: Cohort, row: SessionRow
) -> tuple[Session, bool]:
    """Save one session (a session at the same start is updated); True when it is new."""
    summary = await apply_schedule(session, cohort, [row])
    saved = await session.scalar(
        select(Session).where(Session.cohort_id == cohort.id, Session.starts_at == row.starts_at)
    )
    assert saved is not None
    return saved, summary.added == 1
