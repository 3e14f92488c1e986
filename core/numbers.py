"""Numbers as a person reads them in their language (Babel's CLDR data).

Indonesian writes a decimal comma and groups thousands with a point (`2,5 halaman`,
`10.000 langkah`); English the other way round (`2.5 pages`, `10,000 steps`). Every number
shown in a message goes through here; files for spreadsheet programs use
`core.spreadsheet.number_cell` instead (no grouping, the file's decimal mark).
"""

from __future__ import annotations

from babel.numbers import format_decimal


def number(value: float, lang: str, *, decimals: int = 2) -> str:
    """10.0 → '10'; 2.5 → '2,5' (id) / '2.5' (en); 10000 → '10.000' / '10,000'.
    At most `decimals` digits after the mark, none when the number is whole."""
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=lang)


def percent(value: float | None, lang: str) -> str:
    """A share 0..1 as a whole percentage, '85%' in both languages; '—' for no figure."""
    if value is None:
        return "—"
    return number(round(value * 100), lang) + "%"
