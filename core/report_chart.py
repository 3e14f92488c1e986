"""The /rekap chart: 7-day completion per participant as horizontal bars (PNG).

matplotlib's object-oriented API on the Agg canvas, as in `core.charts` (whose render lock it
shares: matplotlib's caches are not thread-safe). Import this module lazily and call
`render_completion` from a worker thread. Readable on a phone: one bar per participant, the
lowest first (those to nudge), each with its percentage written beside it; the bands are
told apart by hatching as well as by colour, and a dashed line marks the cohort's figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch

from core.charts import _RENDER_LOCK, DPI, WIDTH, canvas_png, drawable_text
from core.pictures import Bar

_ROW_PX = 46
_MIN_ROW_PX = 22
_MAX_HEIGHT = 2560  # Telegram scales larger photos down
_HEAD_PX = 170
_FOOT_PX = 70
_NAME_CHARS = 30
_INK = "#1f2328"
_MUTED = "#59636e"
# (lower bound, colour, hatch, legend key): colour-blind safe, and hatched too.
BANDS = (
    (0.8, "#0969da", "", "high"),
    (0.5, "#bf8700", "//", "middle"),
    (0.0, "#cf222e", "xx", "low"),
)


def band(value: float) -> tuple[float, str, str, str]:
    return next(b for b in BANDS if value >= b[0])


def _font(size: float, bold: bool = False) -> FontProperties:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return FontProperties(
        fname=str(Path(matplotlib.get_data_path(), "fonts", "ttf", name)), size=size
    )


_TITLE_CHARS = 62  # what fits in 1200 px at 15 pt bold


def _short(text: str, limit: int = _NAME_CHARS) -> str:
    text = drawable_text(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_completion(
    bars: Sequence[Bar],
    *,
    title: str,
    subtitle: str,
    average: float | None,
    average_label: str,
    no_data: str,
    legend: dict[str, str],
) -> bytes:
    """A PNG, 1200 px wide, one row per bar, lowest value at the top (no data last).

    `legend` names the bands ("high" ≥ 80 %, "middle" ≥ 50 %, "low"); `average` (0..1, or
    None) is drawn as a dashed line labelled `average_label`; bars without a value say
    `no_data`."""
    if not bars:
        raise ValueError("a chart needs at least one bar")
    ordered = sorted(bars, key=lambda b: (b.value is None, b.value or 0.0, b.label.casefold()))
    row_px = max(_MIN_ROW_PX, min(_ROW_PX, (_MAX_HEIGHT - _HEAD_PX - _FOOT_PX) // len(ordered)))
    height = _HEAD_PX + _FOOT_PX + row_px * len(ordered)
    label_pt = max(6.5, min(10.5, row_px / 4.4))
    with _RENDER_LOCK:
        figure = Figure(figsize=(WIDTH / DPI, height / DPI), dpi=DPI, facecolor="white")
        figure.set_layout_engine("none")
        canvas = FigureCanvasAgg(figure)
        try:
            left, right = 0.36, 0.9
            bottom = _FOOT_PX / height
            top = 1 - _HEAD_PX / height
            ax = figure.add_axes((left, bottom, right - left, top - bottom))
            figure.text(
                0.03,
                1 - 24 / height,
                _short(drawable_text(title, bold=True), _TITLE_CHARS),
                fontproperties=_font(15, True),
                color=_INK,
                va="top",
                parse_math=False,
            )
            figure.text(
                0.03,
                1 - 70 / height,
                drawable_text(subtitle),
                fontproperties=_font(10.5),
                color=_MUTED,
                va="top",
                parse_math=False,
            )
            positions = list(range(len(ordered)))
            values = [b.value or 0.0 for b in ordered]
            colours = [
                band(v)[1] if b.value is not None else "none"
                for b, v in zip(ordered, values, strict=True)
            ]
            hatches = [
                band(v)[2] if b.value is not None else ""
                for b, v in zip(ordered, values, strict=True)
            ]
            drawn = ax.barh(positions, values, height=0.66, color=colours, edgecolor=colours)
            for patch, hatch in zip(drawn.patches, hatches, strict=True):
                patch.set_hatch(hatch)
                patch.set_edgecolor("white" if hatch else patch.get_facecolor())
            ax.set_xlim(0, 1.0)
            ax.set_ylim(len(ordered) - 0.5, -0.5)  # first bar on top
            ax.set_yticks(positions)
            ax.set_yticklabels(
                [_short(b.label) for b in ordered], fontproperties=_font(label_pt), color=_INK
            )
            ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
            ax.set_xticklabels(
                ["0%", "25%", "50%", "75%", "100%"], fontproperties=_font(9), color=_MUTED
            )
            ax.tick_params(axis="y", length=0)
            ax.grid(axis="x", color="#e3e6ea", linewidth=0.8)
            ax.set_axisbelow(True)
            for side in ("top", "right", "left"):
                ax.spines[side].set_visible(False)
            for position, bar in zip(positions, ordered, strict=True):
                shown = no_data if bar.value is None else f"{round(bar.value * 100)}%"
                x = 0.01 if bar.value is None else bar.value + 0.01
                ax.text(
                    x,
                    position,
                    shown,
                    fontproperties=_font(label_pt, bar.value is not None),
                    color=_INK if bar.value is not None else _MUTED,
                    va="center",
                    ha="left",
                    parse_math=False,
                    clip_on=False,
                    zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
                )
            if average is not None:
                ax.axvline(average, color=_INK, linestyle="--", linewidth=1.2, zorder=3)
                ax.text(
                    average,
                    -0.5,
                    f" {drawable_text(average_label)} {round(average * 100)}%",
                    fontproperties=_font(9, True),
                    color=_INK,
                    va="bottom",
                    ha="center",
                    parse_math=False,
                    clip_on=False,
                )
            handles = [
                Patch(
                    facecolor=colour,
                    edgecolor="white",
                    hatch=hatch,
                    label=drawable_text(legend.get(key, key)),
                )
                for _, colour, hatch, key in BANDS
            ]
            figure.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(0.03, 1 - 104 / height),
                ncols=3,
                frameon=False,
                prop=_font(9.5),
                handlelength=2.2,
                borderaxespad=0,
            )
            return canvas_png(canvas)
        finally:
            figure.clear()
