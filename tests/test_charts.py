"""The habit heatmap: a real PNG of the right size, colours where the layout says, no warnings;
week labels in the reader's language, bad input refused."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import numpy as np
import pytest
from numpy.typing import NDArray

from core.charts import (
    CELL_COLORS,
    WIDTH,
    Cell,
    HeatmapRow,
    drawable_text,
    heatmap_layout,
    render_heatmap,
    strip_years,
)
from tests.charting import (
    END,
    LONG_NAME,
    START,
    TODAY,
    decode,
    label_texts,
    pixel,
    png_size,
    render,
    rgb,
    sample_row,
)


def test_one_habit_is_a_png_of_the_layouts_size() -> None:
    png = render([sample_row(0)])

    width, height = png_size(png)
    layout = heatmap_layout(1, start=START, end=END)
    assert (width, height) == (WIDTH, layout.height) == (1200, layout.height)
    assert 400 < height < 1000
    image = decode(png)
    assert image.shape[:2] == (height, width)
    assert np.allclose(image[2, 2, :3], 1.0)  # white background
    assert np.allclose(image[-2, -2, :3], 1.0)


def test_height_grows_with_the_number_of_habits_and_fits_telegram() -> None:
    heights = [png_size(render([sample_row(i) for i in range(n)]))[1] for n in (1, 2, 5)]

    assert heights[0] < heights[1] < heights[2] <= 2560
    assert heights == [heatmap_layout(n, start=START, end=END).height for n in (1, 2, 5)]


def test_five_habits_decode_with_the_expected_size() -> None:
    png = render([sample_row(i) for i in range(5)])

    layout = heatmap_layout(5, start=START, end=END)
    assert decode(png).shape[:2] == (layout.height, 1200)
    assert layout.text_beside  # short period: name and summary sit beside the grid
    assert layout.grid_left + layout.weeks * layout.pitch < layout.text_left


def test_a_sixteen_week_period_fits_the_width() -> None:
    end = START + timedelta(weeks=16) - timedelta(days=1)
    rows = [sample_row(i, end=end) for i in range(5)]

    png = render(rows, end=end)

    layout = heatmap_layout(5, start=START, end=end)
    assert layout.weeks == 17  # Wednesday to Tuesday: padded to 17 Monday-Sunday columns
    assert not layout.text_beside
    assert layout.grid_left + layout.weeks * layout.pitch <= WIDTH - 30
    assert layout.square >= 30  # still big enough to read on a phone
    assert png_size(png) == (1200, layout.height)
    assert layout.height <= 2560
    assert decode(png).shape[:2] == (layout.height, 1200)


def test_long_indonesian_name_with_emoji_renders_without_warnings() -> None:
    assert len(LONG_NAME) == 80
    row = HeatmapRow(
        LONG_NAME, {START: Cell.DONE}, "🔥 5 hari · 80% · kekuatan 42% · ✅ $5 ¼ 中文 \n café"
    )

    png = render([row, sample_row(1)], title="Kebiasaan 👩🏽‍💻 Budi $x^2$")  # warnings are errors

    assert png_size(png)[0] == 1200


def test_drawable_text_drops_what_dejavu_cannot_draw() -> None:
    assert drawable_text("🔥 5 hari · 80%") == "5 hari · 80%"
    assert drawable_text("Olahraga 💪🏽 pagi") == "Olahraga pagi"
    assert drawable_text("Salat Duha — hari ke-3 (é, ü, ñ)") == "Salat Duha — hari ke-3 (é, ü, ñ)"
    assert drawable_text("tab\there\nnewline") == "tab here newline"
    assert drawable_text("Kebiasaan 👩🏽‍💻 Budi ❤️ x") == "Kebiasaan Budi ❤ x"  # ZWJ, VS16 gone
    assert drawable_text("Olah\xadraga🏃pagi") == "Olahraga pagi"


def test_cells_have_their_colours_at_their_squares() -> None:
    cells = {
        date(2021, 9, 6): Cell.DONE,  # Monday, 2nd column
        date(2021, 9, 7): Cell.MISSED,
        date(2021, 9, 8): Cell.PARTIAL,
        date(2021, 9, 9): Cell.SKIPPED,
        date(2021, 9, 11): Cell.OFF,
    }
    png = render([HeatmapRow("Olahraga", cells, "1 hari")])

    image = decode(png)
    layout = heatmap_layout(1, start=START, end=END)
    side = layout.square

    def colour_at(day: date) -> NDArray[np.float64]:
        x, y = layout.square_center(0, day)
        # Up and left of the centre: clear of the marks ("×", "–", the stroke of a day not
        # due) and in the light upper half of a partly done day.
        return pixel(image, x - 0.3 * side, y - 0.25 * side)

    for day, cell in cells.items():
        assert np.abs(colour_at(day) - rgb(CELL_COLORS[cell])).max() < 0.04, cell
    done, missed = colour_at(date(2021, 9, 6)), colour_at(date(2021, 9, 7))
    assert done[1] > done[0] + 0.3 and done[1] > done[2] + 0.3  # green-ish
    assert missed[0] > missed[1] + 0.2 and missed[0] > missed[2] + 0.2  # red-ish
    # The "×" on a missed day is darker red than the square around it.
    centre = pixel(image, *layout.square_center(0, date(2021, 9, 7)))
    assert centre[0] > centre[1] + 0.3 and centre.sum() < missed.sum() - 0.3
    # Open days (no entry yet) are white inside; padding before the period is not drawn.
    assert np.allclose(colour_at(date(2021, 9, 13)), 1.0, atol=0.02)
    x, y = layout.square_origin(0, date(2021, 8, 30))  # Monday before a Wednesday start
    assert np.allclose(image[round(y) : round(y + side), round(x) : round(x + side), :3], 1.0)
    # Today has a dark outline just outside its square, and is white (open) inside.
    x, y = layout.square_origin(0, TODAY)
    assert pixel(image, x - 1.5, y + side / 2).max() < 0.35
    assert np.allclose(pixel(image, x + side / 2, y + side / 2), 1.0, atol=0.02)
    # A partly done day is full to half way: green below the middle.
    x, y = layout.square_center(0, date(2021, 9, 8))
    assert np.abs(pixel(image, x, y + 0.3 * side) - rgb(CELL_COLORS[Cell.DONE])).max() < 0.04


def test_both_colours_appear_in_a_five_habit_image() -> None:
    image = decode(render([sample_row(i) for i in range(5)]))[:, :, :3]

    def count_near(hex_colour: str) -> int:
        return int((np.abs(image - rgb(hex_colour)).max(axis=2) < 0.03).sum())

    square_area = heatmap_layout(5, start=START, end=END).square ** 2
    assert count_near(CELL_COLORS[Cell.DONE]) > 20 * square_area
    assert count_near(CELL_COLORS[Cell.MISSED]) > 4 * square_area


def test_week_labels_use_indonesian_or_english_month_names() -> None:
    layout = heatmap_layout(1, start=START, end=END)

    # Monday 30 August is the first column and names its month: the next label that fits,
    # 13 September, names the new one.
    assert label_texts(layout, "id") == ["30 Agu", "13 Sep", "27", "4 Okt", "11", "18", "25"]
    assert label_texts(layout, "en") == ["30 Aug", "13 Sep", "27", "4 Oct", "11", "18", "25"]
    assert strip_years(layout) == [2021]
    may = heatmap_layout(1, start=date(2022, 5, 2), end=date(2022, 8, 28))
    assert [t for t in label_texts(may, "id") if " " in t] == ["2 Mei", "6 Jun", "4 Jul", "1 Agu"]


def test_missing_labels_fall_back_and_english_renders() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = render_heatmap(
            [sample_row(0)],
            start=START,
            end=END,
            today=date(2030, 1, 1),  # after the period: nothing outlined
            title="Budi's habits",
            labels={"today": "Today"},
            lang="en",
        )
    assert png_size(png)[0] == 1200


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one habit"):
        render_heatmap([], start=START, end=END, today=TODAY, title="", labels={}, lang="id")
    with pytest.raises(ValueError, match="before it starts"):
        render_heatmap(
            [sample_row(0)], start=END, end=START, today=TODAY, title="", labels={}, lang="id"
        )


# Three cohorts: seven weeks, six months across a year end, two years across two.
