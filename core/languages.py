"""Which languages and time zones Aksi speaks and shows (the rules; the texts are catalogs)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SUPPORTED_LANGUAGES = ("id", "en")  # Indonesian first, English second


def check_timezone(name: str) -> str:
    """Return `name` when it is an IANA time zone, else raise ValueError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a known time zone (e.g. Asia/Makassar)") from None
    return name
