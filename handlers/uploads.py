"""A CSV file sent by a facilitator: the schedule or the materials imported into their cohort,
with the same checks as `aksi schedule import` / `aksi materials import`. From anyone else a
file gets the ordinary answer (`fallback.other_message`), revealing nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.channel import DownloadFailed, Rows
from core.confirmations import Taken
from core.i18n import Html, escape
from core.imports import MAX_PROBLEMS_SHOWN, ImportRefused, ImportSummary, Problem
from core.numbers import number
from core.timefmt import clock, list_date, local
from core.uploads import (
    MAX_UPLOAD_BYTES,
    CohortChoice,
    Kind,
    UnknownKind,
    Upload,
    apply_upload,
    choose_cohort,
    looks_like_csv,
    read_caption,
    read_upload,
    upload_from_json,
    upload_to_json,
)
from handlers import confirm, fallback
from handlers.common import plain, text
from handlers.staff import StaffReader, is_staff, staff_of, still_manages
from handlers.turn import HasServices, Turn
from storage.models import Cohort

log = logging.getLogger(__name__)
CODES_SHOWN = 10
ITEMS_SHOWN = 15  # removed titles listed in a preview; the rest counted


def render_problem(context: HasServices, lang: str, problem: Problem) -> str:
    """`baris 4: …` / `line 4: …` in the reader's language (the English of problems that have
    no catalog text yet)."""
    if problem.details:
        body = "; ".join(
            text(context, lang, f"upload.problem.{d.key}", **_limits(d.values, lang))
            for d in problem.details
        )
    else:
        body = escape(problem.message)
    if not problem.line:
        return body
    return text(context, lang, "upload.problem_line", line=problem.line, problem=Html(body))


def _limits(values: Mapping[str, object], lang: str) -> dict[str, object]:
    """A limit named in a problem written the reader's way: 2.048 karakter / 2,048 characters."""
    return {
        k: number(v, lang) if k == "limit" and isinstance(v, int) else v for k, v in values.items()
    }


def render_problems(context: HasServices, lang: str, problems: list[Problem]) -> str:
    lines = [f"• {render_problem(context, lang, p)}" for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        more = len(problems) - MAX_PROBLEMS_SHOWN
        lines.append(text(context, lang, "upload.more_problems", count=more))
    return "\n".join(lines)


def upload_help(context: HasServices, lang: str, code: str) -> str:
    """How to send the schedule or the materials as a file (also shown by /sesi)."""
    return text(context, lang, "upload.help", code=code)


def _codes(cohorts: list[Cohort]) -> str:
    codes = [c.code for c in cohorts[:CODES_SHOWN]]
    return ", ".join(codes) + (", …" if len(cohorts) > CODES_SHOWN else "")


def _megabytes(size: int, lang: str) -> str:
    return number(size / (1024 * 1024), lang, decimals=1) + " MB"


def _summary(context: HasServices, lang: str, summary: ImportSummary) -> str:
    return text(
        context,
        lang,
        "upload.summary",
        added=summary.added,
        updated=summary.updated,
        unchanged=summary.unchanged,
        removed=summary.removed,
    )


async def _cohort_for(turn: Turn, reader: StaffReader, caption: str | None) -> Cohort | None:
    """The cohort the file is for, or None after saying why none could be chosen."""
    lang, cohorts = reader.lang, reader.cohorts
    chosen = choose_cohort(cohorts, read_caption(caption))
    if isinstance(chosen, Cohort):
        return chosen
    reason, word = chosen
    if reason is CohortChoice.NONE_MANAGED:
        body = text(turn, lang, "staff.no_cohorts")
    elif reason is CohortChoice.NOT_MANAGED:
        body = text(turn, lang, "upload.not_your_cohort", word=word, codes=_codes(cohorts))
    else:
        body = text(
            turn, lang, "upload.which_cohort", codes=_codes(cohorts), example=cohorts[0].code
        )
    await turn.reply(body)
    return None


async def receive_document(turn: Turn) -> None:
    """A file: from a facilitator, the schedule or materials CSV imported (or every problem
    named, nothing written); from anyone else, the answer any other file gets."""
    document = turn.file
    async with turn.services.db() as session:
        reader = await staff_of(session, turn)
    if document is None or not is_staff(reader):
        await fallback.other_message(turn)
        return
    lang = reader.lang
    example = reader.cohorts[0].code if reader.cohorts else plain(turn, lang, "upload.code_example")
    name = document.name[:80]
    if not looks_like_csv(document.name, document.mime_type):
        body = text(turn, lang, "upload.not_csv", name=name or document.mime_type or "?")
        await turn.reply(body + "\n\n" + upload_help(turn, lang, example))
        return
    limit = _megabytes(MAX_UPLOAD_BYTES, lang)
    if document.size is not None and document.size > MAX_UPLOAD_BYTES:
        size = _megabytes(document.size, lang)
        await turn.reply(text(turn, lang, "upload.too_large", size=size, limit=limit))
        return
    cohort = await _cohort_for(turn, reader, document.caption)
    if cohort is None:
        return
    try:
        data = await turn.channel.download(document)
    except DownloadFailed as exc:
        log.warning("could not download %r: %s", name, exc)
        await turn.reply(text(turn, lang, "upload.download_failed"))
        return
    if len(data) > MAX_UPLOAD_BYTES:  # file_size is optional in the Bot API
        size = _megabytes(len(data), lang)
        await turn.reply(text(turn, lang, "upload.too_large", size=size, limit=limit))
        return
    try:
        upload = read_upload(data, cohort)
    except UnknownKind as unknown:
        body = text(turn, lang, "upload.unknown_kind", header=unknown.header)
        await turn.reply(body + "\n\n" + upload_help(turn, lang, cohort.code))
        return
    except ImportRefused as refused:
        body = text(turn, lang, "upload.refused", name=name, code=cohort.code)
        await turn.reply(body + "\n" + render_problems(turn, lang, refused.problems))
        return
    replace = read_caption(document.caption).replace
    now = turn.services.clock()
    async with turn.services.db.begin() as session:
        preview = await apply_upload(
            session, cohort, upload, replace=replace, keep_past_before=now, dry_run=True
        )
        if preview.removed or preview.kept_past:  # destructive (or could be): show, ask
            payload = {
                "cohort_id": cohort.id,
                "name": name,
                "expect": preview.counts,
                **upload_to_json(upload),
            }
            body, keyboard = await ask_to_replace(
                session, turn, reader.person.person_id, lang, cohort, upload, preview, payload
            )
        else:
            summary = await apply_upload(
                session, cohort, upload, replace=replace, keep_past_before=now
            )
            body, keyboard = _done(turn, lang, cohort, upload, name, summary), None
    await turn.reply(body, keyboard)


def _done(
    context: HasServices,
    lang: str,
    cohort: Cohort,
    upload: Upload,
    name: str,
    summary: ImportSummary,
) -> str:
    key = "upload.done_schedule" if upload.kind is Kind.SCHEDULE else "upload.done_materials"
    body = text(context, lang, key, name=name, code=cohort.code, count=upload.rows)
    body += "\n" + _summary(context, lang, summary)
    if summary.kept_past:
        body += "\n" + text(context, lang, "upload.kept_past", count=summary.kept_past)
    return body


def _item(
    context: HasServices, lang: str, cohort: Cohort, item: tuple[datetime | None, str]
) -> str:
    at, title = item
    if at is None:
        return text(context, lang, "upload.item", title=title)
    moment = local(at, cohort.timezone)
    when = f"{list_date(moment.date(), lang)} {clock(moment, lang)}"
    return text(context, lang, "upload.item_session", when=when, title=title)


def _items(
    context: HasServices, lang: str, cohort: Cohort, items: list[tuple[datetime | None, str]]
) -> str:
    lines = [_item(context, lang, cohort, i) for i in items[:ITEMS_SHOWN]]
    if len(items) > ITEMS_SHOWN:
        lines.append(text(context, lang, "upload.more_items", count=len(items) - ITEMS_SHOWN))
    return "\n".join(lines)


async def ask_to_replace(
    session: AsyncSession,
    context: HasServices,
    user_id: int,
    lang: str,
    cohort: Cohort,
    upload: Upload,
    preview: ImportSummary,
    payload: dict[str, Any],
) -> tuple[str, Rows]:
    """What replacing will change — counts, and every title it removes — with the question:
    apply, apply and also remove the past sessions left out of the file, or cancel."""
    kind = "schedule" if upload.kind is Kind.SCHEDULE else "materials"
    blocks = [
        text(
            context,
            lang,
            f"upload.preview_{kind}",
            name=payload["name"],
            code=cohort.code,
            count=upload.rows,
        ),
        _summary(context, lang, preview),
    ]
    if preview.removed:
        blocks.append(
            text(context, lang, "upload.removed_title", count=preview.removed)
            + "\n"
            + _items(context, lang, cohort, preview.removed_items)
        )
    buttons = [("yes", plain(context, lang, "upload.button_apply"))]
    if preview.kept_past:
        blocks.append(
            text(context, lang, "upload.past_kept_title", count=preview.kept_past)
            + "\n"
            + _items(context, lang, cohort, preview.kept_items)
        )
        label = plain(context, lang, "upload.button_apply_past", count=preview.kept_past)
        buttons.append(("alt", label))
    buttons.append(("no", plain(context, lang, "button.cancel")))
    keyboard = await confirm.ask(session, context, user_id, lang, "import_file", payload, buttons)
    blocks.append(confirm.valid_for(context, lang))
    return "\n\n".join(blocks), keyboard


@confirm.action("import_file", again="upload.again")
async def import_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """The answer to a replacing file: apply it as previewed (checked again: still their
    cohort, still the same change), with or without the past sessions, or cancel."""
    lang, data = taken.language, taken.data
    if choice == "no":
        return confirm.Done([(text(turn, lang, "upload.cancelled"), None)])
    cohort = await session.get(Cohort, int(data["cohort_id"]))
    if cohort is None or not await still_manages(session, turn, cohort.id):
        return confirm.Done([(text(turn, lang, "staff.only"), None)])
    upload = upload_from_json(data)
    now = turn.services.clock()
    keep = None if choice == "alt" else now
    check = await apply_upload(
        session, cohort, upload, replace=True, keep_past_before=now, dry_run=True
    )
    if check.counts != data["expect"]:  # the cohort changed meanwhile: show the new change
        payload = {**data, "expect": check.counts}
        body, keyboard = await ask_to_replace(
            session, turn, turn.person_id, lang, cohort, upload, check, payload
        )
        notice = text(turn, lang, "upload.changed_meanwhile")
        return confirm.Done([(notice + "\n\n" + body, keyboard)])
    summary = await apply_upload(session, cohort, upload, replace=True, keep_past_before=keep)
    return confirm.Done([(_done(turn, lang, cohort, upload, str(data["name"]), summary), None)])
