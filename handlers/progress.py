"""/progres (/progress): streaks, completion and strength per habit, and a heatmap picture."""

from __future__ import annotations

import logging
from datetime import date

from core import checkins
from core.approvals import status_of
from core.checkins import HabitProgress
from core.heatmap import RECENT_WEEKS, habit_cells, shown_period
from core.i18n import Html
from core.milestones import milestones_of, tally
from core.numbers import percent
from core.pictures import HeatmapRow, heatmap_png
from core.plans import HabitDraft, load_plan
from core.timefmt import date_span
from handlers.approvals import status_line
from handlers.checkin_view import today_of
from handlers.common import plain, text
from handlers.plan_words import WEEKDAY_KEYS, describe_habit
from handlers.turn import HasServices, NotSent, Turn
from storage.mentoring import Milestone
from storage.models import Participant

log = logging.getLogger(__name__)
LEGEND_KEYS = ("done", "partial", "missed", "skipped", "off", "before", "open", "today")


def streak_length(context: HasServices, lang: str, item: HabitProgress, length: int) -> str:
    """A streak's length: "1 day", "5 days"; "2 weeks" for a habit of N times a week."""
    key = "count.week" if item.stats.streak_unit == "week" else "count.day"
    return plain(context, lang, key, count=length)


def summary_line(context: HasServices, lang: str, item: HabitProgress) -> str:
    stats = item.stats
    return plain(
        context,
        lang,
        "progress.short",
        streak=streak_length(context, lang, item, stats.current_streak),
        c30=percent(stats.completion_30, lang),
        strength=percent(stats.strength, lang),
    )


def milestone_line(
    context: HasServices, lang: str, milestones: list[Milestone], today: date
) -> str | None:
    """The milestones in one line (None: none written), the late ones named."""
    if not milestones:
        return None
    counts = tally(milestones, today)
    if not counts.overdue:
        return text(context, lang, "milestone.progress", done=counts.done, total=counts.total)
    return text(
        context,
        lang,
        "milestone.progress_overdue",
        done=counts.done,
        total=counts.total,
        overdue=counts.overdue,
        titles="; ".join(counts.overdue_titles),
    )


def render_summary(context: HasServices, lang: str, title: str, items: list[HabitProgress]) -> str:
    blocks = [text(context, lang, "progress.header", title=title)]
    for i, item in enumerate(items, 1):
        h, stats = item.habit, item.stats
        described = describe_habit(
            context, lang, HabitDraft(h.id, h.name, h.kind, h.unit, h.target, h.schedule)
        )
        blocks.append(
            text(
                context,
                lang,
                "progress.habit",
                n=i,
                habit=Html(described),
                streak=streak_length(context, lang, item, stats.current_streak),
                best=streak_length(context, lang, item, stats.best_streak),
                c7=percent(stats.completion_7, lang),
                c30=percent(stats.completion_30, lang),
                call=percent(stats.completion_all, lang),
                strength=percent(stats.strength, lang),
            )
        )
    blocks.append(text(context, lang, "progress.footer"))
    return "\n\n".join(blocks)


async def heatmap_picture(
    context: HasServices,
    lang: str,
    participant: Participant,
    items: list[HabitProgress],
    today: date,
) -> tuple[bytes, str]:
    """The heatmap PNG (drawn by `services.renderer`, off the event loop) and its caption.
    A cohort longer than `RECENT_WEEKS` weeks is drawn as its last weeks up to today (see
    `shown_period`), said under the title and in the caption: the summary's figures still
    count the whole period, and /dataku has every day."""
    cohort = participant.cohort
    start, end = cohort.starts_on, cohort.ends_on
    first, last = shown_period(start, end, today)
    rows = [
        HeatmapRow(
            item.habit.name,
            habit_cells(item, first, last, today),
            summary_line(context, lang, item),
        )
        for item in items
    ]
    labels = {k: plain(context, lang, f"weekday.{k}") for k in WEEKDAY_KEYS}
    labels |= {k: plain(context, lang, f"progress.legend_{k}") for k in LEGEND_KEYS}
    title = plain(context, lang, "progress.chart_title", cohort=cohort.name)
    note, caption = "", text(context, lang, "progress.caption")
    if (first, last) != (start, end):
        span = plain(context, lang, "count.week", count=RECENT_WEEKS)
        dates = date_span(first, last, lang)
        note = plain(context, lang, "progress.chart_recent", span=span, dates=dates)
        caption = text(context, lang, "progress.caption_recent", span=span)
    png = await context.services.renderer.run(
        heatmap_png,
        rows,
        start=first,
        end=last,
        today=today,
        title=title,
        labels=labels,
        lang=lang,
        note=note,
    )
    return png, caption


async def show_progress(turn: Turn) -> None:
    """/progres: per habit the streaks, completion (7 days, 30 days, since the start) and
    strength, then a calendar heatmap of the cohort period (its last weeks when long) as a
    picture."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        # After the training has ended nothing more can be logged: its last day is the last
        # one counted (days after it would all look missed).
        today = min(today_of(turn, participant), participant.cohort.ends_on)
        items = await checkins.progress(session, participant, today)
        plan = await load_plan(session, participant.id)
        plan_title = plan.title if plan is not None else participant.cohort.name
        approval = status_line(
            turn, reader.lang, participant, await status_of(session, participant.id)
        )
        steps = milestone_line(
            turn,
            reader.lang,
            await milestones_of(session, participant.id),
            today_of(turn, participant),
        )
    lang = reader.lang
    if not items:
        await turn.reply(text(turn, lang, "checkin.no_plan"))
        return
    summary = render_summary(turn, lang, plan_title, items)
    extra = "".join("\n\n" + line for line in (steps, approval) if line)
    await turn.reply(summary + extra)
    try:
        png, caption = await heatmap_picture(turn, lang, participant, items, today)
        await turn.send_photo(png, plain(turn, lang, "file.progress"), caption)
    except Exception as exc:  # the picture is a bonus: the summary above already went out
        log.warning(
            "could not send the progress picture: %s",
            exc,
            exc_info=not isinstance(exc, NotSent),
        )
        await turn.reply(text(turn, lang, "progress.no_picture"))
