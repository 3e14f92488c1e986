"""CSV files for spreadsheet programs: every CSV Aksi writes is made here, one way.

- Text a person typed (names, units, habits, notes) that starts like a formula (`= + - @`, a
  tab or a carriage return) gets a leading apostrophe: Excel, LibreOffice and Google Sheets
  show it as text and never run it. The roster import takes the apostrophe off again.
- A NIP is written in its printed groups, `19800101 200501 1 001`. With the spaces it is text
  to every spreadsheet program in every locale, so it is never turned into `1.98E+17`, and it
  stays the same through any number of opens and re-saves (Excel writes the text back as it
  is). Aksi's roster import reads it (spaces are ignored), as it does the bare 18 digits and
  the other usual ways to keep a NIP text: `'1980…` and `="1980…"`. The alternatives fail
  somewhere: `="1980…"` is a formula (shown as such where CSV formulas are not evaluated, and
  Excel re-saves the bare digits, so the re-saved file turns into `1.98E+17` when opened
  again); a leading apostrophe or tab is not read alike everywhere (some programs show it as
  part of the value, and it travels along into copies).
- The separator follows the reader's language: Indonesian files are separated by `;` with a
  decimal comma (`2,5`), as Excel set to Indonesian reads and writes them (its list separator
  is `;` because `,` is its decimal mark); English files by `,` with a decimal point. Either
  can be asked for. A first line `sep=;` would make Excel split any file right, but Excel then
  ignores the UTF-8 byte order mark (names with é or ñ come out garbled) and other programs
  show the line as data, so it is not written.
- UTF-8 with a byte order mark (so Excel reads the names right) and CRLF line ends.

Aksi's own imports read either separator (`core.imports.guess_delimiter`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from babel.numbers import format_decimal

COMMA = ","
SEMICOLON = ";"
_SEPARATOR_WORDS = {
    ",": COMMA,
    "koma": COMMA,
    "comma": COMMA,
    ";": SEMICOLON,
    "titikkoma": SEMICOLON,
    "titik-koma": SEMICOLON,
    "semicolon": SEMICOLON,
}
# What spreadsheet programs take as the start of a formula (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_TEXT = re.compile(r'^="(.*)"$')


def separator_for(lang: str) -> str:
    """The separator a reader in this language expects: `;` for Indonesian, `,` otherwise."""
    return SEMICOLON if lang == "id" else COMMA


def separator_named(word: str) -> str | None:
    """`;` or `,` from a word a person types after a command (`;`, `titikkoma`, `semicolon`,
    `,`, `koma`, `comma`); None for anything else."""
    return _SEPARATOR_WORDS.get(word.strip().lower())


def text_cell(value: str) -> str:
    """Typed text for a cell: one starting like a formula gets a leading apostrophe."""
    return "'" + value if value[:1] in _FORMULA_START else value


def from_text_cell(value: str) -> str:
    """What `text_cell` wrote, back to the typed text."""
    if value[:1] == "'" and value[1:2] and value[1:2] in _FORMULA_START:
        return value[1:]
    return value


def nip_cell(nip: str | None) -> str:
    """An 18-digit NIP in its printed groups (birth date, appointment month, sex, number):
    `19800101 200501 1 001`, which spreadsheet programs keep as text."""
    if not nip:
        return ""
    if len(nip) == 18 and nip.isdigit():
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    return text_cell(nip)


def nip_digits(value: str) -> str:
    """A NIP cell as the import reads it: whitespace removed, and a leading apostrophe or a
    `="…"` formula around it (the usual ways to keep a number text) undone."""
    text = "".join(value.split())
    found = _FORMULA_TEXT.match(text)
    if found:
        text = found[1]
    return text.removeprefix("'")


def number_cell(value: float | None, separator: str) -> str:
    """A number for a CSV cell: no grouping, decimal comma in a `;` file, point in a `,` one,
    so the spreadsheet program that splits the file reads it as a number."""
    if value is None:
        return ""
    return format_decimal(value, "0.######", locale="id" if separator == SEMICOLON else "en")


def csv_file(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, separator: str = COMMA
) -> bytes:
    """The table as CSV: UTF-8 with a BOM, CRLF, fields quoted only where needed."""
    if separator not in (COMMA, SEMICOLON):
        raise ValueError(f"separator must be ',' or ';', not {separator!r}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
