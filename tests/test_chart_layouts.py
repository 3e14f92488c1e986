"""The habit heatmap's layout: long periods wrapped into strips that fit, years in the labels,
month names where the month changes, a legend of what is drawn."""

from __future__ import annotations

import itertools
import warnings
from datetime import date, timedelta

import pytest

from core.charts import (
    WIDTH,
    Cell,
    HeatmapRow,
    _font,
    _text_width,
    heatmap_layout,
    legend_keys,
    render_heatmap,
    strip_year_labels,
    strip_years,
    week_labels,
)
from tests.charting import (
    END,
    LABELS_ID,
    START,
    TODAY,
    days,
    label_texts,
    png_size,
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
