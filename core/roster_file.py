"""The roster as a file: the CSV organisers import, and the links CSV they are given back.

Both directions sit together because they must agree: the links file is a roster with two more
columns, so it can be edited in a spreadsheet and imported again. A file is checked whole (see
`core.csv_reader`) and refused whole, naming each line, before anything is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from core.csv_reader import _Reader
from core.import_problems import ImportRefused, Problem
from core.spreadsheet import COMMA, csv_file, from_text_cell, nip_cell, nip_digits, text_cell
from storage.models import RosterEntry

COLUMNS = ("name", "unit", "nip", "telegram_username")
LINK_ONLY_COLUMNS = ("link", "joined")  # in the links file, ignored when it is imported
REQUIRED = ("name", "unit")
NAME_MAX = 128
UNIT_MAX = 160
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{5,32}$")
_NIP_RE = re.compile(r"^[0-9]{18}$")


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    unit: str | None
    nip: str | None
    telegram_username: str | None


def name_key(name: str) -> str:
    """How names are compared: case and spacing do not matter."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def clean_username(value: str) -> str | None:
    """A Telegram username without its '@'; None when it is not one (5-32 of A-Z a-z 0-9 _)."""
    value = value.strip().removeprefix("@")
    return value if _USERNAME_RE.match(value) else None


def parse_roster(data: bytes) -> list[RosterRow]:
    """Validate a roster CSV (`name,unit,nip,telegram_username`; nip and telegram_username
    optional). The links file (`links_csv`) reads back too: its `link` and `joined` columns
    are ignored. Every problem is collected; any problem refuses the whole file."""
    reader: _Reader[RosterRow] = _Reader(COLUMNS, REQUIRED, ignored=LINK_ONLY_COLUMNS)
    rows: list[RosterRow] = []
    by_nip: dict[str, int] = {}
    by_username: dict[str, int] = {}
    for line, raw in reader.rows(data):
        row = {
            k: from_text_cell(" ".join(unicodedata.normalize("NFC", v).split()))
            for k, v in raw.items()
        }
        before = len(reader.problems)
        name = reader.need(line, row, "name", NAME_MAX)
        unit = reader.optional(line, row, "unit", UNIT_MAX)
        nip = _nip(reader, line, row.get("nip", ""))
        username = _username(reader, line, row.get("telegram_username", ""))
        if nip is not None and nip in by_nip:
            reader.problems.append(Problem(line, f"NIP {nip} is already on line {by_nip[nip]}"))
        if username is not None and username.lower() in by_username:
            first = by_username[username.lower()]
            reader.problems.append(Problem(line, f"@{username} is already on line {first}"))
        if len(reader.problems) > before or name is None:
            continue
        if nip is not None:
            by_nip[nip] = line
        if username is not None:
            by_username[username.lower()] = line
        rows.append(RosterRow(line, name, unit, nip, username))
    # Two rows with the same name are two people only when each has its NIP: otherwise
    # which one a later import (or the facilitator) means is unclear.
    lines: dict[str, list[RosterRow]] = {}
    for r in rows:
        lines.setdefault(name_key(r.name), []).append(r)
    for same in lines.values():
        for r in same[1:]:
            if r.nip is None or any(o.nip is None for o in same):
                reader.problems.append(
                    Problem(
                        r.line,
                        f"{r.name!r} is already on line {same[0].line} "
                        "(give each a NIP to tell people with the same name apart)",
                    )
                )
    if reader.problems:
        raise ImportRefused(sorted(reader.problems, key=lambda p: p.line))
    return rows


def _nip(reader: _Reader[RosterRow], line: int, value: str) -> str | None:
    if not value:
        return None
    # NIPs are often written in groups (19800101 200501 1 001, as `links_csv` writes them),
    # or kept text in a spreadsheet with '1980… or ="1980…".
    digits = nip_digits(value)
    if not _NIP_RE.match(digits):
        hint = (
            " (Excel turned it into a number: format the column as Text)"
            if re.match(r"^[0-9.,]+[eE]\+?[0-9]+$", digits)
            else ""
        )
        reader.problems.append(Problem(line, f"NIP {value[:40]!r} is not 18 digits{hint}"))
        return None
    return digits


def _username(reader: _Reader[RosterRow], line: int, value: str) -> str | None:
    if not value:
        return None
    username = clean_username(value)
    if username is None:
        reader.problems.append(
            Problem(
                line,
                f"telegram_username {value[:40]!r} is not a Telegram username "
                "(5-32 letters, digits or _)",
            )
        )
    return username


LINK_COLUMNS = (*COLUMNS, *LINK_ONLY_COLUMNS)


def links_csv(
    entries: list[RosterEntry], link: Callable[[str], str], *, separator: str = COMMA
) -> bytes:
    """The personal links as CSV (`core.spreadsheet`: UTF-8 with a BOM, typed text kept text,
    the NIP in groups). It reads back as a roster: `link` and `joined` are ignored there."""
    return csv_file(
        LINK_COLUMNS,
        (
            [
                text_cell(e.name),
                text_cell(e.unit or ""),
                nip_cell(e.nip),
                e.telegram_username or "",
                link(e.join_token),
                "yes" if e.participant_id is not None else "no",
            ]
            for e in entries
        ),
        separator=separator,
    )
