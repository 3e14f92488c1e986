"""Showing UTC times in the reader's zone and language (dates via Babel's CLDR data)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

# Indonesia's three zones by their everyday names; any other IANA zone shows its UTC offset.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
INDONESIAN_ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
_TIME_PATTERN = {"id": "%H.%M", "en": "%H:%M"}


def zone_abbreviation(tz: str, at: datetime | None = None) -> str:
    if tz in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[tz]
    offset = (at or datetime.now(ZoneInfo(tz))).astimezone(ZoneInfo(tz)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local(at: datetime, tz: str) -> datetime:
    return at.astimezone(ZoneInfo(tz))


def long_date(day: date, lang: str) -> str:
    """'Kamis, 2 September 2021' / 'Thursday, 2 September 2021'."""
    return format_date(day, "EEEE, d MMMM y", locale=lang)


def weekday_date(day: date, lang: str) -> str:
    """'Kamis, 24 Desember' / 'Thursday, 24 December': a day within the coming weeks."""
    return format_date(day, "EEEE, d MMMM", locale=lang)


def short_date(day: date, lang: str) -> str:
    """'5 Sep' in both languages."""
    return format_date(day, "d MMM", locale=lang)


def date_span(first: date, last: date, lang: str) -> str:
    """'8 Jun – 13 Des 2026'; '7 Jul 2025 – 4 Jan 2026' across a year end."""
    head = "d MMM" if first.year == last.year else "d MMM y"
    return f"{format_date(first, head, locale=lang)} – {format_date(last, 'd MMM y', locale=lang)}"


def clock(at: datetime, lang: str) -> str:
    """'08.30' in Indonesian, '08:30' in English (both 24-hour, as trainings announce them)."""
    return at.strftime(_TIME_PATTERN.get(lang, "%H:%M"))


def list_date(day: date, lang: str) -> str:
    """'Kam, 2 Sep 2021' / 'Thu, 2 Sep 2021': for lists where a long date is too much."""
    return format_date(day, "EEE, d MMM y", locale=lang)
