"""What is wrong with an imported file, line by line: in English, and as catalog keys.

Every import (schedule, materials, roster) reports its problems in this one shape, so a refused
file always names each line, and a problem made with `problem()` can be shown in the chat in the
reader's language as well. Apart from the readers, so that all of them share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.errors import AksiError

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
    "bad_minutes": "{name} {value!r} is not a number of minutes from 0 to {limit}",
    "duplicate_session": "a session at {day} {start} is already on line {other}",
    "duplicate_material": "{title!r} in {module!r} is already on line {other}",
    "session_shape": "write the session as: YYYY-MM-DD HH:MM-HH:MM title | speaker | link",
    "option_gap": "option {name} comes after an empty option (leave no gaps between options)",
    "few_options": "a question needs at least two options (columns a and b)",
    "same_options": "two options of the question are the same",
    "bad_correct": "correct {value!r} is not one of the options (a letter, or 1 to {count})",
    "bad_quiz_kind": "kind {value!r} is not one of {kinds}",
    "bad_quiz_title": "the title must be 1 to {limit} characters",
    "bad_seconds": "the time per question must be {low} to {high} seconds",
    "bad_scale": "scale {value!r} is not 5, 4, yesno or text",
    "title_taken": "the cohort already has an evaluation titled {title!r}",
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
