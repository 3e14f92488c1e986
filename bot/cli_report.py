"""`aksi report export`: a cohort's check-ins as an XLSX or CSV file for the organisers.

Everything that can be wrong with the command line (format, separator, where to write) is
checked before the database is read, and the file is written whole or not at all. The
libraries that build the files are imported only when a report is exported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import (
    COHORT_OPTION,
    EXIT_CONFIG,
    SEPARATOR_OPTION,
    counted,
    fail,
    run_db,
    settings_of,
    write_atomically,
)
from core.cohorts import get_cohort
from core.spreadsheet import separator_for


@click.group()
def report() -> None:
    """Cohort reports: check-ins per participant, day and habit."""


@report.command("export")
@COHORT_OPTION
@click.option(
    "--format",
    "file_format",
    metavar="xlsx|csv",
    help="xlsx (rows and a summary sheet) or csv (UTF-8 with BOM) [default: from --out].",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    help="Language of headers and statuses [default: AKSI_DEFAULT_LANGUAGE].",
)
@SEPARATOR_OPTION
@click.pass_context
def report_export(
    ctx: click.Context,
    code: str,
    file_format: str | None,
    out: Path,
    lang: str | None,
    separator: str | None,
) -> None:
    """Write the cohort's check-ins: one row per participant, day and habit (name, unit, NIP,
    date, habit, unit of measure, target, value, status, note), up to today.

    Days nobody logged are there as "not logged". The file is written whole or not at all.
    """
    import os

    from core.i18n import Catalogs
    from core.report_files import csv_bytes, xlsx_bytes
    from core.reports import export

    settings = settings_of(ctx)
    chosen = (file_format or out.suffix.lstrip(".")).lower()
    if chosen not in ("xlsx", "csv"):
        shown = file_format or out.suffix or "(none)"
        fail(f"--format must be xlsx or csv, not {shown!r}", EXIT_CONFIG)
    if separator is not None and chosen != "csv":
        fail("--sep is for a CSV file (--format csv)", EXIT_CONFIG)
    folder = out.resolve().parent
    if out.is_dir():
        fail(f"cannot write {out}: it is a folder")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        fail(f"cannot write {out}: no writable folder {folder}")
    catalogs = Catalogs()
    language = lang or settings.aksi_default_language

    def label(key: str, /, **values: object) -> str:
        return catalogs.plain(language, key, **values)

    async def _export(session: AsyncSession) -> tuple[str, int, bytes]:
        c = await get_cohort(session, code)
        data = await export(session, c, datetime.now(UTC))
        if chosen == "xlsx":
            blob = xlsx_bytes(data, label)
        else:
            blob = csv_bytes(data, label, separator=separator or separator_for(language))
        return c.code, len(data.rows), blob

    cohort_code, count, blob = run_db(ctx, _export)
    try:
        write_atomically(out, blob)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {counted(count, 'row')} of {cohort_code} to {out} ({chosen})")
