"""/rekap (/report) and /ekspor (/export): a facilitator's view of their cohort.

/rekap: today's check-ins by name and unit, 7-day completion per participant, roster members
who have not joined, then a bar chart; `/rekap waktu 17:30|mati` sets the daily digest.
/ekspor: the cohort's rows as an XLSX (or `/ekspor csv`). The figures come from `core.reports`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from core import reports
from core.errors import InvalidInput
from core.habits import local_today
from core.pictures import Bar, completion_png
from core.reading import BadTime
from core.reports import CohortReport
from core.spreadsheet import COMMA, SEMICOLON, separator_for, separator_named
from core.timefmt import clock, long_date, zone_abbreviation
from handlers import refusals
from handlers.common import plain, text
from handlers.report_view import render_report
from handlers.staff import StaffReader, remember_language, staff_command
from handlers.turn import HasServices, NotSent, Turn
from scheduler import digest
from storage.models import Cohort

log = logging.getLogger(__name__)
# Under a CSV: how it is separated, and how to ask for the other one.
CSV_NOTES = {SEMICOLON: "report.csv_semicolon", COMMA: "report.csv_comma"}
TIME_WORDS = frozenset({"waktu", "time"})
DIGEST_WORDS = frozenset({"ringkasan", "digest"})


def export_choice(args: list[str], lang: str) -> tuple[str, str] | None:
    """What `/ekspor` was asked for: ("xlsx", "") or ("csv", separator); None when unclear.
    `csv;` and `csv,` written together are understood too."""
    words = [a.lower() for a in args]
    if words and words[0] in ("csv;", "csv,"):
        words = ["csv", words[0][3:], *words[1:]]
    if words in ([], ["xlsx"]):
        return "xlsx", ""
    if not words or words[0] != "csv" or len(words) > 2:
        return None
    separator = separator_named(words[1]) if len(words) == 2 else separator_for(lang)
    return None if separator is None else ("csv", separator)


async def chart_png(context: HasServices, lang: str, report: CohortReport) -> bytes:
    """The bar chart of 7-day completion, drawn by `services.renderer` (off the event loop)."""
    bars = [
        Bar(f"{p.name} · {p.unit}" if p.unit else p.name, p.week.completion) for p in report.people
    ]
    return await context.services.renderer.run(
        completion_png,
        bars,
        title=plain(context, lang, "report.chart_title", cohort=report.cohort.name),
        subtitle=plain(context, lang, "report.chart_subtitle", date=long_date(report.today, lang)),
        average=report.week.completion,
        average_label=plain(context, lang, "report.chart_average"),
        no_data=plain(context, lang, "report.chart_no_data"),
        legend={k: plain(context, lang, f"report.chart_{k}") for k in ("high", "middle", "low")},
    )


async def _remember(context: HasServices, staff: StaffReader) -> None:
    async with context.services.db.begin() as session:
        await remember_language(session, staff.person.person_id, staff.lang)


@staff_command("rekap")
async def rekap(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """/rekap: who has checked in today and who has not (by name and unit), 7-day completion
    per participant, roster members not joined, and a chart; `/rekap waktu 17:30|mati` sets
    the time of the facilitators' daily digest."""
    lang = staff.lang
    await _remember(turn, staff)
    if args:
        await digest_time(turn, staff, cohort, args)
        return
    async with turn.services.db() as session:
        report = await reports.cohort_report(session, cohort, turn.services.clock())
    await turn.reply(render_report(turn, lang, report))
    if not report.people:
        return
    try:
        png = await chart_png(turn, lang, report)
        filename = plain(turn, lang, "file.report_chart", code=cohort.code)
        await turn.send_photo(png, filename, text(turn, lang, "report.chart_caption"))
    except Exception as exc:  # the chart is a bonus: the figures already went out
        log.warning(
            "could not send the report chart: %s", exc, exc_info=not isinstance(exc, NotSent)
        )
        await turn.reply(text(turn, lang, "report.no_chart"))


async def digest_time(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """`/rekap waktu` shows the digest time, `/rekap waktu 17:30` sets it, `… mati` stops it."""
    lang = staff.lang
    if args[0].lower() in DIGEST_WORDS and len(args) == 2:
        await own_digest(turn, staff, cohort, args[1])
        return
    if args[0].lower() not in TIME_WORDS or len(args) > 2:
        await turn.reply(text(turn, lang, "report.usage"))
        return
    zone = zone_abbreviation(cohort.timezone)
    if len(args) == 1:
        shown = (
            f"{clock(datetime.strptime(cohort.digest_time, '%H:%M'), lang)} {zone}"
            if cohort.digest_time
            else plain(turn, lang, "report.time_none")
        )
        await turn.reply(text(turn, lang, "report.time_show", code=cohort.code, time=shown))
        return
    try:
        async with turn.services.db.begin() as session:
            chosen = await digest.set_digest_time(session, cohort.id, args[1])
    except BadTime as exc:
        await turn.reply(refusals.bad_time(turn, lang, exc, "report.bad_time"))
        return
    except InvalidInput:
        await turn.reply(text(turn, lang, "report.bad_time"))
        return
    if chosen is None:
        await turn.reply(text(turn, lang, "report.time_off", code=cohort.code))
        return
    shown = clock(datetime.strptime(chosen, "%H:%M"), lang)
    await turn.reply(
        text(turn, lang, "report.time_set", code=cohort.code, time=shown, zone=zone),
    )


async def own_digest(turn: Turn, staff: StaffReader, cohort: Cohort, word: str) -> None:
    """`/rekap ringkasan mati|nyala`: the digest off or on for this facilitator only."""
    lang = staff.lang
    try:
        async with turn.services.db.begin() as session:
            enabled = await digest.set_own_digest(session, cohort.id, staff.person.person_id, word)
    except InvalidInput:
        await turn.reply(text(turn, lang, "report.usage"))
        return
    key = (
        "report.digest_not_staff"
        if enabled is None
        else "report.digest_on"
        if enabled
        else "report.digest_off"
    )
    await turn.reply(text(turn, lang, key, code=cohort.code))


@staff_command("ekspor")
async def ekspor(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
    """/ekspor: the cohort's rows (participant, day, habit: value, status, note) as an XLSX
    with a summary sheet; `/ekspor csv` as a CSV separated as the reader's language expects
    (`;` in Indonesian), `/ekspor csv koma|titikkoma` (`comma|semicolon`, `,|;`) chooses."""
    lang = staff.lang
    await _remember(turn, staff)
    chosen = export_choice(args, lang)
    if chosen is None:
        await turn.reply(text(turn, lang, "report.export_usage"))
        return
    kind, separator = chosen
    from core.report_files import csv_bytes, xlsx_bytes

    now = turn.services.clock()
    async with turn.services.db() as session:
        data = await reports.export(session, cohort, now)

    def label(key: str, /, **values: object) -> str:
        return plain(turn, lang, key, **values)

    def build() -> bytes:
        if kind == "xlsx":
            return xlsx_bytes(data, label, lang)
        return csv_bytes(data, label, separator=separator)

    try:
        # openpyxl takes a moment for a big cohort: off the event loop, so others are served.
        blob = await asyncio.to_thread(build)
    except Exception:
        log.exception("could not build the %s export of %s", kind, cohort.code)
        await turn.reply(text(turn, lang, "report.export_failed"))
        return
    day = local_today(now, cohort.timezone).isoformat()
    name = plain(turn, lang, "file.export", code=cohort.code, date=day, ext=kind)
    caption_key = "report.export_caption" if kind == "xlsx" else "report.export_caption_csv"
    caption = text(turn, lang, caption_key, code=cohort.code, count=len(data.rows))
    if kind == "csv":
        caption += "\n" + text(turn, lang, CSV_NOTES[separator])
    await turn.send_file(blob, name, caption)
