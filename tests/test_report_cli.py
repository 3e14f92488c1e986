"""`aksi report export`: the file's content in XLSX and CSV, and on every error one line, a
non-zero exit and nothing written (an existing file is left as it was)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from bot.cli import main
from storage.db import create_engine, sessionmaker, upgrade
from tests.reportdata import NIP_ANI, build


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for key in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "AKSI_DEFAULT_TIMEZONE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AKSI_DEFAULT_LANGUAGE", "id")
    url = db_url
    monkeypatch.setenv("DATABASE_URL", url)

    async def populate() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            await build(sessionmaker(engine))
        finally:
            await engine.dispose()

    asyncio.run(populate())
    return CliRunner()


def export(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, ["report", "export", *args], catch_exceptions=False)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("aksi.db"))


def test_csv(cli: CliRunner, tmp_path: Path) -> None:
    result = export(cli, "--cohort", "revmen1", "--format", "csv", "--out", "rekap.csv")
    assert result.exit_code == 0, result.output
    raw = (tmp_path / "rekap.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with its BOM
    # In Indonesian: separated by ';' as Excel set to Indonesian reads it.
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == [
        "Nama", "Unit kerja (OPD)", "NIP", "Tanggal", "Kebiasaan", "Satuan", "Target", "Nilai",
        "Status", "Catatan",
    ]  # fmt: skip
    assert f"wrote {len(table) - 1} rows of REVMEN1 to rekap.csv (csv)" in result.output
    assert [
        "Ani Lestari", "Dinas Kesehatan", "19800101 200501 1 001", "2021-09-05", "Senyum sapa",
        "", "", "", "dilewati", "Dilewati: sakit",
    ] in table  # fmt: skip
    assert [
        "Budi",
        "",
        "",
        "2021-09-09",
        "Rapat singkat tim",
        "",
        "",
        "",
        "tidak dilakukan",
        "",
    ] in table
    # The cohort is over, and so is its 90 days' follow-up (alumni keep logging: core.follow_up):
    # every day up to the follow-up's end is there, unlogged ones too.
    last = [r for r in table[1:] if r[0] == "Eka Putri" and r[4] == "Jurnal harian"]
    assert (last[0][3], last[-1][3], last[-1][8]) == (
        "2021-09-01",
        "2022-01-23",
        "belum dilaporkan",
    )
    assert files(tmp_path) == ["rekap.csv"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("args", "separator", "header"),
    [
        (["--lang", "en"], ",", "Name,Work unit (OPD),NIP,Date"),
        (["--lang", "en", "--sep", ";"], ";", "Name;Work unit (OPD);NIP;Date"),
        (["--sep", ","], ",", "Nama,Unit kerja (OPD),NIP,Tanggal"),
    ],
)
def test_csv_separator_follows_the_language_or_sep(
    cli: CliRunner, tmp_path: Path, args: list[str], separator: str, header: str
) -> None:
    result = export(cli, "--cohort", "REVMEN1", "--out", "rekap.csv", *args)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "rekap.csv").read_bytes().decode("utf-8-sig")
    assert text.startswith(header)
    table = list(csv.reader(io.StringIO(text), delimiter=separator))
    assert all(len(row) == 10 for row in table)
    assert {row[2] for row in table if row[0] == "Ani Lestari"} == {"19800101 200501 1 001"}


def test_xlsx_format_from_the_name_in_english(cli: CliRunner, tmp_path: Path) -> None:
    result = export(cli, "--cohort", "REVMEN1", "--out", "report.xlsx", "--lang", "en")
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / "report.xlsx")
    rows, summary = book.worksheets
    assert (rows.title, summary.title) == ("Daily log", "Summary")
    header = next(rows.iter_rows(values_only=True))
    assert header[:5] == ("Name", "Work unit (OPD)", "NIP", "Date", "Habit")
    values = list(rows.iter_rows(min_row=2, values_only=True))
    assert (
        "Ani Lestari", "Dinas Kesehatan", NIP_ANI, datetime(2021, 9, 3), "Membaca regulasi",
        "halaman", 10, 12, "done", None,
    ) in values  # fmt: skip
    assert f"wrote {len(values)} rows of REVMEN1" in result.output
    names = [r[0] for r in summary.iter_rows(min_row=2, values_only=True)]
    assert names[-1] == "Fajar Nugroho" and "Citra Dewi" in names


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [
        (["--cohort", "NOPE", "--format", "csv"], "no cohort with code 'NOPE'", 1),
        (["--cohort", "REVMEN1", "--format", "pdf"], "--format must be xlsx or csv, not 'pdf'", 2),
        (
            ["--cohort", "REVMEN1", "--format", "xlsx", "--sep", ";"],
            "--sep is for a CSV file (--format csv)",
            2,
        ),
    ],
)
def test_errors_write_nothing(
    cli: CliRunner, tmp_path: Path, args: list[str], expected: str, code: int
) -> None:
    existing = tmp_path / "rekap.csv"
    existing.write_text("old content")
    result = export(cli, *args, "--out", "rekap.csv")
    assert result.exit_code == code
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"aksi: {expected}")
    assert existing.read_text() == "old content"
    assert files(tmp_path) == ["rekap.csv"]


def test_unknown_extension_and_unwritable_paths(cli: CliRunner, tmp_path: Path) -> None:
    result = export(cli, "--cohort", "REVMEN1", "--out", "rekap.txt")
    assert result.exit_code == 2
    assert result.output.strip() == "aksi: --format must be xlsx or csv, not '.txt'"
    result = export(cli, "--cohort", "REVMEN1", "--format", "csv", "--out", "nowhere/rekap.csv")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("aksi: cannot write nowhere/rekap.csv")
    (tmp_path / "folder").mkdir()
    result = export(cli, "--cohort", "REVMEN1", "--format", "xlsx", "--out", "folder")
    assert result.exit_code == 1
    assert result.output.strip() == "aksi: cannot write folder: it is a folder"
    assert files(tmp_path) == ["folder"]


def test_a_failed_write_leaves_the_old_file(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "rekap.xlsx"
    existing.write_text("old content")

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    result = export(cli, "--cohort", "REVMEN1", "--out", "rekap.xlsx")
    assert result.exit_code == 1
    assert result.output.strip() == "aksi: cannot write rekap.xlsx: No space left on device"
    assert existing.read_text() == "old content"
    assert files(tmp_path) == ["rekap.xlsx"]  # the temporary file is gone too
