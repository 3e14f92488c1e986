"""The /progres heatmap's content, in words from a catalog: a row per habit (its squares and its
one-line summary), the legend and weekday labels, the title and the note when only the recent
weeks are drawn. Shared by /progres (`handlers.progress`) and the final report's PDF
(`core.final_report_pdf`); `core.pictures.heatmap_png` draws it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from core.checkins import HabitProgress
from core.heatmap import RECENT_WEEKS, habit_cells, shown_period
from core.numbers import percent
from core.pictures import HeatmapRow
from core.timefmt import date_span

Label = Callable[..., str]  # a catalog key and its values to plain text
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEGEND_KEYS = ("done", "partial", "missed", "skipped", "off", "before", "open", "today")


def streak_words(label: Label, item: HabitProgress, length: int) -> str:
    """A streak's length: "1 day", "5 days"; "2 weeks" for a habit of N times a week."""
    key = "count.week" if item.stats.streak_unit == "week" else "count.day"
    return label(key, count=length)


def summary_words(label: Label, lang: str, item: HabitProgress) -> str:
    stats = item.stats
    return label(
        "progress.short",
        streak=streak_words(label, item, stats.current_streak),
        c30=percent(stats.completion_30, lang),
        strength=percent(stats.strength, lang),
    )


@dataclass(frozen=True)
class HeatmapFigure:
    rows: list[HeatmapRow]
    start: date
    end: date
    today: date
    title: str
    labels: dict[str, str]
    note: str  # "" unless only the recent weeks are drawn
    recent: str  # those weeks in words ("26 minggu"), "" when the whole period is drawn


def heatmap_figure(
    label: Label,
    lang: str,
    cohort_name: str,
    items: list[HabitProgress],
    start: date,
    end: date,
    today: date,
) -> HeatmapFigure:
    """The period [start, end] as drawn up to `today` (its last RECENT_WEEKS weeks when long)."""
    first, last = shown_period(start, end, today)
    rows = [
        HeatmapRow(
            item.habit.name, habit_cells(item, first, last, today), summary_words(label, lang, item)
        )
        for item in items
    ]
    labels = {k: label(f"weekday.{k}") for k in WEEKDAY_KEYS}
    labels |= {k: label(f"progress.legend_{k}") for k in LEGEND_KEYS}
    note = recent = ""
    if (first, last) != (start, end):
        recent = label("count.week", count=RECENT_WEEKS)
        dates = date_span(first, last, lang)
        note = label("progress.chart_recent", span=recent, dates=dates)
    title = label("progress.chart_title", cohort=cohort_name)
    return HeatmapFigure(rows, first, last, today, title, labels, note, recent)
