"""Reading an imported CSV file row by row, every problem collected with its line number.

The schedule, materials and roster imports share it: encoding, separator (Excel's `;` or `,`),
header and size are checked the same way for each, and nothing stops at the first mistake, so
a file with several is answered with all of them at once instead of one per try.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from core.import_problems import Detail, Problem, problem

MAX_ROWS = 2000
MAX_FILE_BYTES = 2 * 1024 * 1024

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
