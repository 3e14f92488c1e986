"""The marks for the heatmap's days: a coloured, rounded square per day, and its shape.

Every state has a shape as well as a colour, so nobody has to tell red from green: done is a
full square, partly half full, missed a cross, skipped a dash, a day not due is struck
through, a day before the habit was planned a faint dot, a day still to do an empty box, and
today a dark frame. `_Marks` gathers them and hands each kind to matplotlib as one collection,
since one artist per day would be slow over a long period.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import FancyBboxPatch, Patch

from core.chart_text import DPI
from core.heatmap import Cell

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


def _square(x: float, y: float, side: float, **kwargs: Any) -> FancyBboxPatch:
    radius = side * 0.2
    return FancyBboxPatch(
        (x, y), side, side, boxstyle=f"round,pad=0,rounding_size={radius}", **kwargs
    )


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
