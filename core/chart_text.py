"""Text on the charts: the font, what it can draw, how wide a text is, and making it fit.

Every chart draws with the DejaVu Sans shipped inside matplotlib, whatever the local fonts or
matplotlibrc say, so that a picture looks the same on every machine. Characters that font
cannot draw (emoji, most symbols outside the Basic Multilingual Plane) are dropped from the
drawn text rather than shown as boxes (`drawable_text`). Widths are measured without drawing
and cached, so that a long name can be shrunk, wrapped or cut with "…" before anything is
placed. Kept apart from the heatmap so that every chart (`core.report_chart` too) can share it.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

DPI = 150  # of every chart; text extents depend on it
_ELLIPSIS = "…"
_MIN_PT = 7.0  # the smallest font size `_fit` shrinks to, in points


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
