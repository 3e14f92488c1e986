"""The heatmap's sizes and where each thing lands on it: plain arithmetic, no matplotlib.

`heatmap_layout` chooses how big the squares are and, for a long period, into how many
strips of weeks they wrap, so that the picture fits Telegram's 2560 px and stays readable on a
phone. The pixel and font sizes of every part of the picture are kept here, in one place, so
that the layout, the labels (`core.heatmap_labels`) and the drawing (`core.charts`) agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

# Geometry, in pixels of the output image.
WIDTH = 1200
_MARGIN_X = 40
_TOP = 24
_TITLE_H = 50
_NOTE_H = 34  # a line under the title, e.g. which weeks of a long period are drawn
_LEGEND_H = 40  # one line of the legend
_LEGEND_GAP = 14
_NAME_H = 38
_SUMMARY_H = 32
_WEEK_LABEL_H = 30
_STRIP_GAP = 12  # between two strips of weeks of one habit
_PANEL_GAP = 34
_BOTTOM = 26
_WEEKDAY_COL = 62  # width of the weekday-label column left of the grid
_MAX_HEIGHT = 2560  # Telegram scales photos down to fit 2560 px: stay within it
_MAX_PITCH = 58  # distance between neighbouring squares, at most...
_COMFORT_PITCH = 30  # ...and wrapped into strips of weeks rather than any closer than this...
_MIN_PITCH = 12  # ...or, to keep within _MAX_HEIGHT with many habits, than this
_BESIDE_GAP = 44  # between the grid and the text beside it
_BESIDE_MIN_WIDTH = 420  # put name and summary beside the grid when this much room is left
_BESIDE_LINES = 3  # at most this many lines each for the name and the summary beside the grid
_LABEL_GAP = 12.0  # at least this between two week labels...
_YEAR_GAP = 18.0  # ...and this when one of them shows a year
_SWATCH = 22.0  # legend squares
_LEGEND_ITEM_GAP = 26.0

# Font sizes in points (1 pt = DPI / 72 ≈ 2.08 px, DPI as in `core.chart_text`).
_TITLE_PT = 18.0
_NAME_PT = 14.0
_SUMMARY_PT = 12.0
_LABEL_PT = 10.0
_LEGEND_PT = 10.5


@dataclass(frozen=True)
class HeatmapLayout:
    """Where things land in `render_heatmap`'s image (pixels, origin top-left, y down).

    Columns are counted over the whole period from `first_monday`; column `c` is column
    `c % strip_weeks` of strip `c // strip_weeks`.
    """

    width: int
    height: int
    first_monday: date  # the Monday of the first column
    weeks: int  # number of week columns, over all strips
    strip_weeks: int  # week columns in one strip
    strips: int  # strips of weeks, one under the other, in each panel
    pitch: float  # distance between neighbouring squares
    square: float  # side of a square
    grid_left: float  # x of each strip's first column of squares
    grid_tops: tuple[tuple[float, ...], ...]  # y of the Monday row: per panel, per strip
    panel_tops: tuple[float, ...]  # y of each panel's first line of text
    legend_top: float
    legend_lines: int
    text_left: float  # x where a panel's name and summary start
    text_width: float  # room for them
    text_beside: bool  # name and summary beside the grid (short periods), else above it

    def column_x(self, column: int) -> float:
        """x of the left edge of the squares in week column `column`."""
        return self.grid_left + (column % self.strip_weeks) * self.pitch

    def square_origin(self, panel: int, day: date) -> tuple[float, float]:
        """Top-left corner of `day`'s square in panel number `panel` (0-based)."""
        offset = (day - self.first_monday).days
        if not 0 <= offset < 7 * self.weeks:
            raise ValueError(f"{day} is not in the calendar")
        column, weekday = divmod(offset, 7)
        strip = column // self.strip_weeks
        return self.column_x(column), self.grid_tops[panel][strip] + weekday * self.pitch

    def square_center(self, panel: int, day: date) -> tuple[float, float]:
        x, y = self.square_origin(panel, day)
        return x + self.square / 2, y + self.square / 2


def heatmap_layout(
    habits: int, *, start: date, end: date, legend_lines: int = 1, note: bool = False
) -> HeatmapLayout:
    """The geometry `render_heatmap` uses for `habits` panels over the period [start, end]
    (`note`: a line under the title).

    Squares get the largest pitch (up to _MAX_PITCH) that fits the width and keeps the image
    at most _MAX_HEIGHT high. When one strip of weeks would make them closer than
    _COMFORT_PITCH, the weeks wrap into the fewest strips that keep them at least that far
    apart; failing that (many habits over a long period), into the number of strips that
    gives the biggest squares.
    """
    if habits < 1:
        raise ValueError("a heatmap needs at least one habit")
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    first_monday = start - timedelta(days=start.weekday())
    last_sunday = end + timedelta(days=6 - end.weekday())
    weeks = ((last_sunday - first_monday).days + 1) // 7
    available = WIDTH - 2 * _MARGIN_X - _WEEKDAY_COL
    best: HeatmapLayout | None = None
    for strip_weeks in sorted({math.ceil(weeks / n) for n in range(1, weeks + 1)}, reverse=True):
        widest = min(_MAX_PITCH, available // strip_weeks)  # never wider than the image
        if widest < _MIN_PITCH:
            continue
        pitch = widest
        layout = _layout(habits, first_monday, weeks, strip_weeks, pitch, legend_lines, note)
        while layout.height > _MAX_HEIGHT and pitch > _MIN_PITCH:
            pitch -= 1
            layout = _layout(habits, first_monday, weeks, strip_weeks, pitch, legend_lines, note)
        fits = layout.height <= _MAX_HEIGHT
        if fits and pitch >= _COMFORT_PITCH:
            return layout
        if best is None or (fits, pitch) > (best.height <= _MAX_HEIGHT, best.pitch):
            best = layout
        if widest == _MAX_PITCH:
            break  # more strips would not make the squares any bigger
    assert best is not None  # one week per strip always fits the width
    return best


def _layout(
    habits: int,
    first_monday: date,
    weeks: int,
    strip_weeks: int,
    pitch: float,
    legend_lines: int,
    note: bool,
) -> HeatmapLayout:
    strips = math.ceil(weeks / strip_weeks)
    square = pitch - max(2.0, round(pitch * 0.14))
    grid_left = float(_MARGIN_X + _WEEKDAY_COL)
    grid_right = grid_left + (strip_weeks - 1) * pitch + square
    beside_left = grid_right + _BESIDE_GAP
    text_beside = strips == 1 and WIDTH - _MARGIN_X - beside_left >= _BESIDE_MIN_WIDTH
    text_left = beside_left if text_beside else float(_MARGIN_X)

    y = float(_TOP + _TITLE_H + (_NOTE_H if note else 0))
    legend_top = y
    y += legend_lines * _LEGEND_H + _LEGEND_GAP
    panel_tops: list[float] = []
    grid_tops: list[tuple[float, ...]] = []
    for index in range(habits):
        if index:
            y += _PANEL_GAP
        panel_tops.append(y)
        if not text_beside:
            y += _NAME_H + _SUMMARY_H
        tops: list[float] = []
        for strip in range(strips):
            if strip:
                y += _STRIP_GAP
            y += _WEEK_LABEL_H
            tops.append(y)
            y += 6 * pitch + square
        grid_tops.append(tuple(tops))
    return HeatmapLayout(
        width=WIDTH,
        height=math.ceil(y + _BOTTOM),
        first_monday=first_monday,
        weeks=weeks,
        strip_weeks=strip_weeks,
        strips=strips,
        pitch=pitch,
        square=square,
        grid_left=grid_left,
        grid_tops=tuple(grid_tops),
        panel_tops=tuple(panel_tops),
        legend_top=legend_top,
        legend_lines=legend_lines,
        text_left=text_left,
        text_width=WIDTH - _MARGIN_X - text_left,
        text_beside=text_beside,
    )
