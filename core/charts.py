"""Drawing habit charts as PNG images (matplotlib's object-oriented API, no pyplot).

`render_heatmap` draws a GitHub-contributions-style calendar of a cohort period: one panel
per habit, columns are weeks (Monday to Sunday), rows are weekdays (Monday on top), each day
a rounded square drawn by its `Cell` (`core.heatmap` decides them; this module only draws).
A long period wraps into strips of weeks, one under the other, so that the squares stay big
enough to read on a phone and nothing runs off the image. Week columns are labelled with their
Monday's date, as much of it as the label before leaves open ("14", "7 Des", "4 Jan 2027");
the year stands before each strip's labels (see `week_labels`).

Every state has a shape as well as a colour, so nobody has to tell red from green: done is a
full square, partly half full, missed a cross, skipped a dash, a day not due is struck
through, a day before the habit was planned a faint dot, a day still to do an empty box, and
today a dark frame. The legend lists the states the picture shows.

Rendering is CPU-bound (~0.15-0.4 s): call it from a worker thread in async code, e.g.
``await asyncio.to_thread(render_heatmap, ...)``. Renders are serialised by a lock because
matplotlib's text and font caches are not guaranteed to be thread-safe.

Text is drawn with the DejaVu Sans shipped inside matplotlib, whatever the local fonts or
matplotlibrc say. Characters that font cannot draw (emoji, most symbols outside the Basic
Multilingual Plane) are dropped from the drawn text rather than shown as boxes, and text is
never parsed as mathtext (a ``$`` in a habit name is just a dollar sign).
"""

from __future__ import annotations

import io
import math
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.patches import FancyBboxPatch, Patch
from PIL import Image

from core.heatmap import Cell
from core.pictures import HeatmapRow

__all__ = [
    "CELL_COLORS",
    "DPI",
    "WIDTH",
    "Cell",
    "HeatmapLayout",
    "HeatmapRow",
    "WeekLabel",
    "drawable_text",
    "heatmap_layout",
    "label_limit",
    "legend_keys",
    "render_heatmap",
    "strip_year_labels",
    "strip_years",
    "week_labels",
]


# Fill colours (GitHub-like palette); OPEN is white with a grey border, OUTSIDE is not drawn.
CELL_COLORS: Mapping[Cell, str] = {
    Cell.DONE: "#2da44e",
    Cell.PARTIAL: "#b4e5bf",
    Cell.MISSED: "#ef8c8c",
    Cell.SKIPPED: "#f5c451",
    Cell.OFF: "#e3e6ea",
    Cell.BEFORE: "#ffffff",
    Cell.OPEN: "#ffffff",
}
_OPEN_EDGE = "#aab3bf"
_MISSED_MARK = "#b42318"
_SKIPPED_MARK = "#7a4f01"
_OFF_MARK = "#9aa4b1"
_BEFORE_MARK = "#a3acb9"
_TODAY_EDGE = "#1f2328"
_INK = "#1f2328"
_MUTED = "#59636e"
_RULE = "#e3e6ea"

_LEGEND_ORDER = (
    Cell.DONE,
    Cell.PARTIAL,
    Cell.MISSED,
    Cell.SKIPPED,
    Cell.OFF,
    Cell.BEFORE,
    Cell.OPEN,
)
_WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DEFAULT_LABELS = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
    "done": "Done",
    "partial": "Partly",
    "missed": "Missed",
    "skipped": "Skipped",
    "off": "Not due",
    "before": "Not in the plan yet",
    "open": "To do",
    "today": "Today",
}
_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_NAME_MAX_CHARS = 60
_ELLIPSIS = "…"

# Geometry, in pixels of the output image.
DPI = 150
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

# Font sizes in points (1 pt = DPI / 72 ≈ 2.08 px).
_TITLE_PT = 18.0
_NAME_PT = 14.0
_SUMMARY_PT = 12.0
_LABEL_PT = 10.0
_LEGEND_PT = 10.5
_MIN_PT = 7.0

_RENDER_LOCK = threading.Lock()


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


def _font_path(bold: bool) -> str:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return str(Path(matplotlib.get_data_path(), "fonts", "ttf", name))


@cache
def _charset(bold: bool) -> frozenset[int]:
    return frozenset(FT2Font(_font_path(bold)).get_charmap())


def drawable_text(text: str, *, bold: bool = False) -> str:
    """`text` without the characters DejaVu Sans cannot draw, whitespace collapsed.

    Invisible format characters (zero-width joiners, variation selectors) go too: left
    behind by a dropped emoji they would only widen the gap it leaves.  Dropped visible
    characters become spaces, so words around an emoji stay apart.
    """
    charset = _charset(bold)
    kept = "".join(_drawable_char(ch, charset) for ch in text)
    return " ".join(kept.split())


def _drawable_char(ch: str, charset: frozenset[int]) -> str:
    if unicodedata.category(ch) == "Cf" or 0xFE00 <= ord(ch) <= 0xFE0F:
        return ""  # invisible: zero-width joiner, soft hyphen, variation selector...
    return ch if ord(ch) in charset else " "


def _font(size: float, *, bold: bool = False) -> FontProperties:
    return FontProperties(fname=_font_path(bold), size=size)


@cache
def _measurer() -> RendererAgg:
    # Text extents depend on the dpi only, not on the canvas size.
    return RendererAgg(1, 1, DPI)  # type: ignore[no-untyped-call]


@lru_cache(maxsize=4096)
def _text_width(text: str, font: FontProperties) -> float:
    """Width in pixels (cached: legend, weekday and week labels recur in every render)."""
    width, _, _ = _measurer().get_text_width_height_descent(  # type: ignore[no-untyped-call]
        text, font, ismath=False
    )
    return float(width)


def _fit(
    text: str,
    max_width: float,
    size: float,
    *,
    bold: bool = False,
    min_size: float = _MIN_PT,
) -> tuple[str, FontProperties]:
    """Shrink the font (down to `min_size`), then cut the text with "…", until it fits."""
    while True:
        font = _font(size, bold=bold)
        if _text_width(text, font) <= max_width:
            return text, font
        if size - 0.5 < min_size:
            break
        size -= 0.5
    low, high = 0, len(text)  # longest prefix that fits with an ellipsis: binary search
    while low < high:
        middle = (low + high + 1) // 2
        if _text_width(text[:middle].rstrip() + _ELLIPSIS, font) <= max_width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + _ELLIPSIS, font


def _wrap(
    text: str, max_width: float, size: float, *, bold: bool, max_lines: int
) -> tuple[list[str], FontProperties]:
    """Greedy word wrap into at most `max_lines` lines; the last one ends in "…" if cut."""
    font = _font(size, bold=bold)

    def cut(line: str) -> str:
        return _fit(line, max_width, size, bold=bold, min_size=size)[0]

    lines: list[str] = []
    words = text.split()
    while words:
        if len(lines) == max_lines - 1:
            lines.append(cut(" ".join(words)))
            break
        count = 1
        while count < len(words) and (_text_width(" ".join(words[: count + 1]), font) <= max_width):
            count += 1
        lines.append(cut(" ".join(words[:count])))  # cut only bites on a single huge word
        words = words[count:]
    return lines, font


def _truncate(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary if one is near, "…" at the end."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" -–—·,;:") + _ELLIPSIS


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


def _square(x: float, y: float, side: float, **kwargs: Any) -> FancyBboxPatch:
    radius = side * 0.2
    return FancyBboxPatch(
        (x, y), side, side, boxstyle=f"round,pad=0,rounding_size={radius}", **kwargs
    )


def render_heatmap(
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
    """A PNG calendar heatmap of the period [start, end], one panel per row (habit), with
    `note` (when given) on a line under the title.

    `labels` gives the weekday row labels ("mon".."sun") and the legend texts (`Cell`
    values and "today"); missing keys fall back to English. Week columns are labelled with
    their Monday's date, month names in Indonesian when `lang` is "id". `today` gets a dark
    frame when it lies inside the period. The image is 1200 px wide at 150 dpi; its height
    grows with the number of rows and, for long periods, of strips of weeks.
    """
    if not rows:
        raise ValueError("a heatmap needs at least one habit")

    def label(key: str) -> str:
        return drawable_text(labels.get(key) or _DEFAULT_LABELS[key])

    keys = legend_keys(rows, start=start, end=end, today=today)
    legend = [label(key) for key in keys]
    room = WIDTH - 2 * _MARGIN_X
    legend_font = _font(_LEGEND_PT)
    lines = _legend_rows(legend, legend_font, room)
    if len(lines) > 1:  # a little smaller may still fit on one line
        smaller = _font(_LEGEND_PT - 1.5)
        if len(_legend_rows(legend, smaller, room)) == 1:
            legend_font, lines = smaller, [list(range(len(legend)))]
    layout = heatmap_layout(
        len(rows), start=start, end=end, legend_lines=len(lines), note=bool(note)
    )
    with _RENDER_LOCK:
        return _render(
            rows, layout, start, end, today, title, note, labels, lang, keys, lines, legend_font
        )


def _render(
    rows: Sequence[HeatmapRow],
    layout: HeatmapLayout,
    start: date,
    end: date,
    today: date,
    title: str,
    note: str,
    labels: Mapping[str, str],
    lang: str,
    legend_keys: list[str],
    legend_lines: list[list[int]],
    legend_font: FontProperties,
) -> bytes:
    def label(key: str) -> str:
        return drawable_text(labels.get(key) or _DEFAULT_LABELS[key])

    width, height = layout.width, layout.height
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    figure.set_layout_engine("none")  # placed by hand, whatever matplotlibrc asks for
    canvas = FigureCanvasAgg(figure)
    try:
        ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)  # pixel coordinates, y pointing down
        ax.set_axis_off()
        text_width = width - 2 * _MARGIN_X
        marks = _Marks()

        def draw_text(x: float, y: float, text: str, font: FontProperties, **kw: Any) -> None:
            ax.text(x, y, text, fontproperties=font, parse_math=False, usetex=False, **kw)

        heading, font = _fit(drawable_text(title, bold=True), text_width, _TITLE_PT, bold=True)
        draw_text(_MARGIN_X, _TOP, heading, font, color=_INK, va="top", ha="left")
        if note:
            line, font = _fit(drawable_text(note), text_width, _SUMMARY_PT)
            draw_text(_MARGIN_X, _TOP + _TITLE_H, line, font, color=_MUTED, va="top", ha="left")

        # Legend: swatch + text items, line by line.
        for number, items in enumerate(legend_lines):
            x = float(_MARGIN_X)
            middle = layout.legend_top + number * _LEGEND_H + _LEGEND_H / 2
            for index in items:
                key, text = legend_keys[index], label(legend_keys[index])
                top = middle - _SWATCH / 2
                if key == "today":
                    marks.today(x, top, _SWATCH)
                else:
                    marks.cell(Cell(key), x, top, _SWATCH)
                draw_text(
                    x + _SWATCH + 10, middle, text, legend_font, color=_MUTED, va="center_baseline"
                )
                x += _SWATCH + 10 + _text_width(text, legend_font) + _LEGEND_ITEM_GAP

        # Panels.
        label_font = _font(_LABEL_PT)
        weekday_pt = min(_LABEL_PT, layout.pitch / 2.6)  # rows closer than the text: shrink
        weekday_step = 1 if layout.pitch >= 18 else 2  # too close even then: every other day
        weekday_texts = [_fit(label(key), _WEEKDAY_COL - 10, weekday_pt) for key in _WEEKDAY_KEYS]
        labelled_weeks = week_labels(layout, lang, label_font)
        year_font = _font(_LABEL_PT, bold=True)
        years = strip_year_labels(layout, year_font)
        half = layout.square / 2
        for index, row in enumerate(rows):
            top = layout.panel_tops[index]
            if index:
                rule_y = top - _PANEL_GAP / 2
                ax.plot([_MARGIN_X, width - _MARGIN_X], [rule_y, rule_y], color=_RULE, lw=0.8)
            name = _truncate(drawable_text(row.name, bold=True), _NAME_MAX_CHARS)
            summary = drawable_text(row.summary)
            x, room = layout.text_left, layout.text_width
            if layout.text_beside:
                lines, font = _wrap(name, room, _NAME_PT, bold=True, max_lines=_BESIDE_LINES)
                for line in lines:
                    draw_text(x, top, line, font, color=_INK, va="top")
                    top += _NAME_H
                top += 4
                lines, font = _wrap(summary, room, _SUMMARY_PT, bold=False, max_lines=_BESIDE_LINES)
                for line in lines:
                    draw_text(x, top, line, font, color=_MUTED, va="top")
                    top += _SUMMARY_H
            else:
                name, font = _fit(name, room, _NAME_PT, bold=True)
                draw_text(x, top, name, font, color=_INK, va="top")
                summary, font = _fit(summary, room, _SUMMARY_PT)
                draw_text(x, top + _NAME_H, summary, font, color=_MUTED, va="top")

            strip_tops = layout.grid_tops[index]
            for week in labelled_weeks:
                y = strip_tops[week.column // layout.strip_weeks] - 9
                draw_text(week.left, y, week.text, label_font, color=_MUTED, va="baseline")
            for grid_top, year in zip(strip_tops, years, strict=True):
                draw_text(year.left, grid_top - 9, year.text, year_font, color=_INK, va="baseline")
            for grid_top in strip_tops:
                for weekday in range(0, 7, weekday_step):
                    text, font = weekday_texts[weekday]
                    y = grid_top + weekday * layout.pitch + half
                    draw_text(
                        layout.grid_left - 10,
                        y,
                        text,
                        font,
                        color=_MUTED,
                        ha="right",
                        va="center_baseline",
                    )

            day = start
            while day <= end:
                cell = row.cells.get(day, Cell.OPEN)
                if cell is not Cell.OUTSIDE:
                    marks.cell(cell, *layout.square_origin(index, day), layout.square)
                day += timedelta(days=1)
            if start <= today <= end:
                marks.today(*layout.square_origin(index, today), layout.square)
        marks.draw(ax)

        canvas.draw()  # type: ignore[no-untyped-call]
        # Opaque RGB with moderate compression: about twice as fast to encode as RGBA at the
        # default level, and a little smaller.
        pixels = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
        image = Image.frombytes("RGB", (width, height), pixels, "raw", "RGBX")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=3)
        return buffer.getvalue()
    finally:
        figure.clear()


class _Marks:
    """Everything drawn for the days, gathered so that each kind goes to matplotlib as one
    collection (thousands of days over a long period: one artist each would be slow)."""

    def __init__(self) -> None:
        self.squares: list[Patch] = []
        self.frames: list[Patch] = []
        self.crosses: list[tuple[float, float, float]] = []  # centre x, y, side
        self.dashes: list[tuple[float, float, float]] = []
        self.dots: list[tuple[float, float, float]] = []
        self.strokes: list[tuple[tuple[float, float], tuple[float, float]]] = []
        self.stroke_width = 1.0

    def cell(self, cell: Cell, x: float, y: float, side: float) -> None:
        face = CELL_COLORS[cell]
        edge = _OPEN_EDGE if cell is Cell.OPEN else face
        self.squares.append(_square(x, y, side, facecolor=face, edgecolor=edge, linewidth=0.8))
        centre = (x + side / 2, y + side / 2, side)
        if cell is Cell.PARTIAL:  # half full
            self.squares.append(
                FancyBboxPatch(
                    (x, y + side * 0.5),
                    side,
                    side * 0.5,
                    boxstyle=f"round,pad=0,rounding_size={side * 0.2}",
                    facecolor=CELL_COLORS[Cell.DONE],
                    edgecolor=CELL_COLORS[Cell.DONE],
                    linewidth=0.8,
                )
            )
        elif cell is Cell.MISSED:
            self.crosses.append(centre)
        elif cell is Cell.SKIPPED:
            self.dashes.append(centre)
        elif cell is Cell.BEFORE:
            self.dots.append(centre)
        elif cell is Cell.OFF:  # struck through, corner to corner
            inset = side * 0.24
            self.strokes.append(((x + inset, y + side - inset), (x + side - inset, y + inset)))
            self.stroke_width = max(1.0, min(1.6, side / 28))

    def today(self, x: float, y: float, side: float) -> None:
        """A dark frame just around the square at (x, y)."""
        width = max(1.8, min(2.6, side * 0.05))  # points
        gap = width * DPI / 72 / 2 + 0.5
        self.frames.append(
            _square(
                x - gap,
                y - gap,
                side + 2 * gap,
                facecolor="none",
                edgecolor=_TODAY_EDGE,
                linewidth=width,
            )
        )

    def draw(self, ax: Axes) -> None:
        ax.add_collection(PatchCollection(self.squares, match_original=True, zorder=2))
        if self.strokes:
            ax.add_collection(
                LineCollection(
                    self.strokes,
                    colors=_OFF_MARK,
                    linewidths=self.stroke_width,
                    capstyle="round",
                    zorder=3,
                )
            )
        _scatter(ax, self.crosses, "x", 0.3, _MISSED_MARK, 1.3)
        _scatter(ax, self.dashes, "_", 0.5, _SKIPPED_MARK, 2.2)
        _scatter(ax, self.dots, "o", 0.2, _BEFORE_MARK, 0.0)
        ax.add_collection(PatchCollection(self.frames, match_original=True, zorder=4))


def _scatter(
    ax: Axes,
    centres: list[tuple[float, float, float]],
    marker: str,
    size: float,
    colour: str,
    width: float,
) -> None:
    """`marker` at each centre, `size` times the square's side across."""
    if not centres:
        return
    xs, ys, sides = zip(*centres, strict=True)
    ax.scatter(
        xs,
        ys,
        s=[(side * size * 72 / DPI) ** 2 for side in sides],
        marker=marker,
        c=colour,
        linewidths=width,
        zorder=3,
    )
