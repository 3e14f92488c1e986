"""CSV imports: every kind of bad file is refused with its line, and nothing of it is written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.imports import (
    ImportRefused,
    apply_materials,
    apply_schedule,
    parse_materials,
    parse_schedule,
)
from storage.models import Material, Session
from tests.conftest import make_cohort

HEADER = "date,start,end,title,speaker,link\n"
GOOD = (
    HEADER + "2021-09-02,08:30,12:00,Pembukaan,Dr. Andi,https://zoom.example/j/1\n"
    '2021-09-03,13:30,15:30,"Integritas, Etos Kerja",,\n'
)


async def test_schedule_times_are_stored_in_utc(db: async_sessionmaker[AsyncSession]) -> None:
    cohort = await make_cohort(db)  # WITA, UTC+8
    rows = parse_schedule(GOOD.encode(), cohort)
    assert rows[0].starts_at == datetime(2021, 9, 2, 0, 30, tzinfo=UTC)
    assert rows[0].ends_at == datetime(2021, 9, 2, 4, 0, tzinfo=UTC)
    assert rows[1].title == "Integritas, Etos Kerja"
    assert rows[1].speaker is None and rows[1].link is None


async def test_excel_bom_and_semicolons_are_accepted(db: async_sessionmaker[AsyncSession]) -> None:
    cohort = await make_cohort(db)
    data = "\ufeff" + GOOD.replace(",", ";").replace('"Integritas; Etos Kerja"', "Integritas")
    rows = parse_schedule(data.encode(), cohort)
    assert [r.title for r in rows] == ["Pembukaan", "Integritas"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "date,start,end,speaker,link\n2021-09-02,08:30,12:00,x,\n",
            "line 1: missing column title",
        ),
        (HEADER + "2021-9-2,08:30,12:00,T,,\n", "line 2: date '2021-9-2' is not YYYY-MM-DD"),
        (
            HEADER + "2021-02-30,08:30,12:00,T,,\n",
            "line 2: 2021-02-30 is not a date that exists (that month has 28 days)",
        ),
        (
            HEADER + "2021-09-02,25:00,26:00,T,,\n",
            "line 2: start 25:00 is not a time that exists (00:00 to 23:59)",
        ),
        (HEADER + "2021-09-02,8h30,12:00,T,,\n", "line 2: start '8h30' is not HH:MM"),
        (HEADER + "2021-09-02,12:00,08:30,T,,\n", "line 2: end 08:30 is not after start 12:00"),
        (
            HEADER + "2021-09-02,08:30,12:00,T,,ftp://x.example/a\n",
            "line 2: link 'ftp://x.example/a'",
        ),
        (HEADER + "2021-09-02,08:30,12:00,T,,zoom dot us\n", "line 2: link 'zoom dot us'"),
        (HEADER + "2021-09-02,08:30,12:00,,,\n", "line 2: title is empty"),
        (HEADER + "2012-09-02,08:30,12:00,T,,\n", "line 2: date 2012-09-02 is outside"),
        (HEADER + "2021-09-02,08:30,12:00,T,,\n2021-09-02,08:30,10:00,U,,\n", "already on line 2"),
        (HEADER + "2021-09-02,08:30,12:00,T\n", "line 2: 4 fields where the header has 6"),
        (HEADER, "the file has a header but no rows"),
        ("", "the file is empty"),
        ("date,start,end,title,tittle\n", "unknown column 'tittle'"),
    ],
)
async def test_bad_schedule_is_refused_naming_the_line(
    db: async_sessionmaker[AsyncSession], body: str, expected: str
) -> None:
    cohort = await make_cohort(db)
    with pytest.raises(ImportRefused) as refused:
        parse_schedule(body.encode(), cohort)
    assert expected in str(refused.value)


async def test_not_utf8_is_refused(db: async_sessionmaker[AsyncSession]) -> None:
    cohort = await make_cohort(db)
    data = (HEADER + "2021-09-02,08:30,12:00,Pembukaan Caf\u00e9,,\n").encode("latin-1")
    with pytest.raises(ImportRefused, match="line 2: the file is not UTF-8"):
        parse_schedule(data, cohort)


async def test_every_problem_is_listed_not_only_the_first(
    db: async_sessionmaker[AsyncSession],
) -> None:
    cohort = await make_cohort(db)
    body = HEADER + "bad,08:30,12:00,T,,\n2021-09-02,08:30,12:00,T,,\n2021-09-03,xx,12:00,U,,\n"
    with pytest.raises(ImportRefused) as refused:
        parse_schedule(body.encode(), cohort)
    assert [p.line for p in refused.value.problems] == [2, 4]


async def count(db: async_sessionmaker[AsyncSession], model: type[Session] | type[Material]) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_importing_twice_updates_instead_of_duplicating(
    db: async_sessionmaker[AsyncSession],
) -> None:
    cohort = await make_cohort(db)
    async with db.begin() as session:
        first = await apply_schedule(session, cohort, parse_schedule(GOOD.encode(), cohort))
    assert (first.added, first.updated) == (2, 0)
    changed = GOOD.replace("Pembukaan", "Pembukaan Pelatihan")
    async with db.begin() as session:
        second = await apply_schedule(session, cohort, parse_schedule(changed.encode(), cohort))
    assert (second.added, second.updated, second.unchanged) == (0, 1, 1)
    assert await count(db, Session) == 2
    async with db() as session:
        titles = set((await session.scalars(select(Session.title))).all())
    assert "Pembukaan Pelatihan" in titles


async def test_replace_removes_sessions_missing_from_the_file(
    db: async_sessionmaker[AsyncSession],
) -> None:
    cohort = await make_cohort(db)
    async with db.begin() as session:
        await apply_schedule(session, cohort, parse_schedule(GOOD.encode(), cohort))
    only_first = GOOD.splitlines(keepends=True)[:2]
    async with db.begin() as session:
        summary = await apply_schedule(
            session, cohort, parse_schedule("".join(only_first).encode(), cohort), replace=True
        )
    assert summary.removed == 1
    assert await count(db, Session) == 1


MATERIALS = (
    "module,title,url\n"
    "Modul 1,Bahan Ajar,https://elearning.example/1.pdf\n"
    "Modul 1,Video,https://elearning.example/v1\n"
    "Modul 2,Lembar Kerja,https://elearning.example/lk.docx\n"
)


async def test_materials_import_and_reimport(db: async_sessionmaker[AsyncSession]) -> None:
    cohort = await make_cohort(db)
    for _ in range(2):
        async with db.begin() as session:
            await apply_materials(session, cohort, parse_materials(MATERIALS.encode()))
    assert await count(db, Material) == 3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("module,title\nM,T\n", "missing column url"),
        ("module,title,url\nM,T,javascript:alert(1)\n", "line 2: url 'javascript:alert(1)'"),
        ("module,title,url\nM,,https://x.example\n", "line 2: title is empty"),
        ("module,title,url\nM,T,https://x.example\nM,T,https://y.example\n", "already on line 2"),
    ],
)
def test_bad_materials_are_refused(body: str, expected: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        parse_materials(body.encode())
    assert expected in str(refused.value)
