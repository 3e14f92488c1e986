"""Backing up and restoring a SQLite database while the bot runs: SQLite's online backup API
copies a consistent snapshot page by page (writers are not stopped for long), into a temporary
file beside the target that is checked and then renamed, so a failure leaves no half file.
PostgreSQL is backed up with its own tools (`pg_dump`, see the README)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """What is wrong, in one line."""


def sqlite_path(database_url: str) -> Path:
    """The file of a SQLite URL; BackupError for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"the database is {url.get_backend_name()}, not SQLite: back it up with "
            "pg_dump --format=custom --file=aksi.dump <database> (see the README)"
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(url.database)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy `source` into a new file at `target` (renamed into place once checked)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        copy = sqlite3.connect(tmp)
        try:
            # In one step: on a WAL database it holds only a read snapshot (the bot's writers
            # carry on), where a copy in steps starts again after every write in between.
            source.backup(copy)
            _check(copy, tmp)
        finally:
            copy.close()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check(conn: sqlite3.Connection, name: str) -> str:
    """The schema revision of an Aksi database that passes SQLite's integrity check."""
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"{name} is damaged: {verdict}")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{name} is not an Aksi database ({exc})") from None
    if row is None:
        raise BackupError(f"{name} is not an Aksi database (no schema revision)")
    return str(row[0])


def backup(database_url: str, out: Path) -> str:
    """Copy the running database to `out` (which must not exist); its schema revision."""
    path = sqlite_path(database_url)
    if not path.is_file():
        raise BackupError(f"there is no database at {path}")
    if out.exists():
        raise BackupError(f"{out} exists already: choose another name, or remove it first")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} is not a directory")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        _copy(source, out)
    finally:
        source.close()
    return inspect(out)


def inspect(backup_file: Path) -> str:
    """The schema revision of a backup, checked; BackupError naming what is wrong."""
    if not backup_file.is_file():
        raise BackupError(f"there is no file {backup_file}")
    conn = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        return _check(conn, str(backup_file))
    finally:
        conn.close()


def known_revision(revision: str) -> None:
    """BackupError unless this release knows `revision` (a backup from a newer release cannot
    be brought up to date by it)."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(
            f"the backup is at schema revision {revision}, which this release does not know "
            "(it comes from a newer release): restore it with that release"
        )


def _intact(path: Path) -> bool:
    """Whether `path` opens as an intact SQLite database (a damaged one is replaced whole)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return bool(conn.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def restore(backup_file: Path, database_url: str) -> str:
    """Replace the database with `backup_file` (checked first; the database is left as it was
    when anything fails); the restored schema revision."""
    path = sqlite_path(database_url)
    revision = inspect(backup_file)
    known_revision(revision)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        if path.exists() and not _intact(path):
            # Damaged (the usual reason to restore): replaced whole, its journal files with it.
            for journal in (Path(f"{path}-wal"), Path(f"{path}-shm")):
                journal.unlink(missing_ok=True)
            _copy(source, path)
        elif path.exists():
            # Into the live file through SQLite (its lock, its WAL), not a rename under a
            # running bot's feet; in one step, so it lands whole or not at all.
            target = sqlite3.connect(path, timeout=5)
            try:
                source.backup(target)
            finally:
                target.close()
        else:
            _copy(source, path)
    finally:
        source.close()
    return revision
