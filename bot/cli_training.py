"""What the organisers import for a cohort, whole or not at all, to open in the chat: quizzes
(`aksi quiz import`, `aksi quiz list`; pre-test, post-test: `core.quizzes`, opened from
/hasilkuis) and evaluation forms (`aksi evaluation import`, `aksi evaluation list`:
`core.evaluations`, opened from /hasilevaluasi)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_common import COHORT_OPTION, FILE_ARGUMENT, refused, run_db
from core import evaluation_files, evaluations, quiz_files, quiz_scores
from core import quizzes as rules
from core.cohorts import get_cohort
from core.imports import ImportRefused
from core.participants import cohort_members


@click.group()
def quiz() -> None:
    """A cohort's quizzes. CSV header: question,a,b,c,d,correct,explanation."""


@quiz.command("import")
@COHORT_OPTION
@click.option(
    "--kind",
    type=click.Choice(rules.KINDS),
    default="quiz",
    show_default=True,
    help="pre (pre-test), post (post-test) or quiz; the gain compares the latest pre and post.",
)
@click.option("--title", required=True, help=f"Its title (up to {rules.TITLE_MAX} characters).")
@click.option(
    "--seconds",
    type=int,
    default=None,
    help=f"Time for each question, {rules.SECONDS_MIN}-{rules.SECONDS_MAX} s [default: none].",
)
@FILE_ARGUMENT
@click.pass_context
def quiz_import(
    ctx: click.Context, code: str, kind: str, title: str, seconds: int | None, file: Path
) -> None:
    """Import a quiz from a UTF-8 CSV file (not opened yet: open it with /hasilkuis).

    Columns: question; options a, b (needed), c … j (optional, no gaps); correct (the letter
    or number of the right option); explanation (optional, shown after answering). Indonesian
    headers work too: soal, jawaban, penjelasan. A file with any problem is refused whole,
    naming each line.
    """
    data = file.read_bytes()

    async def work(session: AsyncSession) -> str:
        cohort = await get_cohort(session, code)
        try:
            made = await quiz_files.import_quiz(
                session, cohort.id, kind, title, seconds, data, datetime.now(UTC)
            )
        except ImportRefused as exc:
            raise refused(file, exc) from None
        count = len(await rules.questions_of(session, made.id))
        return (
            f"{file.name} imported into {cohort.code}: {kind} quiz {made.title!r} with "
            f"{count} questions (id {made.id}); open it in the chat with /hasilkuis"
        )

    click.echo(run_db(ctx, work))


@quiz.command("list")
@COHORT_OPTION
@click.pass_context
def quiz_list(ctx: click.Context, code: str) -> None:
    """The cohort's quizzes: state, questions, who finished, the average score."""

    async def work(session: AsyncSession) -> str:
        cohort = await get_cohort(session, code)
        members = [p.id for p in await cohort_members(session, cohort.id)]
        lines = []
        for q in await rules.quizzes_of(session, cohort.id):
            total = len(await rules.questions_of(session, q.id))
            state = "closed" if q.closed_at else "open" if q.opened_at else "not opened"
            done = [s.percent for s in (await quiz_scores.scores(session, q, members)).values()
                    if s.finished]  # fmt: skip
            mean = quiz_scores.average(done)
            average = f"{mean:.0f}%" if mean is not None else "-"
            lines.append(
                f"{q.id}\t{q.kind}\t{q.title}\t{state}\t{total} questions\t"
                f"{len(done)}/{len(members)} finished\taverage {average}"
            )
        return "\n".join(lines) or f"{cohort.code} has no quizzes"

    click.echo(run_db(ctx, work))


@click.group()
def evaluation() -> None:
    """A cohort's evaluation forms. CSV header: item,item_en,scale."""


@evaluation.command("import")
@COHORT_OPTION
@click.option(
    "--title", required=True, help=f"Its title (up to {evaluation_files.TITLE_MAX} characters)."
)
@FILE_ARGUMENT
@click.pass_context
def evaluation_import(ctx: click.Context, code: str, title: str, file: Path) -> None:
    """Import an evaluation form from a UTF-8 CSV file (opened with /hasilevaluasi).

    Columns: item (its words in Indonesian), item_en (optional: its English; the Indonesian
    when left out), scale (5 for 1-5, 4 for 1-4, yesno, or text for a free answer). Indonesian
    headers work too: butir, skala. A file with any problem is refused whole, naming each
    line.
    """
    data = file.read_bytes()

    async def work(session: AsyncSession) -> str:
        cohort = await get_cohort(session, code)
        try:
            made = await evaluation_files.import_template(
                session, cohort.id, title, data, datetime.now(UTC)
            )
        except ImportRefused as exc:
            raise refused(file, exc) from None
        count = len(evaluation_files.template_items(made))
        return (
            f"{file.name} imported into {cohort.code}: evaluation {made.title!r} with {count} "
            "items; open it in the chat with /hasilevaluasi"
        )

    click.echo(run_db(ctx, work))


@evaluation.command("list")
@COHORT_OPTION
@click.pass_context
def evaluation_list(ctx: click.Context, code: str) -> None:
    """The cohort's evaluation forms: opened (and closed) or imported, with who finished."""

    async def work(session: AsyncSession) -> str:
        cohort = await get_cohort(session, code)
        members = [p.id for p in await cohort_members(session, cohort.id)]
        lines, opened = [], set()
        for form in await evaluations.forms_of(session, cohort.id):
            total = len(await evaluations.items_of(session, form.id))
            done = await evaluations.progress(session, form, members)
            finished = sum(1 for n in done.values() if n >= total)
            state = "closed" if form.closed_at else "open"
            subject = f" ({form.subject})" if form.subject else ""
            lines.append(
                f"{form.id}\t{form.kind}\t{form.title}{subject}\t{state}\t{total} items\t"
                f"{finished}/{len(members)} finished"
            )
            opened.add(form.title)
        for imported in await evaluation_files.templates_of(session, cohort.id):
            if imported.title not in opened:
                count = len(evaluation_files.template_items(imported))
                lines.append(f"-\tcustom\t{imported.title}\tnot opened\t{count} items")
        return "\n".join(lines) or f"{cohort.code} has no evaluations"

    click.echo(run_db(ctx, work))
