"""Drawing habit charts as PNG images (matplotlib's object-oriented API, no pyplot).

`render_heatmap` draws a GitHub-contributions-style calendar of a cohort period: one panel
per habit, columns are weeks (Monday to Sunday), rows are weekdays (Monday on top), each day
a rounded square coloured by its `Cell`. Callers compute the cells; this module only draws.

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
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.patches import FancyBboxPatch, Patch
from PIL import Image

__all__ = [
    "CELL_COLORS",
    "DPI",
    "WIDTH",
    "Cell",
    "HeatmapLayout",
    "HeatmapRow",
    "drawable_text",
    "heatmap_layout",
    "render_heatmap",
]


class Cell(StrEnum):
    DONE = "done"
    PARTIAL = "partial"
    MISSED = "missed"
    SKIPPED = "skipped"
    OFF = "off"  # not scheduled that day
    OPEN = "open"  # today or a future day inside the cohort period: nothing yet
    OUTSIDE = "outside"  # outside the cohort period (padding to full weeks): not drawn


@dataclass(frozen=True)
class HeatmapRow:
    name: str  # habit name, up to 80 chars, any Unicode
    cells: dict[date, Cell]  # days of the period not present are OPEN
    summary: str  # short text under the name, e.g. "🔥 5 hari · 80% · kekuatan 42%"


# Fill colours (GitHub-like palette); OPEN is white with a grey border, OUTSIDE is not drawn.
CELL_COLORS: Mapping[Cell, str] = {
    Cell.DONE: "#2da44e",
    Cell.PARTIAL: "#a6e3b0",
    Cell.MISSED: "#ef8c8c",
    Cell.SKIPPED: "#f5c451",
    Cell.OFF: "#eceef1",
    Cell.OPEN: "#ffffff",
}
_OPEN_EDGE = "#c3cad3"
_MISSED_MARK = "#b42318"
_TODAY_EDGE = "#1f2328"
_INK = "#1f2328"
_MUTED = "#59636e"
_RULE = "#e3e6ea"

_LEGEND_ORDER = (Cell.DONE, Cell.PARTIAL, Cell.MISSED, Cell.SKIPPED, Cell.OFF, Cell.OPEN)
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
    "off": "Day off",
    "open": "Not yet",
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
_LEGEND_H = 40
_LEGEND_GAP = 14
_NAME_H = 38
_SUMMARY_H = 32
_WEEK_LABEL_H = 30
_PANEL_GAP = 34
_BOTTOM = 26
_WEEKDAY_COL = 62  # width of the weekday-label column left of the grid
_MAX_HEIGHT = 2560  # Telegram scales photos down to fit 2560 px: stay within it
_MAX_PITCH = 58  # distance between neighbouring squares, at most...
_SHRINK_FLOOR = 40  # ...and shrunk for height no further than this
_MIN_PITCH = 12  # long periods: as narrow as the width needs, down to this
_BESIDE_GAP = 44  # between the grid and the text beside it
_BESIDE_MIN_WIDTH = 420  # put name and summary beside the grid when this much room is left
_BESIDE_LINES = 3  # at most this many lines each for the name and the summary beside the grid

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
    """Where things land in `render_heatmap`'s image (pixels, origin top-left, y down)."""

    width: int
    height: int
    first_monday: date  # the Monday of the first column
    weeks: int  # number of week columns
    pitch: float  # distance between neighbouring squares
    square: float  # side of a square
    grid_left: float  # x of the first column's squares
    grid_tops: tuple[float, ...]  # y of the Monday row, one per panel
    panel_tops: tuple[float, ...]  # y of each panel's first line of text
    legend_top: float
    text_left: float  # x where a panel's name and summary start
    text_width: float  # room for them
    text_beside: bool  # name and summary beside the grid (short periods), else above it

    def square_origin(self, panel: int, day: date) -> tuple[float, float]:
        """Top-left corner of `day`'s square in panel number `panel` (0-based)."""
        offset = (day - self.first_monday).days
        if not 0 <= offset < 7 * self.weeks:
            raise ValueError(f"{day} is not in the calendar")
        column, weekday = divmod(offset, 7)
        return self.grid_left + column * self.pitch, self.grid_tops[panel] + weekday * self.pitch

    def square_center(self, panel: int, day: date) -> tuple[float, float]:
        x, y = self.square_origin(panel, day)
        return x + self.square / 2, y + self.square / 2


def heatmap_layout(habits: int, *, start: date, end: date) -> HeatmapLayout:
    """The geometry `render_heatmap` uses for `habits` panels over the period [start, end].

    Squares get the largest pitch (up to _MAX_PITCH) that fits the width and keeps the image
    at most _MAX_HEIGHT high (not always possible with more than 5 habits: it then grows).
    """
    if habits < 1:
        raise ValueError("a heatmap needs at least one habit")
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    first_monday = start - timedelta(days=start.weekday())
    last_sunday = end + timedelta(days=6 - end.weekday())
    weeks = ((last_sunday - first_monday).days + 1) // 7
    available = WIDTH - 2 * _MARGIN_X - _WEEKDAY_COL
    pitch = max(_MIN_PITCH, min(_MAX_PITCH, available // weeks))
    while True:
        layout = _layout(habits, first_monday, weeks, float(pitch))
        if layout.height <= _MAX_HEIGHT or pitch <= _SHRINK_FLOOR:
            return layout
        pitch -= 1


def _layout(habits: int, first_monday: date, weeks: int, pitch: float) -> HeatmapLayout:
    square = pitch - max(2.0, round(pitch * 0.14))
    grid_left = float(_MARGIN_X + _WEEKDAY_COL)
    grid_right = grid_left + (weeks - 1) * pitch + square
    beside_left = grid_right + _BESIDE_GAP
    text_beside = WIDTH - _MARGIN_X - beside_left >= _BESIDE_MIN_WIDTH
    text_left = beside_left if text_beside else float(_MARGIN_X)

    y = float(_TOP + _TITLE_H)
    legend_top = y
    y += _LEGEND_H + _LEGEND_GAP
    panel_tops: list[float] = []
    grid_tops: list[float] = []
    for index in range(habits):
        if index:
            y += _PANEL_GAP
        panel_tops.append(y)
        if not text_beside:
            y += _NAME_H + _SUMMARY_H
        y += _WEEK_LABEL_H
        grid_tops.append(y)
        y += 6 * pitch + square
    return HeatmapLayout(
        width=WIDTH,
        height=math.ceil(y + _BOTTOM),
        first_monday=first_monday,
        weeks=weeks,
        pitch=pitch,
        square=square,
        grid_left=grid_left,
        grid_tops=tuple(grid_tops),
        panel_tops=tuple(panel_tops),
        legend_top=legend_top,
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


def _week_labels(layout: HeatmapLayout, lang: str, font: FontProperties) -> list[tuple[int, str]]:
    """(column, text) pairs: "6 Sep" where a month starts (and on the first column), else
    just the day number; labels that would overlap an already placed one are left out."""
    months = _MONTHS["id" if lang == "id" else "en"]
    mondays = [layout.first_monday + timedelta(weeks=column) for column in range(layout.weeks)]
    changes = [c for c in range(1, layout.weeks) if mondays[c].month != mondays[c - 1].month]
    candidates: list[tuple[int, str]] = [
        (c, f"{mondays[c].day} {months[mondays[c].month - 1]}") for c in changes
    ]
    candidates.append((0, f"{mondays[0].day} {months[mondays[0].month - 1]}"))
    candidates.append((0, str(mondays[0].day)))
    candidates += [(c, str(mondays[c].day)) for c in range(1, layout.weeks) if c not in changes]
    placed: dict[int, tuple[str, float, float]] = {}
    gap = 8.0
    for column, text in candidates:
        if column in placed:
            continue
        center = layout.grid_left + column * layout.pitch + layout.square / 2
        half = _text_width(text, font) / 2
        left, right = center - half, center + half
        if left < _MARGIN_X / 2 or right > layout.width - _MARGIN_X / 2:
            continue
        if all(right + gap <= lo or left >= hi + gap for _, lo, hi in placed.values()):
            placed[column] = (text, left, right)
    return [(column, placed[column][0]) for column in sorted(placed)]


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
) -> bytes:
    """A PNG calendar heatmap of the period [start, end], one panel per row (habit).

    `labels` gives the weekday row labels ("mon".."sun") and the legend texts ("done",
    "partial", "missed", "skipped", "off", "open"; optionally "today", which adds the
    today outline to the legend); other missing keys fall back to English.
    Week columns are labelled with their Monday's date, month names in Indonesian when
    `lang` is "id". `today` gets a dark outline when it lies inside the period.
    The image is 1200 px wide at 150 dpi; its height grows with the number of rows.
    """
    layout = heatmap_layout(len(rows), start=start, end=end)
    with _RENDER_LOCK:
        return _render(rows, layout, start, end, today, title, labels, lang)


def _render(
    rows: Sequence[HeatmapRow],
    layout: HeatmapLayout,
    start: date,
    end: date,
    today: date,
    title: str,
    labels: Mapping[str, str],
    lang: str,
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

        def draw_text(x: float, y: float, text: str, font: FontProperties, **kw: Any) -> None:
            ax.text(x, y, text, fontproperties=font, parse_math=False, usetex=False, **kw)

        heading, font = _fit(drawable_text(title, bold=True), text_width, _TITLE_PT, bold=True)
        draw_text(_MARGIN_X, _TOP, heading, font, color=_INK, va="top", ha="left")

        # Legend: one line of swatch + text items, shrunk to fit the width if need be.
        swatch = 22.0
        legend_items: list[Cell | None] = list(_LEGEND_ORDER)
        if labels.get("today"):
            legend_items.append(None)  # the outline marking today
        legend_texts = [label(item.value if item else "today") for item in legend_items]
        size = _LEGEND_PT
        while True:
            legend_font = _font(size)
            widths = [_text_width(t, legend_font) for t in legend_texts]
            total = sum(widths) + len(widths) * (swatch + 10) + (len(widths) - 1) * 26
            if total <= text_width or size <= _MIN_PT:
                break
            size -= 0.5
        legend_patches: list[Patch] = []
        x = float(_MARGIN_X)
        middle = layout.legend_top + _LEGEND_H / 2
        for item, text, text_w in zip(legend_items, legend_texts, widths, strict=True):
            if item is None:
                legend_patches.append(_today_patch(x, middle - swatch / 2, swatch))
            else:
                legend_patches.append(_cell_patch(item, x, middle - swatch / 2, swatch))
            if item is Cell.MISSED:
                _missed_marks(ax, [(x + swatch / 2, middle)], swatch * 1.5)
            draw_text(
                x + swatch + 10, middle, text, legend_font, color=_MUTED, va="center_baseline"
            )
            x += swatch + 10 + text_w + 26

        # Panels.
        label_font = _font(_LABEL_PT)
        weekday_texts = [label(key) for key in _WEEKDAY_KEYS]
        weekday_pt = min(_LABEL_PT, layout.pitch / 2.6)  # rows closer than the text: shrink
        fitted = [_fit(t, _WEEKDAY_COL - 10, weekday_pt) for t in weekday_texts]
        week_labels = _week_labels(layout, lang, label_font)
        squares: list[Patch] = legend_patches
        missed: list[tuple[float, float]] = []
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

            grid_top = layout.grid_tops[index]
            label_y = grid_top - 9
            for column, text in week_labels:
                x = layout.grid_left + column * layout.pitch + half
                draw_text(x, label_y, text, label_font, color=_MUTED, ha="center", va="baseline")
            for weekday, (text, font) in enumerate(fitted):
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
                    x, y = layout.square_origin(index, day)
                    squares.append(_cell_patch(cell, x, y, layout.square))
                    if cell is Cell.MISSED:
                        missed.append((x + half, y + half))
                day += timedelta(days=1)
            if start <= today <= end:
                x, y = layout.square_origin(index, today)
                squares.append(_today_patch(x, y, layout.square))
        ax.add_collection(PatchCollection(squares, match_original=True, zorder=2))
        _missed_marks(ax, missed, layout.square)

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


def _cell_patch(cell: Cell, x: float, y: float, side: float) -> FancyBboxPatch:
    face = CELL_COLORS[cell]
    edge = _OPEN_EDGE if cell is Cell.OPEN else face
    return _square(x, y, side, facecolor=face, edgecolor=edge, linewidth=0.8)


def _today_patch(x: float, y: float, side: float) -> FancyBboxPatch:
    """A dark outline just around the square at (x, y)."""
    return _square(
        x - 1.5, y - 1.5, side + 3, facecolor="none", edgecolor=_TODAY_EDGE, linewidth=1.8
    )


def _missed_marks(ax: Axes, centers: list[tuple[float, float]], side: float) -> None:
    """A small "×" in missed squares, so they do not rely on red/green alone."""
    if not centers:
        return
    xs, ys = zip(*centers, strict=True)
    ax.scatter(
        xs, ys, s=(side * 0.3 * 72 / DPI) ** 2, marker="x", c=_MISSED_MARK, linewidths=1.3, zorder=3
    )
