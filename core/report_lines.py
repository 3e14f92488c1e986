"""Lines of the facilitators' texts that /rekap and the daily digest share."""

from __future__ import annotations

from core.i18n import Catalogs, escape
from core.reports import DayState, PersonReport


def person_line(i18n: Catalogs, lang: str, person: PersonReport) -> str:
    """'• Siti Rahma — Dinas Kesehatan · 1/3 done · 1 not logged yet' (HTML): one short line
    for a phone."""
    line = f"• {escape(person.name)}"
    if person.unit:
        line += f" — {escape(person.unit)}"
    if person.state == DayState.PARTLY:
        line += " · " + i18n.text(lang, "report.done_mark", done=person.done, due=person.due)
        if person.logged < person.due:
            line += " · " + i18n.text(lang, "report.open_mark", n=person.due - person.logged)
    if person.state == DayState.NOTHING_DUE and person.skipped:
        line += " · " + i18n.text(lang, "report.skipped_mark", n=person.skipped)
    if person.unreachable:
        line += " 🚫"
    return line
