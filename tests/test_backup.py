"""`aksi db backup` and `aksi db restore`: a consistent copy while the database is being
written, back up → delete → restore gives the same answers, and every bad file, existing target
or wrong database is refused in one line with nothing changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for key in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "AKSI_DEFAULT_TIMEZONE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'aksi.db'}")
    return CliRunner()


def invoke(cli: CliRunner, *args: str, answer: str | None = None) -> Result:
    return cli.invoke(main, list(args), input=answer, catch_exceptions=False)


def with_cohorts(cli: CliRunner, *codes: str) -> str:
    for code in codes:
        result = invoke(
            cli, "cohort", "create", "--code", code, "--name", f"Angkatan {code}",
            "--starts", "2026-09-01", "--ends", "2026-10-20",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    listed = invoke(cli, "cohort", "list")
    assert listed.exit_code == 0
    return listed.output


def one_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_back_up_delete_restore_gives_the_same_answers(cli: CliRunner, tmp_path: Path) -> None:
    before = with_cohorts(cli, "REVMEN1", "REVMEN2")
    result = invoke(cli, "db", "backup", "--out", "copy.db")
    assert result.exit_code == 0 and "backed up to copy.db" in result.output
    for name in ("aksi.db", "aksi.db-wal", "aksi.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    result = invoke(cli, "db", "restore", "--from", "copy.db", "--yes")
    assert result.exit_code == 0, result.output
    assert "database is at revision" in result.output
    assert invoke(cli, "cohort", "list").output == before


def test_a_backup_taken_during_a_write_is_consistent(cli: CliRunner, tmp_path: Path) -> None:
    with_cohorts(cli, "REVMEN1")
    writer = sqlite3.connect(tmp_path / "aksi.db")
    try:
        writer.execute("BEGIN IMMEDIATE")  # the bot in the middle of a write
        writer.execute("UPDATE cohorts SET name = 'half written' WHERE code = 'REVMEN1'")
        result = invoke(cli, "db", "backup", "--out", "during.db")
        assert result.exit_code == 0, result.output  # not kept waiting by the writer
        writer.commit()
    finally:
        writer.close()
    copy = sqlite3.connect(tmp_path / "during.db")
    try:
        names = copy.execute("SELECT name FROM cohorts").fetchall()
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()
    assert names == [("Angkatan REVMEN1",)]  # as committed when it began


def test_restore_asks_first_and_a_no_changes_nothing(cli: CliRunner) -> None:
    with_cohorts(cli, "REVMEN1")
    assert invoke(cli, "db", "backup", "--out", "one.db").exit_code == 0
    after = with_cohorts(cli, "REVMEN2")
    result = invoke(cli, "db", "restore", "--from", "one.db", answer="n\n")
    assert result.exit_code == 1
    assert "This replaces everything in" in result.output and "one.db" in result.output
    assert "nothing was changed" in result.output
    assert invoke(cli, "cohort", "list").output == after
    result = invoke(cli, "db", "restore", "--from", "one.db", answer="y\n")
    assert result.exit_code == 0, result.output
    assert "REVMEN2" not in invoke(cli, "cohort", "list").output


def test_bad_files_and_targets_are_refused_in_one_line(cli: CliRunner, tmp_path: Path) -> None:
    listed = with_cohorts(cli, "REVMEN1")
    (tmp_path / "taken.db").write_bytes(b"something else")
    result = invoke(cli, "db", "backup", "--out", "taken.db")
    assert result.exit_code == 1 and "exists already" in one_line(result)
    assert (tmp_path / "taken.db").read_bytes() == b"something else"
    result = invoke(cli, "db", "backup", "--out", "no/such/dir/x.db")
    assert result.exit_code == 1 and "not a directory" in one_line(result)
    for name, content, said in (
        ("notes.txt", b"just some text, not a database" * 10, "not an Aksi database"),
        ("empty.db", b"", "not an Aksi database"),
    ):
        (tmp_path / name).write_bytes(content)
        result = invoke(cli, "db", "restore", "--from", name, "--yes")
        assert result.exit_code == 1 and said in one_line(result), result.output
    other = sqlite3.connect(tmp_path / "other.db")  # a SQLite file, but not Aksi's
    other.execute("CREATE TABLE t (x)")
    other.close()
    result = invoke(cli, "db", "restore", "--from", "other.db", "--yes")
    assert result.exit_code == 1 and "not an Aksi database" in one_line(result)
    result = invoke(cli, "db", "restore", "--from", "missing.db", "--yes")
    assert result.exit_code == 1 and "there is no file missing.db" in one_line(result)
    assert invoke(cli, "cohort", "list").output == listed  # untouched throughout
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written copy left behind


def test_postgresql_is_pointed_to_pg_dump(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://aksi@127.0.0.1/aksi")
    result = invoke(cli, "db", "backup", "--out", "x.dump")
    assert result.exit_code == 1 and "pg_dump" in one_line(result)


def test_a_damaged_database_is_replaced_whole(cli: CliRunner, tmp_path: Path) -> None:
    listed = with_cohorts(cli, "REVMEN1")
    assert invoke(cli, "db", "backup", "--out", "good.db").exit_code == 0
    for name in ("aksi.db-wal", "aksi.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    (tmp_path / "aksi.db").write_bytes(b"\x00garbage" * 5000)  # the disk ate it
    result = invoke(cli, "db", "restore", "--from", "good.db", "--yes")
    assert result.exit_code == 0, result.output
    assert invoke(cli, "cohort", "list").output == listed


def test_a_backup_from_a_newer_release_is_refused_before_anything_changes(
    cli: CliRunner, tmp_path: Path
) -> None:
    with_cohorts(cli, "REVMEN1")
    assert invoke(cli, "db", "backup", "--out", "newer.db").exit_code == 0
    newer = sqlite3.connect(tmp_path / "newer.db")
    newer.execute("UPDATE alembic_version SET version_num = '0099'")
    newer.commit()
    newer.close()
    after = with_cohorts(cli, "REVMEN2")
    result = invoke(cli, "db", "restore", "--from", "newer.db", "--yes")
    assert result.exit_code == 1 and "newer release" in one_line(result)
    assert invoke(cli, "cohort", "list").output == after
