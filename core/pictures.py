"""The pictures Aksi draws, as plain data and entry points that load matplotlib only when
called: the data can be built (and pickled to a drawing process, `core.rendering`) without
loading matplotlib in the bot's own process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from core.heatmap import Cell


@dataclass(frozen=True)
class HeatmapRow:
    name: str  # habit name, up to 80 chars, any Unicode
    cells: dict[date, Cell]  # days of the period not present are OPEN
    summary: str  # short text under the name, e.g. "🔥 5 hari · 80% · kekuatan 42%"


@dataclass(frozen=True)
class Bar:
    label: str  # the participant, e.g. "Siti Rahma (Dinas Kesehatan)"
    value: float | None  # 0..1; None: nothing was due


def load() -> None:
    """Import the drawing modules (matplotlib, fonts) ahead of the first picture."""
    import core.charts
    import core.report_chart

    core.charts.drawable_text("Aksi")  # reads the font's character set once


def heatmap_png(
    rows: Sequence[HeatmapRow],
    *,
    start: date,
    end: date,
    today: date,
    title: str,
    labels: Mapping[str, str],
    lang: str,
    note: str = "",
) -> bytes:
    """`core.charts.render_heatmap`, loading matplotlib on first use."""
    from core.charts import render_heatmap

    return render_heatmap(
        rows, start=start, end=end, today=today, title=title, labels=labels, lang=lang, note=note
    )


def completion_png(
    bars: Sequence[Bar],
    *,
    title: str,
    subtitle: str,
    average: float | None,
    average_label: str,
    no_data: str,
    legend: dict[str, str],
) -> bytes:
    """`core.report_chart.render_completion`, loading matplotlib on first use."""
    from core.report_chart import render_completion

    return render_completion(
        bars,
        title=title,
        subtitle=subtitle,
        average=average,
        average_label=average_label,
        no_data=no_data,
        legend=legend,
    )
