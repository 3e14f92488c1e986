"""Evaluation forms of a cohort's own, imported from a CSV file (`aksi evaluation import`): its
items' words in Indonesian (and English) and their scales, checked whole — every wrong line
named, nothing kept from a file with one — and kept as a template to open from /hasilevaluasi
(`core.evaluations.open_form`)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.csv_reader import _Reader
from core.import_problems import problem
from core.imports import ImportRefused
from storage.evaluations import EvaluationTemplate

TEMPLATE_COLUMNS = ("item", "item_en", "scale")
TEMPLATE_ALIASES = {"butir": "item", "butir_en": "item_en", "skala": "scale"}
SCALE_NAMES = {
    "5": "5", "1-5": "5", "4": "4", "1-4": "4", "yesno": "yesno", "ya/tidak": "yesno",
    "ya-tidak": "yesno", "yes/no": "yesno", "text": "text", "teks": "text",
}  # fmt: skip
ITEM_MAX = 300
MAX_ITEMS = 30
TITLE_MAX = 100


def parse_template(data: bytes) -> list[dict[str, str]]:
    """The items of an evaluation file (header `item,item_en,scale`, or `butir,skala`): each
    item's words (its English may be left out: the Indonesian is used) and scale (5, 4, yesno,
    text); `ImportRefused` naming every line that is wrong."""
    reader: _Reader[dict[str, str]] = _Reader((*TEMPLATE_COLUMNS, *TEMPLATE_ALIASES), ())
    items: list[dict[str, str]] = []
    checked = False
    for line, raw in reader.rows(data):
        row = {TEMPLATE_ALIASES.get(k, k): v for k, v in raw.items()}
        if not checked:
            checked = True
            missing = [c for c in ("item", "scale") if c not in row]
            if missing:
                reader.problems.append(problem(1, "missing_column", columns=", ".join(missing)))
                break
        words = reader.need(line, row, "item", ITEM_MAX)
        english = reader.optional(line, row, "item_en", ITEM_MAX)
        scale = SCALE_NAMES.get(row.get("scale", "").strip().lower())
        if scale is None:
            reader.problems.append(problem(line, "bad_scale", value=row.get("scale", "")))
        if words is not None and scale is not None:
            items.append({"id": words, "en": english or words, "scale": scale})
    if len(items) > MAX_ITEMS:
        reader.problems.append(problem(0, "too_many_rows", limit=MAX_ITEMS))
    if reader.problems:
        raise ImportRefused(reader.problems)
    return items


async def import_template(
    session: AsyncSession, cohort_id: int, title: str, data: bytes, now: datetime
) -> EvaluationTemplate:
    """A form for the cohort from a CSV file, to open from /hasilevaluasi: all or nothing; a
    title already used is refused."""
    title = " ".join(title.split())
    if not title or len(title) > TITLE_MAX:
        raise ImportRefused([problem(0, "bad_quiz_title", limit=TITLE_MAX)])
    items = parse_template(data)
    taken = await session.scalar(
        select(EvaluationTemplate.id).where(
            EvaluationTemplate.cohort_id == cohort_id, EvaluationTemplate.title == title
        )
    )
    if taken is not None:
        raise ImportRefused([problem(0, "title_taken", title=title)])
    template = EvaluationTemplate(
        cohort_id=cohort_id, title=title, items=json.dumps(items, ensure_ascii=False),
        created_at=now,
    )  # fmt: skip
    session.add(template)
    await session.flush()
    return template


def template_items(imported: EvaluationTemplate) -> list[dict[str, str]]:
    found: list[dict[str, str]] = json.loads(imported.items)
    return found


async def templates_of(session: AsyncSession, cohort_id: int) -> list[EvaluationTemplate]:
    return list(
        await session.scalars(
            select(EvaluationTemplate)
            .where(EvaluationTemplate.cohort_id == cohort_id)
            .order_by(EvaluationTemplate.id)
        )
    )
