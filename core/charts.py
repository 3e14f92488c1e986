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

The pieces live beside this module, each with its own concern: the font and fitting text
(`core.chart_text`), the sizes and the layout arithmetic (`core.heatmap_layout`), the week
labels and the legend (`core.heatmap_labels`), and the marks drawn for the days
(`core.heatmap_marks`). Their public names are importable from here as before.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from PIL import Image

from core.chart_text import DPI, _fit, _font, _text_width, _truncate, _wrap, drawable_text
from core.heatmap import Cell
from core.heatmap_labels import (
    WeekLabel,
    _legend_rows,
    label_limit,
    legend_keys,
    strip_year_labels,
    strip_years,
    week_labels,
)
from core.heatmap_layout import (
    _BESIDE_LINES,
    _LABEL_PT,
    _LEGEND_H,
    _LEGEND_ITEM_GAP,
    _LEGEND_PT,
    _MARGIN_X,
    _NAME_H,
    _NAME_PT,
    _PANEL_GAP,
    _SUMMARY_H,
    _SUMMARY_PT,
    _SWATCH,
    _TITLE_H,
    _TITLE_PT,
    _TOP,
    _WEEKDAY_COL,
    WIDTH,
    HeatmapLayout,
    heatmap_layout,
)
from core.heatmap_marks import CELL_COLORS, _Marks
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


_INK = "#1f2328"
_MUTED = "#59636e"
_RULE = "#e3e6ea"

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
_NAME_MAX_CHARS = 60

_RENDER_LOCK = threading.Lock()


FLAT_COLOURS = 24  # the most used colours of a picture, kept exact in its palette


def canvas_png(canvas: FigureCanvasAgg) -> bytes:
    """The drawn canvas as a PNG of at most 256 colours: a third of the size of a full-colour
    one (a heatmap: 49 KB instead of 164 KB), for phones on weak connections and for the bot
    to upload. The flat colours (background, cells, ink: those covering the most pixels) stay
    exactly as drawn; only the edges' blends are approximated. The quantizing costs the
    drawing process some 60 ms, not the event loop."""
    canvas.draw()  # type: ignore[no-untyped-call]
    pixels = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    image = Image.frombytes("RGB", canvas.get_width_height(), pixels, "raw", "RGBX")
    # The blends: an octree's colours; then the flat colours as the palette's last entries,
    # and every pixel of exactly such a colour pointed at it.
    reduced = image.quantize(256 - FLAT_COLOURS, Image.Quantize.FASTOCTREE)
    rgb = np.asarray(image, dtype=np.uint32)
    keys = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    found, counts = np.unique(keys, return_counts=True)
    flat = found[np.argsort(counts)[::-1][:FLAT_COLOURS]]
    flat.sort()
    where = np.searchsorted(flat, keys).clip(0, len(flat) - 1)
    exact = flat[where] == keys
    indices = np.asarray(reduced).copy()
    indices[exact] = (256 - FLAT_COLOURS + where[exact]).astype(np.uint8)
    palette = (reduced.getpalette() or [])[: 3 * (256 - FLAT_COLOURS)]
    palette += [0] * (3 * (256 - FLAT_COLOURS) - len(palette))
    palette += [int(c >> shift) & 255 for c in flat for shift in (16, 8, 0)]
    reduced = Image.fromarray(indices, mode="P")
    reduced.putpalette(palette)
    buffer = io.BytesIO()
    reduced.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


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

        return canvas_png(canvas)
    finally:
        figure.clear()
