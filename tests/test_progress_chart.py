"""/progres's picture end to end: what the bot asks `render_heatmap` to draw (the period, the
line under each habit's name, the note under the title) and the caption it sends with it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import core.charts
from storage.models import Cohort
from tests.harness import Clock, RunningBot, texts
from tests.planning import joined_person, write_plan


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every call of `render_heatmap` the bot makes, by keyword (it still draws)."""
    calls: list[dict[str, Any]] = []
    real = core.charts.render_heatmap

    def spy(rows: Any, **kwargs: Any) -> bytes:
        calls.append({"rows": list(rows), **kwargs})
        return real(rows, **kwargs)

    monkeypatch.setattr(core.charts, "render_heatmap", spy)
    return calls


async def test_the_line_under_each_habit_says_which_number_is_the_streak(
    bot: RunningBot, drawn: list[dict[str, Any]]
) -> None:
    """Friday 3 September 2021, the second day of a cohort of 2 September - 25 October: both
    habits done today."""
    budi = await joined_person(bot)
    await write_plan(budi)
    await budi.send("/lapor")
    await budi.press("Apel pagi")
    await budi.press("Membaca")
    await budi.send("12")

    out = await budi.send_and_wait("/progres", 2)
    [picture] = drawn
    assert [row.summary for row in picture["rows"]] == [
        "🔥 beruntun 1 hari · 30 hari 100% · kekuatan 5%",
        "🔥 beruntun 1 hari · 30 hari 100% · kekuatan 5%",
    ]
    assert (picture["start"], picture["end"], picture["note"]) == (
        date(2021, 9, 2),
        date(2021, 10, 25),
        "",
    )  # a cohort of eight weeks is drawn whole
    assert [r.text for r in out if r.method == "sendPhoto"] == [
        "Peta kebiasaan Anda selama masa pelatihan."
    ]

    await budi.send("/bahasa en")
    await budi.send_and_wait("/progress", 2)
    assert [row.summary for row in drawn[1]["rows"]] == [
        "🔥 streak 1 day · 30 days 100% · strength 5%",
        "🔥 streak 1 day · 30 days 100% · strength 5%",
    ]


async def test_a_long_cohort_is_drawn_as_its_last_26_weeks_and_says_so(
    bot: RunningBot,
    db: async_sessionmaker[AsyncSession],
    clock: Clock,
    drawn: list[dict[str, Any]],
) -> None:
    """A cohort of two years, looked at nine months in: the picture keeps its squares big by
    drawing the 26 weeks up to today, and says so under its title and in the caption; the
    summary's figures still count from the start."""
    budi = await joined_person(bot)
    await write_plan(budi)
    async with db.begin() as session:
        await session.execute(update(Cohort).values(ends_on=date(2023, 8, 31)))
    clock.now = datetime(2022, 6, 1, 1, 0, tzinfo=UTC)  # Wednesday 1 June 2022, 09:00 WITA

    out = await budi.send_and_wait("/progres", 2)
    [picture] = drawn
    # Monday 6 December 2021 to Sunday 5 June 2022: 26 weeks, today's the last.
    assert (picture["start"], picture["end"]) == (date(2021, 12, 6), date(2022, 6, 5))
    assert sorted(picture["rows"][0].cells) == [
        date(2021, 12, 6) + timedelta(days=n) for n in range(182)
    ]
    assert picture["note"] == (
        "26 minggu terakhir: 6 Des 2021 – 5 Jun 2022 · semua laporan Anda ada di /dataku"
    )
    assert [r.text for r in out if r.method == "sendPhoto"] == [
        "Peta kebiasaan Anda, 26 minggu terakhir. Angka di atas menghitung seluruh masa "
        "pelatihan; semua laporan Anda ada di /dataku."
    ]
    assert "sejak awal: 0%" in texts(out)[0]

    await budi.send("/bahasa en")
    out = await budi.send_and_wait("/progress", 2)
    assert drawn[1]["note"] == (
        "The last 26 weeks: 6 Dec 2021 – 5 Jun 2022 · all your check-ins are in /mydata"
    )
    assert [r.text for r in out if r.method == "sendPhoto"] == [
        "Your habit map, the last 26 weeks. The figures above count the whole training "
        "period; all your check-ins are in /mydata."
    ]
