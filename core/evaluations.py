"""Evaluations (*evaluasi widyaiswara*, *evaluasi penyelenggaraan*): a facilitator opens a form
for a cohort — of a session's trainer, or of the organisation — from a template that ships with
Aksi (`TEMPLATES`, the items' words in the catalogs, copied into the form in both languages);
participants answer item by item (a 1–5 or 1–4 scale, yes/no, or free text), can stop and go
on later; the results show per item the number of answers, the average and the distribution,
and the free texts — never who answered what, and an item with fewer than `MIN_ANSWERS`
answers only as "not enough answers". The facilitator sees who has not finished, not what
anyone answered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import evaluation_files
from core.errors import InvalidInput
from core.participants import stale_or_left
from core.staff import can_manage
from core.timefmt import local
from storage.base import lock_row
from storage.evaluations import (
    EvaluationAnswer,
    EvaluationForm,
    EvaluationItem,
    EvaluationTemplate,
)
from storage.models import Cohort, Participant, Session

MIN_ANSWERS = 5  # fewer answers to an item: its result is not shown (anonymity)
TEXT_MAX = 1000  # characters of a free-text answer
SCALES = {"5": range(1, 6), "4": range(1, 5), "yesno": range(0, 2)}

# The shipped templates: each item's catalog key (`evaluation.item.<key>`) and its scale.
TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "trainer": (
        ("mastery", "5"),  # penguasaan materi
        ("punctuality", "5"),  # ketepatan waktu
        ("delivery", "5"),  # sistematika penyajian
        ("methods", "5"),  # penggunaan metode dan media
        ("attitude", "5"),  # sikap dan perilaku
        ("answers", "5"),  # cara menjawab pertanyaan
        ("language", "5"),  # penggunaan bahasa
        ("motivation", "5"),  # pemberian motivasi
        ("cooperation", "5"),  # kerja sama antar widyaiswara
        ("trainer_note", "text"),  # saran
    ),
    "organisation": (
        ("facilities", "5"),  # sarana dan prasarana
        ("plan", "5"),  # kesesuaian dengan rencana
        ("materials", "5"),  # bahan ajar
        ("service", "5"),  # pelayanan panitia
        ("administration", "5"),  # administrasi
        ("organisation_note", "text"),  # saran
    ),
}

Words = Callable[[str, str], str]  # (language, catalog key) -> plain text


async def open_form(
    session: AsyncSession,
    cohort: Cohort,
    kind: str,
    words: Words,
    by: int | None,
    now: datetime,
    held: Session | None = None,
    imported: EvaluationTemplate | None = None,
) -> EvaluationForm:
    """A new form from the `kind` template, for the trainer of `held` or the organisation; or,
    `kind` "custom", from a template `imported` for this cohort."""
    await lock_row(session, Cohort.id, cohort.id)  # two facilitators, or a worker's tick, at once
    if kind == "custom":
        if imported is None or imported.cohort_id != cohort.id or held is not None:
            raise InvalidInput("button.stale")
        return await _open_imported(session, cohort, imported, by, now)
    if kind not in TEMPLATES or (kind == "trainer") != (held is not None):
        raise InvalidInput("button.stale")
    if held is not None and (held.cohort_id != cohort.id or held.starts_at > now):
        raise InvalidInput("button.stale")  # another cohort's session, or one still to come
    same = await session.scalar(  # a second press, or two facilitators at once: one form
        select(EvaluationForm.id).where(
            EvaluationForm.cohort_id == cohort.id,
            EvaluationForm.kind == kind,
            EvaluationForm.session_id == held.id
            if held is not None
            else EvaluationForm.session_id.is_(None),
        )
    )
    if same is not None:
        raise InvalidInput("evaluation.already_open")
    form = EvaluationForm(
        cohort_id=cohort.id,
        session_id=held.id if held is not None else None,
        kind=kind,
        title=words("id", f"evaluation.title_{kind}"),
        subject=await _subject(session, cohort, held) if held is not None else None,
        opened_at=now,
        opened_by=by,
    )
    session.add(form)
    await session.flush()
    for position, (key, scale) in enumerate(TEMPLATES[kind]):
        session.add(
            EvaluationItem(
                form_id=form.id,
                position=position,
                text_id=words("id", f"evaluation.item.{key}"),
                text_en=words("en", f"evaluation.item.{key}"),
                scale=scale,
            )
        )
    await session.flush()
    return form


async def _subject(session: AsyncSession, cohort: Cohort, held: Session) -> str:
    """Whom a trainer form is about: the session's trainer (or its title) — with the session's
    title, or else its day, when another of the cohort's forms is about the same trainer, so
    that the two are told apart wherever they are listed."""
    taken = set(
        await session.scalars(
            select(EvaluationForm.subject).where(
                EvaluationForm.cohort_id == cohort.id, EvaluationForm.kind == "trainer"
            )
        )
    )
    base = held.speaker or held.title
    day = local(held.starts_at, cohort.timezone).date()
    candidates = [base, f"{base} · {held.title[:80]}" if held.speaker else base,
                  f"{base} · {day:%d/%m/%Y}", f"{base} · {day:%d/%m/%Y} #{held.id}"]  # fmt: skip
    return next(c for c in candidates if c not in taken)[:200]


async def _open_imported(
    session: AsyncSession,
    cohort: Cohort,
    imported: EvaluationTemplate,
    by: int | None,
    now: datetime,
) -> EvaluationForm:
    same = await session.scalar(
        select(EvaluationForm.id).where(
            EvaluationForm.cohort_id == cohort.id,
            EvaluationForm.kind == "custom",
            EvaluationForm.title == imported.title,
        )
    )
    if same is not None:
        raise InvalidInput("evaluation.already_open")
    form = EvaluationForm(
        cohort_id=cohort.id, kind="custom", title=imported.title, opened_at=now, opened_by=by
    )
    session.add(form)
    await session.flush()
    for position, item in enumerate(evaluation_files.template_items(imported)):
        session.add(
            EvaluationItem(
                form_id=form.id, position=position, text_id=item["id"], text_en=item["en"],
                scale=item["scale"],
            )
        )  # fmt: skip
    await session.flush()
    return form


async def items_of(session: AsyncSession, form_id: int) -> list[EvaluationItem]:
    return list(
        await session.scalars(
            select(EvaluationItem)
            .where(EvaluationItem.form_id == form_id)
            .order_by(EvaluationItem.position, EvaluationItem.id)
        )
    )


async def open_forms(session: AsyncSession, cohort_id: int) -> list[EvaluationForm]:
    return list(
        await session.scalars(
            select(EvaluationForm)
            .where(EvaluationForm.cohort_id == cohort_id, EvaluationForm.closed_at.is_(None))
            .order_by(EvaluationForm.opened_at, EvaluationForm.id)
        )
    )


async def forms_of(session: AsyncSession, cohort_id: int) -> list[EvaluationForm]:
    return list(
        await session.scalars(
            select(EvaluationForm)
            .where(EvaluationForm.cohort_id == cohort_id)
            .order_by(EvaluationForm.opened_at, EvaluationForm.id)
        )
    )


async def answered_items(session: AsyncSession, form_id: int, participant_id: int) -> set[int]:
    return set(
        await session.scalars(
            select(EvaluationAnswer.item_id).where(
                EvaluationAnswer.form_id == form_id,
                EvaluationAnswer.participant_id == participant_id,
            )
        )
    )


async def next_item(
    session: AsyncSession, form: EvaluationForm, participant_id: int
) -> tuple[EvaluationItem, int, int] | None:
    """The first item the participant has not answered, with its number and the count; None
    when they have finished."""
    rows = (
        await session.execute(  # one query: it runs on every answer
            select(EvaluationItem, EvaluationAnswer.id)
            .outerjoin(
                EvaluationAnswer,
                and_(
                    EvaluationAnswer.item_id == EvaluationItem.id,
                    EvaluationAnswer.participant_id == participant_id,
                ),
            )
            .where(EvaluationItem.form_id == form.id)
            .order_by(EvaluationItem.position, EvaluationItem.id)
        )
    ).all()
    for n, (item, answered) in enumerate(rows, 1):
        if answered is None:
            return item, n, len(rows)
    return None


@dataclass(frozen=True)
class Answered:
    form: EvaluationForm
    item: EvaluationItem


async def answer(
    session: AsyncSession,
    participant: Participant,
    item_id: int,
    value: int | None,
    text: str | None,
    now: datetime,
) -> Answered:
    """Record (or change) the participant's answer to an item of an open form of their own
    cohort: a value in the item's scale, or a free text (None: skipped). InvalidInput for
    anything else, nothing written: `button.stale` (another cohort's form, a made-up item, a
    value off the scale), `cohort.left` (of a cohort they moved away from), `evaluation.closed`,
    `evaluation.text_long`."""
    found = (
        await session.execute(  # the item, its form and any earlier answer, in one query
            select(EvaluationItem, EvaluationForm, EvaluationAnswer)
            .join(EvaluationForm, EvaluationForm.id == EvaluationItem.form_id)
            .outerjoin(
                EvaluationAnswer,
                and_(
                    EvaluationAnswer.item_id == EvaluationItem.id,
                    EvaluationAnswer.participant_id == participant.id,
                ),
            )
            .where(EvaluationItem.id == item_id)
        )
    ).first()
    if found is None:
        raise InvalidInput("button.stale")
    item, form, row = found
    if form.cohort_id != participant.cohort_id:
        raise InvalidInput(await stale_or_left(session, participant, form.cohort_id))
    if form.closed_at is not None:
        raise InvalidInput("evaluation.closed")
    if item.scale == "text":
        if value is not None:
            raise InvalidInput("button.stale")
        if text is not None:
            text = " ".join(text.split()) or None
            if text is not None and len(text) > TEXT_MAX:
                raise InvalidInput("evaluation.text_long")
    elif text is not None or value is None or value not in SCALES[item.scale]:
        raise InvalidInput("button.stale")
    if row is None:
        row = EvaluationAnswer(form_id=form.id, item_id=item.id, participant_id=participant.id)
        session.add(row)
    row.value, row.text, row.answered_at = value, text, now
    await session.flush()
    return Answered(form, item)


@dataclass(frozen=True)
class ItemResult:
    item: EvaluationItem
    answers: int
    average: float | None  # None: a free-text item, or too few answers to show
    distribution: dict[int, int]  # value -> answers ({} when hidden)
    texts: list[str]  # free texts, sorted (never in the order they came)

    @property
    def shown(self) -> bool:
        return self.answers >= MIN_ANSWERS


async def results(session: AsyncSession, form: EvaluationForm) -> list[ItemResult]:
    """Per item: how many answered, and — only with at least MIN_ANSWERS answers — the average,
    the distribution and the free texts. Nothing says who answered what."""
    items = await items_of(session, form.id)
    rows = (
        await session.execute(
            select(EvaluationAnswer.item_id, EvaluationAnswer.value, EvaluationAnswer.text).where(
                EvaluationAnswer.form_id == form.id
            )
        )
    ).all()
    return [
        _item_result(
            item,
            [v for i, v, _ in rows if i == item.id and v is not None],
            sorted(t for i, _, t in rows if i == item.id and t),
        )
        for item in items
    ]


@dataclass(frozen=True)
class FormResult:
    form: EvaluationForm
    items: list[ItemResult]


async def closed_results(session: AsyncSession, cohort_id: int) -> list[FormResult]:
    """Every closed form of the cohort with its results per item (as `results`: nothing under
    MIN_ANSWERS, never who answered what), in two queries (the export counts them)."""
    rows = (
        await session.execute(
            select(EvaluationItem, EvaluationForm)
            .join(EvaluationForm, EvaluationForm.id == EvaluationItem.form_id)
            .where(EvaluationForm.cohort_id == cohort_id, EvaluationForm.closed_at.is_not(None))
            .order_by(EvaluationForm.closed_at, EvaluationForm.id, EvaluationItem.position)
        )
    ).all()
    if not rows:
        return []
    given = (
        await session.execute(
            select(EvaluationAnswer.item_id, EvaluationAnswer.value, EvaluationAnswer.text).where(
                EvaluationAnswer.form_id.in_({form.id for _, form in rows})
            )
        )
    ).all()
    found: dict[int, FormResult] = {}
    for item, form in rows:
        values = [v for i, v, _ in given if i == item.id and v is not None]
        texts = sorted(t for i, _, t in given if i == item.id and t)
        found.setdefault(form.id, FormResult(form, [])).items.append(
            _item_result(item, values, texts)
        )
    return list(found.values())


def spread(scale: str, distribution: dict[int, int], yes: str, no: str) -> str:
    """How many gave each value, the highest first ("5: 1 · 4: 4 · …"); a yes/no item in
    words ("Ya: 4 · Tidak: 1"), never as 1 and 0."""
    if scale == "yesno":
        return f"{yes}: {distribution.get(1, 0)} · {no}: {distribution.get(0, 0)}"
    return " · ".join(f"{v}: {distribution.get(v, 0)}" for v in sorted(SCALES[scale], reverse=True))


def _item_result(item: EvaluationItem, values: list[int], texts: list[str]) -> ItemResult:
    count = len(texts) if item.scale == "text" else len(values)
    if count < MIN_ANSWERS:
        return ItemResult(item, count, None, {}, [])
    average = sum(values) / len(values) if values else None
    return ItemResult(item, count, average, dict(Counter(values)), texts)


async def progress(
    session: AsyncSession, form: EvaluationForm, participant_ids: Sequence[int]
) -> dict[int, int]:
    """How many items each participant has answered (0 for those who have not started)."""
    counts = dict(
        (
            await session.execute(
                select(EvaluationAnswer.participant_id, func.count())
                .where(EvaluationAnswer.form_id == form.id)
                .group_by(EvaluationAnswer.participant_id)
            )
        ).all()
    )
    return {pid: int(counts.get(pid, 0)) for pid in participant_ids}


async def managed_form(
    session: AsyncSession, person_id: int, admin: bool, form_id: int
) -> EvaluationForm | None:
    """The form when this person facilitates its cohort (or is an admin); else None."""
    form = await session.get(EvaluationForm, form_id)
    if form is None or not await can_manage(session, person_id, form.cohort_id, admin):
        return None
    return form


async def own_answers(
    session: AsyncSession, participant_id: int
) -> list[tuple[EvaluationAnswer, EvaluationItem, EvaluationForm]]:
    """The participant's own answers with their items and forms (for /dataku: their data is
    theirs to see; results never show it to anyone else)."""
    rows = await session.execute(
        select(EvaluationAnswer, EvaluationItem, EvaluationForm)
        .join(EvaluationItem, EvaluationItem.id == EvaluationAnswer.item_id)
        .join(EvaluationForm, EvaluationForm.id == EvaluationAnswer.form_id)
        .where(EvaluationAnswer.participant_id == participant_id)
        .order_by(EvaluationForm.id, EvaluationItem.position)
    )
    return [(a, i, f) for a, i, f in rows.all()]
