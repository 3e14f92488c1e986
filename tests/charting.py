"""The heatmap tests' period, labels and helpers: sample rows, rendering with warnings as
errors, reading the PNG back."""

from __future__ import annotations

import io
import struct
import warnings
from datetime import date, timedelta

import numpy as np
from matplotlib.image import imread
from numpy.typing import NDArray

from core.charts import (
    Cell,
    HeatmapLayout,
    HeatmapRow,
    _font,
    render_heatmap,
    week_labels,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2021, 9, 1)  # a Wednesday
END = START + timedelta(weeks=8) - timedelta(days=1)  # 8 weeks: 1 Sep - 26 Oct 2021
TODAY = date(2021, 10, 8)  # a Friday
LABELS_ID = {
    "mon": "Sen",
    "tue": "Sel",
    "wed": "Rab",
    "thu": "Kam",
    "fri": "Jum",
    "sat": "Sab",
    "sun": "Min",
    "done": "Selesai",
    "partial": "Sebagian",
    "missed": "Terlewat",
    "skipped": "Dilewati",
    "off": "Tidak terjadwal",
    "before": "Belum direncanakan",
    "open": "Belum diisi",
    "today": "Hari ini",
}
LONG_NAME = ("Membaca buku kepemimpinan 20 menit setiap pagi 📚 sebelum berangkat kerja, lalu cat")[
    :80
]


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def sample_row(index: int, start: date = START, end: date = END) -> HeatmapRow:
    cycle = [Cell.DONE, Cell.DONE, Cell.PARTIAL, Cell.MISSED, Cell.DONE, Cell.SKIPPED, Cell.OFF]
    cells = {day: cycle[(n + index) % 7] for n, day in enumerate(days(start, end)) if day < TODAY}
    return HeatmapRow(f"Kebiasaan {index + 1}", cells, f"🔥 {index} hari · 80% · kekuatan 42%")


def render(rows: list[HeatmapRow], start: date = START, end: date = END, **kw: str) -> bytes:
    """Render with every warning turned into an error (e.g. matplotlib's "Glyph missing")."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render_heatmap(
            rows,
            start=start,
            end=end,
            today=TODAY,
            title=kw.get("title", "Kebiasaan Budi · 1 Sep – 26 Okt 2021"),
            labels=LABELS_ID,
            lang=kw.get("lang", "id"),
        )


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def decode(png: bytes) -> NDArray[np.float32]:
    pixels: NDArray[np.float32] = imread(io.BytesIO(png), format="png")
    return pixels


def rgb(hex_colour: str) -> NDArray[np.float64]:
    return np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def pixel(image: NDArray[np.float32], x: float, y: float) -> NDArray[np.float64]:
    return np.asarray(image[round(y), round(x), :3], dtype=np.float64)


def label_texts(layout: HeatmapLayout, lang: str) -> list[str]:
    return [label.text for label in week_labels(layout, lang, _font(10))]
