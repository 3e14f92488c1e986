"""The habit heatmap: a real PNG of the right size, colours where the layout says, no warnings;
long periods wrapped into strips that fit, years in the labels, a legend of what is drawn."""

from __future__ import annotations

import io
import itertools
import struct
import warnings
from datetime import date, timedelta

import numpy as np
import pytest
from matplotlib.image import imread
from numpy.typing import NDArray

from core.charts import (
    CELL_COLORS,
    WIDTH,
    Cell,
    HeatmapLayout,
    HeatmapRow,
    _font,
    _text_width,
    drawable_text,
    heatmap_layout,
    legend_keys,
    render_heatmap,
    strip_year_labels,
    strip_years,
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


def label_texts(layout: HeatmapLayout, lang: str) -> list[str]:
    return [label.text for label in week_labels(layout, lang, _font(10))]


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
SEVEN_WEEKS = (date(2026, 11, 2), date(2026, 12, 20), date(2026, 11, 25))
SIX_MONTHS = (date(2026, 9, 1), date(2027, 2, 28), date(2026, 12, 10))
TWO_YEARS = (date(2025, 9, 1), date(2027, 8, 31), date(2026, 12, 10))


@pytest.mark.parametrize("period", [SEVEN_WEEKS, SIX_MONTHS, TWO_YEARS])
@pytest.mark.parametrize("habits", [1, 3, 5])
def test_every_period_fits_the_image_with_squares_apart(
    period: tuple[date, date, date], habits: int
) -> None:
    start, end, _ = period
    layout = heatmap_layout(habits, start=start, end=end)

    # Every square lies inside the image, clear of the margins, none on top of another.
    right = layout.grid_left + (layout.strip_weeks - 1) * layout.pitch + layout.square
    assert right <= WIDTH - 40
    assert layout.strips * layout.strip_weeks >= layout.weeks
    for panel in range(habits):
        for day in (start, end):
            x, y = layout.square_origin(panel, day)
            assert x >= 40 and x + layout.square <= WIDTH - 40 and y + layout.square < layout.height
    assert layout.height <= 2560
    if habits == 1:
        assert layout.pitch >= 30  # readable on a phone, wrapped into strips if need be


def test_a_long_period_wraps_into_strips_each_with_its_year() -> None:
    start, end, _ = TWO_YEARS
    layout = heatmap_layout(1, start=start, end=end)

    assert (layout.weeks, layout.strips, layout.strip_weeks) == (105, 3, 35)
    assert layout.pitch >= 30
    assert strip_years(layout) == [2025, 2026, 2027]
    texts = label_texts(layout, "en")
    assert "5 Jan 2026" in texts  # the first Monday of a new year inside a strip
    assert texts[0] == "1 Sep" and "4 Jan" in texts and "4 May" in texts  # strips' first weeks
    # The Monday of each strip's first column, left to right, the year before it.
    firsts = [w for w in week_labels(layout, "en", _font(10)) if w.column % 35 == 0]
    assert [w.text for w in firsts] == ["1 Sep", "4 May", "4 Jan"]
    # No label runs into the next one of its strip, or off the grid.
    labels = week_labels(layout, "id", _font(10))
    for one, two in itertools.pairwise(labels):
        if one.column // 35 == two.column // 35:
            assert one.left + _text_width(one.text, _font(10)) < two.left
    assert all(layout.grid_left <= w.left for w in labels)
    assert all(w.left + _text_width(w.text, _font(10)) <= WIDTH - 20 for w in labels)


def test_six_months_over_a_year_end_stay_in_one_strip_and_name_the_new_year() -> None:
    start, end, _ = SIX_MONTHS
    layout = heatmap_layout(3, start=start, end=end)

    assert layout.strips == 1 and layout.weeks == 26
    assert strip_years(layout) == [2026]
    assert "4 Jan 2027" in label_texts(layout, "id")
    assert "7 Des" in label_texts(layout, "id") and "7 Dec" in label_texts(layout, "en")


def rows_with(*cells: dict[date, Cell]) -> list[HeatmapRow]:
    return [HeatmapRow(f"Kebiasaan {n}", c, "") for n, c in enumerate(cells)]


def test_the_legend_lists_the_states_drawn_and_today() -> None:
    start, end, today = SEVEN_WEEKS
    weekend = {d: Cell.OFF for d in days(start, end) if d.weekday() >= 5}
    first_week = {d: Cell.BEFORE for d in days(start, start + timedelta(days=6))}
    done = {start + timedelta(days=7): Cell.DONE, start + timedelta(days=8): Cell.MISSED}

    keys = legend_keys(rows_with(weekend, first_week | done), start=start, end=end, today=today)
    assert keys == ["done", "missed", "off", "before", "open", "today"]
    after = legend_keys(rows_with(done), start=start, end=end, today=end + timedelta(days=1))
    assert after == ["done", "missed", "open"]  # today outside the period: no today entry


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("period", [SEVEN_WEEKS, SIX_MONTHS, TWO_YEARS])
def test_long_and_short_periods_render_with_every_state(
    period: tuple[date, date, date], lang: str
) -> None:
    start, end, today = period
    states = [Cell.DONE, Cell.PARTIAL, Cell.MISSED, Cell.SKIPPED, Cell.OFF, Cell.BEFORE]
    cells = {d: states[n % 6] for n, d in enumerate(days(start, today - timedelta(days=1)))}
    rows = [HeatmapRow(f"Kebiasaan {n}", cells, "🔥 5 hari") for n in range(5)]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = render_heatmap(
            rows, start=start, end=end, today=today, title="Peta", labels=LABELS_ID, lang=lang
        )

    width, height = png_size(png)
    assert width == 1200 and height <= 2560


MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
EIGHT_WEEKS = (START, END, TODAY)
LABEL_LAYOUTS = [
    pytest.param(period, habits, id=f"{name}-{habits}")
    for name, period in [
        ("8w", EIGHT_WEEKS),
        ("7w", SEVEN_WEEKS),
        ("6m", SIX_MONTHS),
        ("2y", TWO_YEARS),
    ]
    for habits in (1, 2, 5)
]


def read_label(text: str, lang: str) -> tuple[int | None, int | None, int | None]:
    """(day, month, year) a label names; None for what it leaves out."""
    day = month = year = None
    for word in text.split():
        if word in MONTHS[lang]:
            month = MONTHS[lang].index(word) + 1
        elif len(word) == 4:
            year = int(word)
        else:
            day = int(word)
    return day, month, year


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(("period", "habits"), LABEL_LAYOUTS)
def test_every_week_label_names_its_month_when_the_month_changes(
    period: tuple[date, date, date], habits: int, lang: str
) -> None:
    """Read left to right, each label with the one before it (the strip's year before the
    first) gives its Monday's full date: never "23 · 7" for 23 November and 7 December."""
    start, end, _ = period
    layout = heatmap_layout(habits, start=start, end=end)
    labels = week_labels(layout, lang, _font(10))
    years = strip_years(layout)

    for strip in range(layout.strips):
        shown = [w for w in labels if w.column // layout.strip_weeks == strip]
        assert shown[0].column == strip * layout.strip_weeks  # every strip starts labelled
        month, year = None, years[strip]
        for label in shown:
            monday = layout.first_monday + timedelta(weeks=label.column)
            day, named_month, named_year = read_label(label.text, lang)
            month, year = named_month or month, named_year or year
            assert (month, year) == (monday.month, monday.year), (label.text, monday)
            assert day in (None, monday.day), (label.text, monday)
            assert day is not None or named_month is not None  # never a bare year


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(("period", "habits"), LABEL_LAYOUTS)
def test_no_label_runs_into_another_or_off_its_room(
    period: tuple[date, date, date], habits: int, lang: str
) -> None:
    """Bounding boxes of the labels over the weeks and of the years before the strips: at
    least 12 px apart, 18 px around a year (never "5 Jan 2026 26"), inside the image and, when
    the habit's name stands beside the grid, clear of it."""
    start, end, _ = period
    layout = heatmap_layout(habits, start=start, end=end)
    font, bold = _font(10), _font(10, bold=True)
    boxes = [
        (w.column // layout.strip_weeks, w.left, w.left + _text_width(w.text, font), w.text)
        for w in week_labels(layout, lang, font)
    ]
    boxes += [
        (w.column // layout.strip_weeks, w.left, w.left + _text_width(w.text, bold), w.text)
        for w in strip_year_labels(layout, bold)
    ]
    assert [text for *_, text in boxes[-layout.strips :]] == [str(y) for y in strip_years(layout)]

    for strip in range(layout.strips):
        row = sorted(box[1:] for box in boxes if box[0] == strip)
        for (_, right, text), (left, _, after) in itertools.pairwise(row):
            gap = 18 if any(len(w) == 4 for w in (text + " " + after).split()) else 12
            assert left - right >= gap, (text, after, left - right)
        assert row[0][0] >= 15  # the year, left of the weekday names
        right_edge = layout.text_left - 18 if layout.text_beside else WIDTH - 20
        assert row[-1][1] <= right_edge


def test_crowded_long_periods_keep_month_names_and_room_around_years() -> None:
    """The cases a reviewer found: five habits over two years lost month names ("23 · 7" for
    7 December, a strip starting at a bare "7"), two habits ran "5 Jan 2026" into "26"."""
    start, end, _ = TWO_YEARS
    five = heatmap_layout(5, start=start, end=end)
    assert five.pitch < 22  # too close for "7 Des" at every month: the months alone
    strips = [
        [w.text for w in week_labels(five, "id", _font(10)) if w.column // 53 == n] for n in (0, 1)
    ]
    assert strips[0][:7] == ["Sep", "Okt", "Nov", "Des", "Jan 2026", "Feb", "Mar"]
    assert strips[1][:3] == ["Sep", "Okt", "Nov"]
    two = heatmap_layout(2, start=start, end=end)
    labels = week_labels(two, "en", _font(10))
    [new_year] = [w for w in labels if w.text == "5 Jan 2026"]
    after = labels[labels.index(new_year) + 1]
    assert after.text == "2 Feb"  # "26" (26 January) is left out rather than run into it
    assert after.left - (new_year.left + _text_width(new_year.text, _font(10))) >= 18
    six = heatmap_layout(5, start=SIX_MONTHS[0], end=SIX_MONTHS[1])
    assert label_texts(six, "en") == [
        "31 Aug", "21 Sep", "5 Oct", "19", "2 Nov", "16", "23", "7 Dec", "4 Jan 2027", "1 Feb",
        "15", "22",
    ]  # fmt: skip
