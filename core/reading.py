"""Reading what people type: amounts, dates and times, with the reason when one is refused.

Each reader raises an `InvalidInput` subclass that says *why* (a unit typed after the number,
zero, too large; an impossible date versus a badly written one), so the answer can name the
rule that applies instead of "not a number" or "cannot read that".

Numbers are read the way the reader's language writes them. In Indonesian the comma is
always the decimal mark (`2,5`, `0,75`) and a dot followed by exactly three digits groups
thousands (`10.000`); a dot followed by one or two digits is a decimal point too (`2.5`, typed
on a phone's English keyboard). In English it is the other way round: the point is the decimal
mark, a comma before exactly three digits groups thousands (`10,000`), and a comma before one or
two digits is a decimal comma (`2,5`). So `2,555` is 2555 in English, and in Indonesian two and
a bit with three decimals: refused, like `1,250` there (which someone used to the English way may
mean as 1250), with a hint for both readings (`1,25`, `1.250`). Unambiguous forms are read in
either language: spaces before groups of three (`10 000`), a mark repeated between groups of
three (`1.000.000`, `1,000,000`), and both marks, the last one the decimal point (`1.000,5`,
`1,000.5`). A number read with a thousands separator is echoed back in the reader's format, so
that a misreading is seen at once.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal

from core.errors import InvalidInput

MAX_DECIMALS = 2

_NUMBER = re.compile(
    r"^(?P<sign>[-+\u2212\u2013])?\s*"
    # digits, each optionally after one separator (or a space before a group of three)
    r"(?P<number>[0-9](?:(?:[.,]|\s(?=[0-9]{3}(?![0-9])))?[0-9])*|[.,][0-9]+)"
    r"\s*(?P<rest>.*)$",
    re.DOTALL,
)


DECIMAL_MARK = {"id": ",", "en": "."}


class BadNumber(InvalidInput):
    """A typed amount that was refused, and why.

    reason: `not_a_number`, `other_unit` (a unit after the number that is not the habit's),
    `negative`, `zero`, `too_large` (over `maximum`) or `decimals` (more than two). With
    `decimals`, `rounded` is the number to two decimals (for the example in the answer), and
    `thousands` the whole number the digits make when the decimal mark was followed by
    exactly three digits (`1,250`: 1250), the reading of the other language."""

    def __init__(
        self,
        reason: str,
        typed: str,
        *,
        unit: str | None = None,
        rounded: Decimal | None = None,
        thousands: int | None = None,
    ) -> None:
        super().__init__(f"number.{reason}")
        self.reason, self.typed, self.unit = reason, typed, unit
        self.rounded, self.thousands = rounded, thousands


@dataclass(frozen=True)
class Amount:
    value: float
    grouped: bool  # read with a thousands separator: worth saying how it was understood


def _same_unit(typed: str, unit: str) -> bool:
    """`halaman` is `Halaman`; `pages` is `page` (and the other way round)."""

    def norm(text: str) -> str:
        return " ".join(text.casefold().split()).rstrip(".")

    a, b = norm(typed), norm(unit)
    return bool(a) and (a in (b, b + "s", b + "es") or b in (a + "s", a + "es"))


def _groups_of_thousands(parts: list[str]) -> bool:
    head, *rest = parts
    return (
        1 <= len(head) <= 3
        and not head.startswith("0")
        and bool(rest)
        and all(len(p) == 3 for p in rest)
    )


@dataclass(frozen=True)
class _Digits:
    whole: str
    decimals: str
    grouped: bool
    # The decimal mark stood where the other language puts a thousands separator (`1,250`
    # in Indonesian): a number with three decimals, or meant as 1250.
    could_be_thousands: bool = False


def _digits(number: str, typed: str, lang: str) -> _Digits:
    """The whole part, decimals and grouping of the number part, read the way `lang` writes
    numbers; BadNumber if it cannot be one."""
    grouped = " " in number
    s = number.replace(" ", "")
    seps = {c for c in s if c in ".,"}
    if not seps:
        return _Digits(s, "", grouped)
    if len(seps) == 2:  # `1.000,5` / `1,000.5`: only one reading, in either language
        point = "." if s.rfind(".") > s.rfind(",") else ","
        group = "," if point == "." else "."
        whole, _, decimals = s.partition(point)
        parts = whole.split(group)
        if point in decimals or not _groups_of_thousands(parts):
            raise BadNumber("not_a_number", typed)
        return _Digits("".join(parts), decimals, True)
    [sep] = seps
    parts = s.split(sep)
    if len(parts) > 2:  # `1.000.000`: a mark repeated can only group thousands
        if not _groups_of_thousands(parts):
            raise BadNumber("not_a_number", typed)
        return _Digits("".join(parts), "", True)
    whole, decimals = parts
    if sep != DECIMAL_MARK[lang] and _groups_of_thousands(parts):
        return _Digits(whole + decimals, "", True)  # `10.000` in Indonesian, `10,000` in English
    ambiguous = sep == DECIMAL_MARK[lang] and _groups_of_thousands(parts)
    return _Digits(whole or "0", decimals, grouped, ambiguous)


def read_amount(text: str, *, unit: str | None, maximum: float, lang: str) -> Amount:
    """An amount above zero as people type it in `lang` (`10`, `2,5`, `10.000` in Indonesian,
    `10,000` in English, `10 halaman` when the habit is measured in halaman); BadNumber with the
    reason otherwise."""
    typed = " ".join(unicodedata.normalize("NFKC", text).split())
    match = _NUMBER.match(typed)
    if match is None:
        raise BadNumber("not_a_number", typed)
    rest = match["rest"].strip().rstrip(".!")
    if rest:
        if re.search(r"[0-9]", rest) or not unit:
            raise BadNumber("not_a_number", typed)
        if not _same_unit(rest, unit):
            raise BadNumber("other_unit", typed, unit=rest[:40])
    digits = _digits(match["number"], typed, lang)
    decimals = digits.decimals.rstrip("0")
    exact = Decimal(f"{digits.whole}.{decimals}" if decimals else digits.whole)
    value = float(exact)
    if match["sign"] and match["sign"] != "+" and value != 0:
        raise BadNumber("negative", typed)
    if value == 0:
        raise BadNumber("zero", typed)
    if not math.isfinite(value) or value > maximum:
        raise BadNumber("too_large", typed)
    if len(decimals) > MAX_DECIMALS or digits.could_be_thousands:
        rounded = exact.quantize(Decimal(1).scaleb(-MAX_DECIMALS), ROUND_HALF_UP)
        thousands = int(digits.whole + digits.decimals) if digits.could_be_thousands else None
        if thousands is not None and thousands > maximum:
            thousands = None  # `999,999`: not a reading to suggest
        raise BadNumber("decimals", typed, rounded=rounded, thousands=thousands)
    return Amount(value, digits.grouped)


class BadDate(InvalidInput):
    """A typed date that was refused: written in a form not understood (`format`), or one
    that does not exist (`no_such_month`: a month past 12; `no_such_day`: 30 February)."""

    def __init__(self, reason: str, typed: str, year: int = 0, month: int = 0) -> None:
        super().__init__(f"date.{reason}")
        self.reason, self.typed, self.year, self.month = reason, typed, year, month

    @property
    def impossible(self) -> bool:
        return self.reason != "format"

    @property
    def last_day(self) -> int:
        """The month's last day (for `no_such_day`)."""
        return calendar.monthrange(self.year, self.month)[1]


def make_date(year: int, month: int, day: int, typed: str) -> date:
    """The date, or BadDate naming why it cannot exist."""
    if not 1 <= year <= 9999:
        raise BadDate("format", typed)
    if not 1 <= month <= 12:
        raise BadDate("no_such_month", typed, year, month)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise BadDate("no_such_day", typed, year, month)
    return date(year, month, day)


_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_ISO_DATE_STRICT = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_DAY_MONTH = re.compile(r"^([0-9]{1,2})([/.-])([0-9]{1,2})(?:\2([0-9]{4}))?$")


def read_iso_date(text: str, *, strict: bool = False) -> date:
    """`2021-09-03` (with `strict`, exactly YYYY-MM-DD; else `2021-9-3` too)."""
    typed = text.strip()
    match = (_ISO_DATE_STRICT if strict else _ISO_DATE).match(typed)
    if match is None:
        raise BadDate("format", typed)
    return make_date(int(match[1]), int(match[2]), int(match[3]), typed)


def read_day(text: str, today: date, *, ahead: bool = False) -> date:
    """A day as a participant types it: `2021-09-03`, `3/9/2021`, or `3/9` (also `3.9.2021`,
    `3-9`). Without a year, the latest 3 September that is not after `today` (a day to log),
    or with `ahead` the next one after `today` (the day a pause ends). BadDate says why one
    is refused: 31/2 does not exist, `kemarin lusa` is not written as a date."""
    typed = text.strip()
    match = _DAY_MONTH.match(typed)
    if match is None:
        return read_iso_date(typed)
    day, month = int(match[1]), int(match[3])
    if match[4]:
        return make_date(int(match[4]), month, day, typed)
    if not 1 <= month <= 12:
        raise BadDate("no_such_month", typed, today.year, month)
    if ahead:
        after = (month, day) > (today.month, today.day)
        year = today.year if after else today.year + 1
    else:
        year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return make_date(year, month, day, typed)


class BadTime(InvalidInput):
    """A typed clock time that was refused: not HH:MM (`impossible` False) or no such time,
    like 25:00 or 07:60 (`impossible` True)."""

    def __init__(self, typed: str, *, impossible: bool) -> None:
        super().__init__("time.no_such_time" if impossible else "time.format")
        self.typed, self.impossible = typed, impossible


_CLOCK = re.compile(r"^([0-9]{1,2})[:.]([0-9]{2})$")


def read_clock(text: str) -> time:
    """`07:30`, `7.30` (the Indonesian way) → 07:30; BadTime otherwise."""
    typed = text.strip()
    match = _CLOCK.match(typed)
    if match is None:
        raise BadTime(typed, impossible=False)
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise BadTime(typed, impossible=True)
    return time(hour, minute)
