"""The words around the heatmap's squares: the week and year labels, and the legend.

Week columns are labelled with their Monday's date, as much of it as the label before leaves
open, and placed in order of importance until the room runs out (`week_labels`); the year
stands before each strip (`strip_year_labels`). The legend lists only the states the picture
shows (`legend_keys`), on as few lines as fit. Everything here is measured, nothing drawn:
`core.charts` draws what these functions place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from matplotlib.font_manager import FontProperties

from core.chart_text import _font, _text_width
from core.heatmap import Cell
from core.heatmap_layout import (
    _LABEL_GAP,
    _LABEL_PT,
    _LEGEND_ITEM_GAP,
    _MARGIN_X,
    _SWATCH,
    _YEAR_GAP,
    HeatmapLayout,
)
from core.pictures import HeatmapRow

_LEGEND_ORDER = (
    Cell.DONE,
    Cell.PARTIAL,
    Cell.MISSED,
    Cell.SKIPPED,
    Cell.OFF,
    Cell.BEFORE,
    Cell.OPEN,
)
_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


@dataclass(frozen=True)
class WeekLabel:
    column: int  # as in `HeatmapLayout`
    text: str
    left: float  # x where the text starts
    width: float  # of the text, in pixels

    @property
    def right(self) -> float:
        return self.left + self.width


def strip_years(layout: HeatmapLayout) -> list[int]:
    """The year written left of each strip's week labels: that of its first Monday."""
    return [
        (layout.first_monday + timedelta(weeks=column)).year
        for column in range(0, layout.weeks, layout.strip_weeks)
    ]


def strip_year_labels(layout: HeatmapLayout, font: FontProperties | None = None) -> list[WeekLabel]:
    """The year before each strip's week labels (bold), by the strip's first column, ending
    _YEAR_GAP before the grid so that it does not read as part of the first label."""
    font = font or _font(_LABEL_PT, bold=True)
    labels = []
    firsts = range(0, layout.weeks, layout.strip_weeks)
    for column, year in zip(firsts, strip_years(layout), strict=True):
        width = _text_width(str(year), font)
        labels.append(WeekLabel(column, str(year), layout.grid_left - _YEAR_GAP - width, width))
    return labels


def label_limit(layout: HeatmapLayout) -> float:
    """The x no week label may run past: the image's margin, or the text beside the grid."""
    if layout.text_beside:
        return layout.text_left - _YEAR_GAP
    return layout.width - _MARGIN_X / 2


def week_labels(
    layout: HeatmapLayout, lang: str, font: FontProperties | None = None
) -> list[WeekLabel]:
    """The labels above the week columns, by column: each the date of its column's Monday.

    A label says as much as the one before it in its strip leaves open: the day alone in the
    same month ("14"), with the month when the month changed ("7 Des"), with the year when the
    year changed ("4 Jan 2027"). A strip's first label starts where its grid starts and
    names its month; the strip's year stands before it (`strip_year_labels`).

    Labels are placed in order of importance: each strip's first, then the first week of a
    new year ("4 Jan 2027", else "Jan 2027"), of a month ("7 Des", else "Des"), then the
    other weeks from left to right where there is room. A label that would come closer than
    _LABEL_GAP to one already placed (_YEAR_GAP when either shows a year), or run off the
    grid, gives way; one that gives way leaves the next label of the strip to name the
    month (and year) it is in. When the squares are too close for a day and month at every
    month's first week (many habits over a long period), those labels name the month alone
    ("Des", "Jan 2027"), so that more months keep their names.
    """
    font = font or _font(_LABEL_PT)
    months = _MONTHS["id" if lang == "id" else "en"]
    mondays = [layout.first_monday + timedelta(weeks=column) for column in range(layout.weeks)]
    firsts = range(0, layout.weeks, layout.strip_weeks)
    limit = label_limit(layout)
    placed: dict[int, WeekLabel] = {}

    def month(day: date) -> str:
        return months[day.month - 1]

    def shown_before(column: int) -> date | None:
        """The Monday of the nearest label left of `column` in its strip."""
        first = column - column % layout.strip_weeks
        return next((mondays[c] for c in range(column - 1, first - 1, -1) if c in placed), None)

    widest = max(_text_width(f"28 {name}", font) for name in months)
    crowded = 4 * layout.pitch < widest + _LABEL_GAP  # four weeks cannot hold "28 Agu"

    def needed(column: int) -> tuple[str, ...]:
        """The texts, shortest last, that read after the label before it name the column's
        date: the day alone in the same month, else with the month (and year)."""
        day, before = mondays[column], shown_before(column)
        if before is None:  # the strip's year stands before it
            return (month(day),) if crowded else (f"{day.day} {month(day)}", month(day))
        if before.year != day.year:
            return f"{day.day} {month(day)} {day.year}", f"{month(day)} {day.year}"
        if before.month != day.month:
            return f"{day.day} {month(day)}", month(day)
        return (str(day.day),)

    def place(column: int, texts: tuple[str, ...]) -> None:
        strip = column // layout.strip_weeks
        for text in texts:
            width = _text_width(text, font)
            if column % layout.strip_weeks == 0:  # starts where the grid starts
                left = layout.grid_left
            else:
                left = layout.column_x(column) + (layout.square - width) / 2
            label = WeekLabel(column, text, left, width)
            if left < layout.grid_left or label.right > limit:
                continue
            if all(
                other.column // layout.strip_weeks != strip or _apart(label, other)
                for other in placed.values()
            ):
                placed[column] = label
                return

    for column in firsts:
        place(column, needed(column))
    changes = [c for c in range(1, layout.weeks) if c % layout.strip_weeks]
    for column in changes:
        day = mondays[column]
        if day.year != mondays[column - 1].year:
            texts = (f"{day.day} {month(day)} {day.year}", f"{month(day)} {day.year}")
            place(column, texts[crowded:])
    for column in changes:
        day = mondays[column]
        if column not in placed and day.month != mondays[column - 1].month:
            place(column, (f"{day.day} {month(day)}", month(day))[crowded:])
    for column in changes:
        if column not in placed:
            place(column, needed(column))
    return [placed[column] for column in sorted(placed)]


def _apart(one: WeekLabel, two: WeekLabel) -> bool:
    """Far enough apart not to be read as one label: a year needs more room around it."""
    gap = _YEAR_GAP if _has_year(one.text) or _has_year(two.text) else _LABEL_GAP
    return one.right + gap <= two.left or two.right + gap <= one.left


def _has_year(text: str) -> bool:
    return any(len(word) == 4 and word.isdigit() for word in text.split())


def legend_keys(rows: Sequence[HeatmapRow], *, start: date, end: date, today: date) -> list[str]:
    """The legend's entries in order: the states the picture shows (`Cell` values), then
    "today" when it lies in the period."""
    shown: set[Cell] = set()
    for row in rows:
        day = start
        while day <= end:
            shown.add(row.cells.get(day, Cell.OPEN))
            day += timedelta(days=1)
    keys = [cell.value for cell in _LEGEND_ORDER if cell in shown]
    if start <= today <= end:
        keys.append("today")
    return keys


def _legend_rows(texts: list[str], font: FontProperties, room: float) -> list[list[int]]:
    """The legend's items (by index) line by line, as many on a line as fit in `room`."""
    lines: list[list[int]] = [[]]
    used = 0.0
    for index, text in enumerate(texts):
        item = _SWATCH + 10 + _text_width(text, font)
        needed = item if not lines[-1] else used + _LEGEND_ITEM_GAP + item
        if lines[-1] and needed > room:
            lines.append([index])
            used = item
        else:
            lines[-1].append(index)
            used = needed
    return lines
