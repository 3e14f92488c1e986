"""/rekap (/report) and /ekspor (/export): a facilitator's view of their cohort.

/rekap: today's check-ins by name and unit, 7-day completion per participant, roster members
who have not joined, then a bar chart; `/rekap waktu 17:30|mati` sets the daily digest.
/ekspor: the cohort's rows as an XLSX (or `/ekspor csv`). The figures come from `core.reports`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime

from core import follow_up, reports
from core.errors import InvalidInput
from core.habits import local_today
from core.i18n import escape
from core.numbers import number, percent
from core.pictures import Bar, completion_png
from core.quizzes import average
from core.reading import BadTime
from core.report_lines import person_line
from core.reports import CohortReport, DayState
from core.spreadsheet import COMMA, SEMICOLON, separator_for, separator_named
from core.timefmt import clock, long_date, zone_abbreviation
from handlers import refusals
from handlers.common import plain, text
from handlers.quizzes import cohort_gain, quiz_name
from handlers.staff import StaffReader, remember_language, staff_command
from handlers.turn import HasServices, NotSent, Turn
from scheduler import digest
from storage.models import Cohort

log = logging.getLogger(__name__)
# Under a CSV: how it is separated, and how to ask for the other one.
CSV_NOTES = {SEMICOLON: "report.csv_semicolon", COMMA: "report.csv_comma"}
TIME_WORDS = frozenset({"waktu", "time"})
DIGEST_WORDS = frozenset({"ringkasan", "digest"})
SECTIONS = (
    (DayState.NOT_YET, "report.section_not_yet"),
    (DayState.PARTLY, "report.section_partly"),
    (DayState.NO_PLAN, "report.section_no_plan"),
    (DayState.COMPLETE, "report.section_complete"),
    (DayState.NOTHING_DUE, "report.section_nothing_due"),
)


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


def render_report(context: HasServices, lang: str, report: CohortReport) -> str:
    """The /rekap text: counts, a list per state, 7-day completion, roster not joined."""
    cohort = report.cohort
    blocks = [
        text(
            context,
            lang,
            "report.header",
            code=cohort.code,
            cohort=cohort.name,
            date=long_date(report.today, lang),
            zone=zone_abbreviation(cohort.timezone),
        )
    ]
    if not report.people:
        blocks.append(text(context, lang, "report.no_participants"))
    else:
        counts = report.counts
        blocks.append(text(context, lang, "report.counts", **{s.value: counts[s] for s in counts}))
        for state, key in SECTIONS:
            people = report.in_state(state)
            if people:
                lines = [text(context, lang, key, n=len(people))]
                lines += [person_line(context.services.i18n, lang, p) for p in people]
                blocks.append("\n".join(lines))
        blocks.append(render_week(context, lang, report))
        blocks.append(render_approvals(context, lang, report))
        if any(p.milestones for p in report.people):
            blocks.append(render_milestones(context, lang, report))
        present = render_attendance(context, lang, report)
        if present:
            blocks.append(present)
        quizzes = render_quizzes(context, lang, report)
        if quizzes:
            blocks.append(quizzes)
        follow = render_follow_up(context, lang, report)
        if follow:
            blocks.append(follow)
        if any(p.unreachable for p in report.people):
            blocks.append(text(context, lang, "report.unreachable_note"))
    if report.not_joined:
        lines = [text(context, lang, "report.section_not_joined", n=len(report.not_joined))]
        for entry in report.not_joined:
            unit = f" — {escape(entry.unit)}" if entry.unit else ""
            lines.append(f"• {escape(entry.name)}{unit}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# The plans' approval, as /rekap lists it: those to follow up first, approved ones counted only.
APPROVAL_ORDER = ("changes", "waiting", "no_mentor")
APPROVAL_MARK = {"changes": "✏️", "waiting": "⏳", "no_mentor": "🧭"}


def render_approvals(context: HasServices, lang: str, report: CohortReport) -> str:
    """Who has their plan approved by their mentor (LAN's rules), and who not yet, and why."""
    counts = {s: 0 for s in ("approved", *APPROVAL_ORDER, "no_plan")}
    for person in report.people:
        counts[person.approval] = counts.get(person.approval, 0) + 1
    lines = [text(context, lang, "report.approvals", **counts)]
    for state in APPROVAL_ORDER:
        for person in report.people:
            if person.approval == state:
                lines.append(
                    f"{APPROVAL_MARK[state]} {escape(person.name)} — "
                    + plain(context, lang, f"report.approval_{state}")
                )
    return "\n".join(lines)


def render_milestones(context: HasServices, lang: str, report: CohortReport) -> str:
    """The action plans' milestones: how many are done, and who is late with which."""
    written = [p for p in report.people if p.milestones is not None]
    done = sum(p.milestones.done for p in written if p.milestones)
    total = sum(p.milestones.total for p in written if p.milestones)
    late = [p for p in written if p.milestones and p.milestones.overdue]
    lines = [
        text(
            context,
            lang,
            "report.milestones",
            people=len(written),
            done=done,
            total=total,
            late=len(late),
        )
    ]
    for person in late:
        assert person.milestones is not None
        titles = "; ".join(person.milestones.overdue_titles)
        lines.append(f"⚠️ {escape(person.name)} — {escape(titles)}")
    return "\n".join(lines)


def render_attendance(context: HasServices, lang: str, report: CohortReport) -> str | None:
    """Attendance of the sessions held so far: the cohort's rate, then whoever missed some,
    fewest first (None before any session has closed its attendance)."""
    tallies = [p for p in report.people if p.attendance is not None and p.attendance.held]
    if not tallies:
        return None
    held = tallies[0].attendance.held if tallies[0].attendance else 0
    present = sum(p.attendance.present for p in tallies if p.attendance)
    lines = [
        text(
            context,
            lang,
            "report.attendance",
            held=held,
            rate=percent(present / (held * len(tallies)), lang),
        )
    ]
    missed = [p for p in tallies if p.attendance and p.attendance.present < p.attendance.held]
    missed.sort(key=lambda p: (p.attendance.present if p.attendance else 0, p.name.casefold()))
    for p in missed:
        assert p.attendance is not None
        lines.append(
            text(
                context,
                lang,
                "report.attendance_line",
                name=p.name,
                present=p.attendance.present,
                held=p.attendance.held,
                excused=p.attendance.excused,
            )
        )
    return "\n".join(lines)


def render_quizzes(context: HasServices, lang: str, report: CohortReport) -> str | None:
    """The pre-test and post-test once opened: who finished each and the average, the
    cohort's gain over those who finished both, the hardest questions of the later one."""
    found = report.quizzes
    if found is None or (found.pre is None and found.post is None):
        return None
    lines = []
    for quiz, kind in ((found.pre, "pre"), (found.post, "post")):
        if quiz is None:
            continue
        scores = [g.pre if kind == "pre" else g.post for g in found.gains.values()]
        done = [s.percent for s in scores if s is not None and s.finished]
        mean = average(done)
        lines.append(
            text(
                context,
                lang,
                "report.quiz_line",
                quiz=quiz_name(context, lang, quiz),
                finished=len(done),
                members=len(report.people),
                average=percent(mean / 100, lang) if mean is not None else "—",
            )
        )
    gain = cohort_gain(context, lang, found, "report.quiz_gain")
    if gain is not None:
        lines.append(gain)
    hard = found.hardest
    if hard:
        items = ", ".join(f"{r.n} ({percent(r.percent / 100, lang)})" for r in hard)
        later = found.post or found.pre
        assert later is not None
        kind_name = plain(context, lang, f"quiz.kind_{later.kind}")
        lines.append(text(context, lang, "report.quiz_hardest", quiz=kind_name, items=items))
    return "\n".join(lines)


FOLLOW_UP_MARK = {"running": "✅", "partly": "🌓", "stopped": "⛔"}


def render_follow_up(context: HasServices, lang: str, report: CohortReport) -> str | None:
    """After the last day: the alumni's follow-up — how many still follow it, stopped it or
    blocked the bot, each question's answers, and the notes on the latest one (what helped
    or blocked the action). None during the training, or for a cohort without follow-up."""
    cohort = report.cohort
    if cohort.follow_up_days == 0 or report.today <= cohort.ends_on:
        return None
    alumni = [p for p in report.people if p.approval != "no_plan"]
    stopped = sum(p.follow_up_stopped for p in alumni)
    blocked = sum(p.unreachable and not p.follow_up_stopped for p in alumni)
    lines = [
        text(
            context,
            lang,
            "report.follow_up",
            until=long_date(follow_up.last_day(cohort), lang),
            active=len(alumni) - stopped - blocked,
            stopped=stopped,
            blocked=blocked,
        )
    ]
    latest: list[tuple[str, str, str]] = []
    for offset in follow_up.questions(cohort):
        asked = [(p, q) for p in alumni for q in p.follow_ups if q.offset == offset]
        if not asked:
            continue
        counts = Counter(q.answer for _, q in asked)
        answered = len(asked) - counts[None]
        lines.append(
            text(
                context,
                lang,
                "report.follow_up_question",
                days=plain(context, lang, "count.day", count=offset),
                answered=answered,
                asked=len(asked),
                running=counts["running"],
                partly=counts["partly"],
                stopped=counts["stopped"],
            )
        )
        latest = [
            (p.name, FOLLOW_UP_MARK[q.answer], q.note) for p, q in asked if q.answer and q.note
        ]
    lines += [f"{mark} {escape(name)}: {escape(note)}" for name, mark, note in latest]
    return "\n".join(lines)


def render_week(context: HasServices, lang: str, report: CohortReport) -> str:
    """7-day completion per participant, lowest first (those to nudge), then the cohort's."""
    ordered = sorted(
        report.people,
        key=lambda p: (p.week.completion is None, p.week.completion or 0.0, p.name.casefold()),
    )
    lines = [text(context, lang, "report.section_week")]
    for p in ordered:
        unit = f" — {escape(p.unit)}" if p.unit else ""
        lines.append(f"• <b>{percent(p.week.completion, lang)}</b> {escape(p.name)}{unit}")
    total = report.week
    if total.completion is None:
        lines.append(text(context, lang, "report.week_none"))
    else:
        lines.append(
            text(
                context,
                lang,
                "report.week_total",
                count=round(total.due, 1),
                percent=percent(total.completion, lang),
                done=number(total.done, lang, decimals=1),
                due=number(total.due, lang, decimals=1),
            )
        )
    return "\n".join(lines)


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
