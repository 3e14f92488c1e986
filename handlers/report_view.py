"""The text of /rekap (/report): today's check-ins by name and unit, the week's completion per
participant, the mentors' approvals, milestones, attendance, quizzes and the follow-up after
the course, from the figures of `core.reports` (`handlers.reports` sends it, with its chart)."""

from __future__ import annotations

from collections import Counter

from core import follow_up
from core.i18n import escape
from core.numbers import number, percent
from core.quiz_scores import average
from core.report_lines import person_line
from core.reports import CohortReport, DayState
from core.timefmt import long_date, zone_abbreviation
from handlers.common import plain, text
from handlers.quizzes import cohort_gain, quiz_name
from handlers.turn import HasServices

SECTIONS = (
    (DayState.NOT_YET, "report.section_not_yet"),
    (DayState.PARTLY, "report.section_partly"),
    (DayState.NO_PLAN, "report.section_no_plan"),
    (DayState.COMPLETE, "report.section_complete"),
    (DayState.NOTHING_DUE, "report.section_nothing_due"),
)


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
