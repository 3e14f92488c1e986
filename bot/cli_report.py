"""`aksi report export`: a cohort's check-ins as an XLSX or CSV file for the organisers;
`aksi report participant`: one participant's final report as a PDF; `aksi report bundle`: the
whole cohort's, one PDF each, zipped.

Everything that can be wrong with the command line (format, separator, where to write) is
checked before the database is read, and the file is written whole or not at all. The
libraries that build the files are imported only when a report is exported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

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
from bot.cli_mentor import PARTICIPANT_OPTION
from core.cohorts import get_cohort
from core.spreadsheet import separator_for

if TYPE_CHECKING:
    from core.final_report import Dossier


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
            blob = xlsx_bytes(data, label, language)
        else:
            blob = csv_bytes(data, label, separator=separator or separator_for(language))
        return c.code, len(data.rows), blob

    cohort_code, count, blob = run_db(ctx, _export)
    try:
        write_atomically(out, blob)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(f"wrote {counted(count, 'row')} of {cohort_code} to {out} ({chosen})")


def _writable(out: Path, suffix: str) -> None:
    """Refuse, before the database is read, a file that cannot be written or is not `suffix`."""
    import os

    if out.suffix.lower() != suffix:
        fail(f"--out must end in {suffix}, not {out.suffix or '(none)'!r}", EXIT_CONFIG)
    if out.is_dir():
        fail(f"cannot write {out}: it is a folder")
    folder = out.resolve().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        fail(f"cannot write {out}: no writable folder {folder}")


def _label(ctx: click.Context, lang: str | None) -> tuple[str, Callable[..., str]]:
    from core.i18n import Catalogs

    catalogs = Catalogs()
    language = lang or settings_of(ctx).aksi_default_language

    def label(key: str, /, **values: object) -> str:
        return catalogs.plain(language, key, **values)

    return language, label


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    help="Language of the report [default: AKSI_DEFAULT_LANGUAGE].",
)


@report.command("participant")
@COHORT_OPTION
@PARTICIPANT_OPTION
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The PDF to write.")
@LANG_OPTION
@click.pass_context
def report_participant(
    ctx: click.Context, code: str, who: str, out: Path, lang: str | None
) -> None:
    """Write one participant's final report as a PDF: the action plan and its approval history,
    milestones, consultations (form pengendalian), habit completion with the heatmap, evidence
    and follow-up answers. Written whole or not at all."""
    from core.final_report import dossier
    from core.final_report_pdf import pdf_bytes
    from core.mentors import find_participant

    _writable(out, ".pdf")
    language, label = _label(ctx, lang)

    async def _read(session: AsyncSession) -> Dossier:
        cohort = await get_cohort(session, code)
        participant = await find_participant(session, cohort, who)
        await session.refresh(participant, ["cohort"])
        return await dossier(session, participant, datetime.now(UTC))

    found = run_db(ctx, _read)
    blob = pdf_bytes(found, label, language)
    _write(out, blob)
    click.echo(f"wrote the final report of {found.name} ({found.cohort_code}) to {out}")


@report.command("bundle")
@COHORT_OPTION
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The ZIP to write.")
@LANG_OPTION
@click.pass_context
def report_bundle(ctx: click.Context, code: str, out: Path, lang: str | None) -> None:
    """Write every participant's final report of a cohort, one PDF each, in one ZIP for the
    organiser. Written whole or not at all."""
    from core.final_report import dossier
    from core.final_report_pdf import bundle_bytes, pdf_bytes
    from core.participants import cohort_members

    _writable(out, ".zip")
    language, label = _label(ctx, lang)

    async def _read(session: AsyncSession) -> tuple[str, list[Dossier]]:
        cohort = await get_cohort(session, code)
        now = datetime.now(UTC)
        people = await cohort_members(session, cohort.id)
        return cohort.code, [await dossier(session, p, now) for p in people]

    cohort_code, found = run_db(ctx, _read)
    if not found:
        fail(f"{cohort_code} has no participants yet: nothing to bundle")
    blob = bundle_bytes([(d.file_name, pdf_bytes(d, label, language)) for d in found])
    _write(out, blob)
    click.echo(f"wrote {counted(len(found), 'final report')} of {cohort_code} to {out}")


def _write(out: Path, blob: bytes) -> None:
    try:
        write_atomically(out, blob)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
