"""Reports on a constructed cohort: today's state in each participant's own zone, 7-day
completion (skips, a habit added mid-week, a removed habit, N a week), the export rows and
files, and that a big cohort takes a handful of queries."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.checkins import spec_of
from core.habits import Entry, Status, habit_stats, local_today
from core.i18n import Catalogs
from core.report_files import csv_bytes, xlsx_bytes
from core.reports import DayState, ExportStatus, Tally, cohort_report, export, habit_tally
from storage.models import ActionPlan, CheckIn, Cohort, Habit, Participant, Reflection
from tests.conftest import make_cohort
from tests.people import new_person
from tests.reportdata import NIP_ANI, NOW, WIB, WIT, WITA, build, d

pytestmark = pytest.mark.databases("sqlite", "postgresql")

NIP_GROUPED = "19800101 200501 1 001"
CATALOGS = Catalogs()


def label_in(lang: str) -> Any:
    def label(key: str, /, **values: object) -> str:
        return CATALOGS.plain(lang, key, **values)

    return label


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def cohort_of(db: async_sessionmaker[AsyncSession], cohort_id: int) -> Cohort:
    async with db() as session:
        cohort = await session.get(Cohort, cohort_id)
        assert cohort is not None
        return cohort


async def test_today_in_each_zone_and_seven_day_completion(
    db: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    built = await build(db)
    cohort = await cohort_of(db, built.cohort_id)
    with counting(engine) as statements:
        async with db() as session:
            report = await cohort_report(session, cohort, NOW)
    assert len(statements) <= 9  # participants, NIPs, habits, check-ins, roster, approvals,
    # milestones, attendance, quizzes (and the follow-up's questions only after the last day;
    # two more for the pre-test and post-test once opened: test_quizzes)
    by_name = {p.name: p for p in report.people}
    assert list(by_name) == ["Ani Lestari", "Budi", "Citra Dewi", "Dedi Kurniawan", "Eka Putri"]
    assert report.today == d(10)  # the cohort's own zone (WITA) is past midnight
    # 23:30 WIB is still Thursday the 9th; WITA and WIT are on Friday the 10th.
    assert {p.name: (p.timezone, p.today) for p in report.people} == {
        "Ani Lestari": (WIB, d(9)),
        "Budi": (WITA, d(10)),
        "Citra Dewi": (WITA, d(10)),
        "Dedi Kurniawan": (WIB, d(9)),
        "Eka Putri": (WIT, d(10)),
    }
    states = {p.name: (p.state, p.done, p.logged, p.due, p.skipped) for p in report.people}
    assert states == {
        "Ani Lestari": (DayState.PARTLY, 1, 1, 2, 0),  # the removed habit is not asked any more
        "Budi": (DayState.COMPLETE, 1, 1, 1, 1),  # a skipped habit is not due
        "Citra Dewi": (DayState.NO_PLAN, 0, 0, 0, 0),
        "Dedi Kurniawan": (DayState.NOTHING_DUE, 0, 0, 0, 0),  # weekends only; it is Thursday
        "Eka Putri": (DayState.NOT_YET, 0, 0, 2, 0),
    }
    assert report.counts == {
        DayState.NOT_YET: 1,
        DayState.PARTLY: 1,
        DayState.NO_PLAN: 1,
        DayState.COMPLETE: 1,
        DayState.NOTHING_DUE: 1,
    }
    weeks = {p.name: p.week for p in report.people}
    # Ani, 3–9 Sep: A1 5 of 6 (the 5th skipped, the 8th missed); A2 1 of 6 (12 ≥ 10 on the
    # 3rd, 5 < 10 on the 4th, nothing after, today open); A0 2 of 3 until its removal.
    assert weeks["Ani Lestari"] == Tally(8, 15)
    # Budi, 4–10 Sep: B1 7 of 7; B2 exists from the 8th: done, not done, skipped.
    assert weeks["Budi"] == Tally(8, 9)
    assert weeks["Citra Dewi"] == Tally(0, 0) and weeks["Citra Dewi"].completion is None
    # Dedi: Saturday done, Sunday missed.
    assert weeks["Dedi Kurniawan"] == Tally(1, 2)
    # Eka: E1 6 of 6 (today open); E2, three a week, 2 done over 6 counted days: due 18/7.
    assert weeks["Eka Putri"].done == 8
    assert weeks["Eka Putri"].due == pytest.approx(6 + 18 / 7)
    assert weeks["Eka Putri"].completion == pytest.approx(8 / (6 + 18 / 7))
    assert report.week.done == 25
    assert report.week.due == pytest.approx(15 + 9 + 2 + 6 + 18 / 7)
    assert [e.name for e in report.not_joined] == ["Fajar Nugroho"]
    assert by_name["Ani Lestari"].nip == NIP_ANI and by_name["Budi"].nip == ""
    assert by_name["Budi"].unit == ""


async def test_one_habit_matches_progress_completion(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """A single habit's figure is /progres's completion over 7 days (core.habits)."""
    built = await build(db)
    async with db() as session:
        rows = (
            await session.execute(
                select(Habit, Participant)
                .join(ActionPlan, ActionPlan.id == Habit.plan_id)
                .join(Participant, Participant.id == ActionPlan.participant_id)
                .where(Habit.removed_at.is_(None))
            )
        ).all()
        entries = list(await session.scalars(select(CheckIn)))
    assert len(rows) == 7
    for habit, participant in rows:
        today = local_today(NOW, participant.timezone)
        mine = {c.day: c for c in entries if c.habit_id == habit.id}
        start = max(habit.created_on, d(1))
        tally = habit_tally(habit, mine, first=start, today=today)
        stats = habit_stats(
            spec_of(habit),
            [Entry(c.day, Status(c.status), c.value) for c in mine.values()],
            start=start,
            today=today,
        )
        assert tally.completion == pytest.approx(stats.completion_7), habit.name
    assert built.habits


async def test_before_the_cohort_starts_nothing_is_due(
    db: async_sessionmaker[AsyncSession],
) -> None:
    built = await build(db)
    cohort = await cohort_of(db, built.cohort_id)
    async with db() as session:
        report = await cohort_report(session, cohort, datetime(2021, 8, 30, 4, tzinfo=UTC))
    states = {p.name: p.state for p in report.people}
    assert states["Citra Dewi"] == DayState.NO_PLAN
    assert {s for n, s in states.items() if n != "Citra Dewi"} == {DayState.NOTHING_DUE}
    assert report.week.completion is None


async def test_export_rows(db: async_sessionmaker[AsyncSession], engine: AsyncEngine) -> None:
    built = await build(db)
    cohort = await cohort_of(db, built.cohort_id)
    with counting(engine) as statements:
        async with db() as session:
            data = await export(session, cohort, NOW)
    assert len(statements) <= 11  # and the reflections (and attendance, quizzes, evaluations)
    rows = data.rows
    # Ani: A0 1–5 Sep (removed on the 6th), A1 and A2 1–9; Budi: B1 1–10, B2 8–10;
    # Dedi: the weekend only; Eka: E1 and E2 1–10; Citra has no plan.
    assert len(rows) == 5 + 9 + 9 + 10 + 3 + 2 + 10 + 10
    names = [r.name for r in rows]
    assert names == sorted(names, key=lambda n: n.casefold())
    assert "Citra Dewi" not in names

    def find(name: str, habit: str) -> dict[date, Any]:
        return {r.day: r for r in rows if r.name == name and r.habit == habit}

    apel = find("Ani Lestari", "Apel pagi")
    assert sorted(apel) == [d(n) for n in range(1, 6)]
    assert [apel[d(n)].status for n in range(1, 6)] == [
        ExportStatus.NOT_LOGGED,
        ExportStatus.NOT_LOGGED,
        ExportStatus.DONE,
        ExportStatus.DONE,
        ExportStatus.NOT_DONE,
    ]
    senyum = find("Ani Lestari", "Senyum sapa")
    assert senyum[d(5)].status == ExportStatus.SKIPPED and senyum[d(5)].reason == "sick"
    assert senyum[d(7)].reflection == "Tim mulai saling menyapa."
    assert senyum[d(8)].status == ExportStatus.NOT_LOGGED
    assert {r.nip for r in rows if r.name == "Ani Lestari"} == {NIP_ANI}
    baca = find("Ani Lestari", "Membaca regulasi")
    assert (baca[d(3)].value, baca[d(3)].target, baca[d(3)].measure) == (12.0, 10.0, "halaman")
    # A number below the target is partly, as on the check-in sheet and in /rekap.
    assert (baca[d(3)].status, baca[d(4)].status) == (ExportStatus.DONE, ExportStatus.PARTLY)
    assert baca[d(4)].value == 5.0
    rapat = find("Budi", "Rapat singkat tim")
    assert sorted(rapat) == [d(8), d(9), d(10)]
    assert rapat[d(10)].status == ExportStatus.SKIPPED and rapat[d(10)].reason == "duty"
    assert sorted(find("Dedi Kurniawan", "Olahraga akhir pekan")) == [d(4), d(5)]
    # Each participant's own today: Eka (WIT) has the 10th, Ani (WIB) stops at the 9th.
    assert max(find("Eka Putri", "Jurnal harian")) == d(10)
    assert max(senyum) == d(9)
    # Within a day, habits come in plan order.
    day3 = [r.habit for r in rows if r.name == "Ani Lestari" and r.day == d(3)]
    assert day3 == ["Apel pagi", "Senyum sapa", "Membaca regulasi"]
    assert data.report.counts[DayState.COMPLETE] == 1


async def test_csv_and_xlsx_files(db: async_sessionmaker[AsyncSession]) -> None:
    built = await build(db)
    cohort = await cohort_of(db, built.cohort_id)
    async with db() as session:
        data = await export(session, cohort, NOW)
    raw = csv_bytes(data, label_in("id"), separator=",")
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == [
        "Nama", "Unit kerja (OPD)", "NIP", "Tanggal", "Kebiasaan", "Satuan", "Target",
        "Nilai", "Status", "Catatan",
    ]  # fmt: skip
    assert len(table) == 1 + len(data.rows)
    assert [
        "Budi", "", "", "2021-09-10", "Rapat singkat tim", "", "", "", "dilewati",
        "Dilewati: dinas luar",
    ] in table  # fmt: skip
    assert [
        "Ani Lestari", "Dinas Kesehatan", NIP_GROUPED, "2021-09-07", "Senyum sapa", "", "", "",
        "selesai", "Refleksi: Tim mulai saling menyapa.",
    ] in table  # fmt: skip
    assert ["Ani Lestari", "Dinas Kesehatan", NIP_GROUPED, "2021-09-03", "Membaca regulasi",
            "halaman", "10", "12", "selesai", ""] in table  # fmt: skip
    assert ["Ani Lestari", "Dinas Kesehatan", NIP_GROUPED, "2021-09-04", "Membaca regulasi",
            "halaman", "10", "5", "sebagian", ""] in table  # fmt: skip

    english_csv = csv_bytes(data, label_in("en"), separator=",")
    english = list(csv.reader(io.StringIO(english_csv.decode("utf-8-sig"))))
    assert english[0][0] == "Name" and english[0][5] == "Unit of measure"
    statuses = {"done", "partly", "not done", "skipped", "not logged"}
    assert {r[8] for r in english[1:]} == statuses  # partly: 5 of 10 pages on 4 September

    book = load_workbook(io.BytesIO(xlsx_bytes(data, label_in("id"))))
    sheet, summary = book.worksheets
    assert sheet.title == "Laporan harian" and summary.title == "Ringkasan"
    assert sheet.freeze_panes == "A2" and summary.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:J{len(data.rows) + 1}"
    assert all(cell.font.bold for cell in sheet[1])
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Nama" and len(values) == len(data.rows) + 1
    budi = [v for v in values if v[0] == "Budi" and v[4] == "Rapat singkat tim"]
    assert budi[-1][3] == datetime(2021, 9, 10)  # a real date
    assert sheet.cell(row=2, column=4).number_format == "yyyy-mm-dd"
    baca = next(v for v in values if v[4] == "Membaca regulasi" and v[3] == datetime(2021, 9, 3))
    assert (baca[6], baca[7]) == (10, 12)  # numbers, not text
    assert sheet.column_dimensions["A"].width >= len("Dedi Kurniawan")
    people = {row[0]: row for row in summary.iter_rows(min_row=2, values_only=True)}
    assert people["Budi"][4] == "lengkap" and people["Budi"][5] == "1/1"  # one habit skipped
    assert people["Ani Lestari"][4] == "sebagian" and people["Ani Lestari"][5] == "1/2"
    assert [c.value for c in summary[1]][5] == "Selesai hari ini"
    assert people["Budi"][6] == pytest.approx(8 / 9)
    assert people["Citra Dewi"][4] == "belum ada rencana" and people["Citra Dewi"][6] is None
    assert people["Fajar Nugroho"][4] == "belum bergabung"
    assert people["Ani Lestari"][2] == NIP_ANI
    assert summary.cell(row=2, column=7).number_format == "0%"


async def test_typed_text_that_looks_like_a_formula_stays_text(
    db: async_sessionmaker[AsyncSession],
) -> None:
    """Names, units, habits and notes are typed by participants: a spreadsheet must show them,
    never run them (a formula, or a broken one Excel refuses to open)."""
    built = await build(db)
    async with db.begin() as session:
        budi = await session.get(Participant, built.participants["Budi"])
        assert budi is not None
        budi.full_name, budi.unit = '=HYPERLINK("http://x.example","klik")', "+62 Dinas"
        habit = await session.get(Habit, built.habits["B1"])
        assert habit is not None
        habit.name = "=1+"
        session.add(Reflection(participant_id=budi.id, day=d(2), text="-hari ini berat"))
    cohort = await cohort_of(db, built.cohort_id)
    async with db() as session:
        data = await export(session, cohort, NOW)
    raw = csv_bytes(data, label_in("id"), separator=";")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    found = [r for r in table if r[3] == "2021-09-02" and r[4] == "'=1+"]
    assert len(found) == 1, [r for r in table if r[3] == "2021-09-02"]
    row = found[0]
    assert row[:2] == ['\'=HYPERLINK("http://x.example","klik")', "'+62 Dinas"]
    assert row[9] == "Refleksi: -hari ini berat"  # the note starts with a word: kept as it is
    book = load_workbook(io.BytesIO(xlsx_bytes(data, label_in("id"))))
    for sheet in book.worksheets:
        for line in sheet.iter_rows(min_row=2):
            for cell in line:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    values = list(book.worksheets[0].iter_rows(values_only=True))
    assert ('=HYPERLINK("http://x.example","klik")', "+62 Dinas") in {v[:2] for v in values}
    assert "=1+" in {v[4] for v in values}


@pytest.mark.parametrize(
    ("lang", "separator", "target", "value", "header"),
    [
        ("id", ";", "7,5", "12,25", "Nama;Unit kerja (OPD);NIP;Tanggal;Kebiasaan"),
        ("en", ",", "7.5", "12.25", "Name,Work unit (OPD),NIP,Date,Habit"),
        ("id", ",", "7.5", "12.25", "Nama,Unit kerja (OPD),NIP,Tanggal,Kebiasaan"),
        ("en", ";", "7,5", "12,25", "Name;Work unit (OPD);NIP;Date;Habit"),
    ],
)
async def test_csv_numbers_and_nip_suit_the_spreadsheet_that_opens_it(
    db: async_sessionmaker[AsyncSession],
    lang: str,
    separator: str,
    target: str,
    value: str,
    header: str,
) -> None:
    """A `;` file (Excel set to Indonesian) has decimal commas, a `,` file points; the NIP is
    in groups so no spreadsheet turns it into 1.98E+17."""
    built = await build(db)
    async with db.begin() as session:
        habit = await session.get(Habit, built.habits["A2"])
        assert habit is not None
        habit.target = 7.5
        entry = await session.scalar(
            select(CheckIn).where(CheckIn.habit_id == habit.id, CheckIn.day == d(3))
        )
        assert entry is not None
        entry.value = 12.25
    cohort = await cohort_of(db, built.cohort_id)
    async with db() as session:
        data = await export(session, cohort, NOW)
    raw = csv_bytes(data, label_in(lang), separator=separator)
    text = raw.decode("utf-8-sig")
    assert text.startswith(header + separator)
    table = list(csv.reader(io.StringIO(text), delimiter=separator))
    [row] = [r for r in table if r[3] == "2021-09-03" and r[4] == "Membaca regulasi"]
    assert row[2] == "19800101 200501 1 001"
    assert (row[6], row[7]) == (target, value)
    assert NIP_ANI not in text


async def test_a_big_cohort_is_quick_and_takes_few_queries(
    db: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    """25 participants × 5 habits × 50 days."""
    cohort = await make_cohort(db, starts=date(2021, 9, 1), ends=date(2021, 10, 25))
    now = datetime(2021, 10, 20, 12, tzinfo=UTC)  # the 50th day
    async with db.begin() as session:
        people = [
            Participant(
                cohort_id=cohort.id,
                person_id=await new_person(session, 9000 + n),
                first_name=f"P{n:02d}",
                unit=f"Unit {n % 7}",
                timezone=(WIB, WITA, WIT)[n % 3],
            )
            for n in range(25)
        ]
        session.add_all(people)
        await session.flush()
        plans = [ActionPlan(participant_id=p.id, title="Rencana", habits=[]) for p in people]
        for plan in plans:
            for h in range(5):
                plan.habits.append(
                    Habit(
                        position=h,
                        name=f"Kebiasaan {h}",
                        kind="yesno",
                        schedule="daily",
                        created_on=date(2021, 9, 1),
                    )
                )
        session.add_all(plans)
        await session.flush()
        values = [
            {
                "habit_id": habit.id,
                "participant_id": plan.participant_id,
                "day": date(2021, 9, 1) + timedelta(days=k),
                "status": ("done", "not_done", "skipped")[k % 3],
                "logged_at": now,
            }
            for plan in plans
            for habit in plan.habits
            for k in range(50)
        ]
        await session.execute(insert(CheckIn), values)
    started = time.perf_counter()
    with counting(engine) as statements:
        async with db() as session:
            data = await export(session, cohort, now)
            report = await cohort_report(session, cohort, now)
    blob = xlsx_bytes(data, label_in("id"))
    elapsed = time.perf_counter() - started
    assert len(data.rows) >= 25 * 5 * 50
    assert len(report.people) == 25
    assert len(statements) <= 20  # eleven for the export, nine for the report
    assert elapsed < 10, elapsed
    assert blob.startswith(b"PK")
