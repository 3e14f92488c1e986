"""/rencana's "⬅️ Kembali" goes one step back and keeps what was typed: from the schedule to
the target, to the unit, to the kind, to the name, and only from a habit's first step back to
the plan's menu (the half-written habit dropped); a "➡️ Tetap" button answers a typed step
with what it holds. The steps on their own (`core.plans.press`), then end to end in
Indonesian and English."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import plans
from core.errors import InvalidInput
from core.plans import Draft, HabitDraft
from storage.models import Habit, PlanDraft
from tests.harness import Person, RunningBot, joined

# --- the steps on their own ----------------------------------------------------------------


def new_habit_draft() -> Draft:
    """A saved plan of one habit, and a second being added: name, number, unit, target."""
    draft = Draft(step=plans.MENU, title="Hidup sehat", habits=[HabitDraft(name="Apel pagi")])
    draft = plans.press(draft, "add", "")
    draft = plans.typed(draft, "Baca buku", "id")
    draft = plans.press(draft, "kind", "numeric")
    draft = plans.typed(draft, "halaman buku", "id")
    return plans.typed(draft, "10", "id")


def test_back_from_each_step_of_a_new_habit_keeps_what_was_typed() -> None:
    draft = plans.press(new_habit_draft(), "sched", "per_week")
    assert draft.step == plans.HABIT_PER_WEEK
    kept = HabitDraft(name="Baca buku", kind="numeric", unit="halaman buku", target=10.0)
    for step in (
        plans.HABIT_SCHEDULE,
        plans.HABIT_TARGET,
        plans.HABIT_UNIT,
        plans.HABIT_KIND,
        plans.HABIT_NAME,
    ):
        draft = plans.press(draft, "back", "")
        assert (draft.step, draft.current, draft.index) == (step, kept, None)
    # From the habit's first step: the plan's menu, the half-written habit dropped.
    draft = plans.press(draft, "back", "")
    assert (draft.step, draft.current) == (plans.MENU, None)
    assert [h.name for h in draft.habits] == ["Apel pagi"]


def test_back_from_picking_days_keeps_the_days_ticked() -> None:
    draft = plans.press(new_habit_draft(), "sched", "weekdays")
    draft = plans.press(draft, "day", "0")
    draft = plans.press(draft, "day", "2")
    draft = plans.press(draft, "back", "")
    assert (draft.step, draft.days) == (plans.HABIT_SCHEDULE, [0, 2])
    draft = plans.press(draft, "sched", "weekdays")
    assert (draft.step, draft.days) == (plans.HABIT_DAYS, [0, 2])
    draft = plans.press(draft, "days", "")
    assert draft.habits[1].schedule == "weekdays:0,2" and draft.days == []


def test_back_from_the_schedule_of_a_yes_no_habit_is_its_kind() -> None:
    draft = Draft(step=plans.MENU, title="Hidup sehat")
    draft = plans.press(draft, "add", "")
    draft = plans.typed(draft, "Apel pagi", "id")
    draft = plans.press(draft, "kind", "yesno")
    assert plans.press(draft, "back", "").step == plans.HABIT_KIND


def test_keep_moves_on_with_what_a_typed_step_holds() -> None:
    draft = plans.press(new_habit_draft(), "back", "")  # the target question again
    draft = plans.press(draft, "back", "")  # the unit
    draft = plans.press(draft, "keep", "")
    assert draft.step == plans.HABIT_TARGET
    draft = plans.press(draft, "keep", "")
    assert draft.step == plans.HABIT_SCHEDULE
    draft = plans.press(draft, "sched", "daily")
    assert draft.habits[1] == HabitDraft(
        name="Baca buku", kind="numeric", unit="halaman buku", target=10.0, schedule="daily"
    )
    # Nothing to keep yet (a fresh habit's name): refused as a stale button, nothing changed.
    fresh = plans.press(draft, "add", "")
    with pytest.raises(InvalidInput, match=r"^button\.stale$"):
        plans.press(fresh, "keep", "")
    assert (fresh.step, fresh.current) == (plans.HABIT_NAME, HabitDraft())


def test_back_while_changing_one_field_returns_to_that_habit_unchanged() -> None:
    saved = HabitDraft(id=7, name="Apel pagi", kind="yesno", schedule="daily")
    draft = Draft(step=plans.MENU, title="Hidup sehat", habits=[saved])
    draft = plans.press(draft, "edit", "0")
    draft = plans.press(draft, "hkind", "")
    draft = plans.press(draft, "kind", "numeric")
    draft = plans.typed(draft, "kali", "id")
    assert draft.step == plans.HABIT_TARGET
    draft = plans.press(draft, "back", "")
    assert (draft.step, draft.current and draft.current.unit) == (plans.HABIT_UNIT, "kali")
    draft = plans.press(draft, "back", "")
    assert draft.step == plans.HABIT_KIND
    draft = plans.press(draft, "back", "")  # the field's first step: the habit's menu
    assert (draft.step, draft.current, draft.index, draft.mode) == (
        plans.HABIT_MENU,
        saved,
        0,
        "all",
    )
    draft = plans.press(draft, "hsched", "")
    draft = plans.press(draft, "sched", "per_week")
    draft = plans.press(draft, "back", "")
    assert draft.step == plans.HABIT_SCHEDULE
    draft = plans.press(draft, "back", "")
    assert (draft.step, draft.current) == (plans.HABIT_MENU, saved)
    draft = plans.press(draft, "back", "")
    assert (draft.step, draft.current, draft.habits) == (plans.MENU, None, [saved])


# --- end to end ------------------------------------------------------------------------------

WORDS = {
    "id": {
        "plan": "/rencana", "skip": "Lewati", "title": "Hidup sehat di kantor",
        "add": "Tambah kebiasaan", "number": "Angka", "yesno": "Ya / tidak",
        "per_week": "Beberapa kali seminggu", "back": "⬅️ Kembali", "daily": "Setiap hari",
        "save": "Simpan", "ask_schedule": "Kapan <b>Baca buku</b> dilakukan?",
        "ask_target": "Berapa <b>target harian</b> untuk <b>Baca buku</b> (dalam halaman buku)?",
        "ask_unit": "Apa <b>satuan</b> untuk <b>Baca buku</b>?",
        "ask_kind": "Bagaimana <b>Baca buku</b> dilaporkan?",
        "ask_name": "<b>Kebiasaan 2.</b> Tulis nama kebiasaan harian Anda",
        "keep_target": "➡️ Tetap: 2,5 halaman buku", "keep_unit": "➡️ Tetap: halaman buku",
        "keep_name": "➡️ Tetap: Baca buku", "target": "2,5",
        "menu": "Rencana aksi (draf)", "line": "2. Baca buku — 2,5 halaman buku — Setiap hari",
    },
    "en": {
        "plan": "/plan", "skip": "Skip", "title": "Healthy habits at the office",
        "add": "Add a habit", "number": "A number", "yesno": "Yes / no",
        "per_week": "Some times a week", "back": "⬅️ Back", "daily": "Every day",
        "save": "Save", "ask_schedule": "When do you do <b>Baca buku</b>?",
        "ask_target": "What is the <b>daily target</b> for <b>Baca buku</b> (in halaman buku)?",
        "ask_unit": "What is the <b>unit</b> for <b>Baca buku</b>?",
        "ask_kind": "How is <b>Baca buku</b> logged?",
        "ask_name": "<b>Habit 2.</b> Write the name of a daily habit",
        "keep_target": "➡️ Keep: 2.5 halaman buku", "keep_unit": "➡️ Keep: halaman buku",
        "keep_name": "➡️ Keep: Baca buku", "target": "2.5",
        "menu": "Action plan (draft)", "line": "2. Baca buku — 2.5 halaman buku — Every day",
    },
}  # fmt: skip


def labels(person: Person) -> list[str]:
    _, buttons = person.last_keyboard()
    return [b["text"] for b in buttons]


async def draft_habit(db: async_sessionmaker[AsyncSession]) -> tuple[str, HabitDraft | None]:
    async with db() as session:
        row = await session.scalar(select(PlanDraft))
    assert row is not None
    draft = Draft.from_json(row.step, row.data)
    return draft.step, draft.current


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_back_goes_one_step_back_and_keeps_the_habit_being_written(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], lang: str
) -> None:
    w = WORDS[lang]
    budi = bot.person(1001, "Budi", language_code=lang)
    await budi.send("/start REVMEN1")
    await budi.press(w["skip"])
    await budi.press(w["skip"])
    await budi.send(w["plan"])
    await budi.send(w["title"])
    await budi.send("Apel pagi tepat waktu")
    await budi.press(w["yesno"])
    await budi.press(w["daily"])
    # The reviewer's path: a second habit written up to its schedule, then back.
    await budi.press(w["add"])
    await budi.send("Baca buku")
    await budi.press(w["number"])
    await budi.send("halaman buku")
    await budi.send(w["target"])
    await budi.press(w["per_week"])
    kept = HabitDraft(name="Baca buku", kind="numeric", unit="halaman buku", target=2.5)
    out = await budi.press(w["back"])
    assert w["ask_schedule"] in joined(out)
    assert await draft_habit(db) == (plans.HABIT_SCHEDULE, kept)
    out = await budi.press(w["back"])
    assert w["ask_target"] in joined(out)
    assert labels(budi)[0] == w["keep_target"]
    assert await draft_habit(db) == (plans.HABIT_TARGET, kept)
    out = await budi.press(w["back"])
    assert w["ask_unit"] in joined(out) and labels(budi)[0] == w["keep_unit"]
    out = await budi.press(w["back"])
    assert w["ask_kind"] in joined(out)
    out = await budi.press(w["back"])
    assert w["ask_name"] in joined(out) and labels(budi)[0] == w["keep_name"]
    assert await draft_habit(db) == (plans.HABIT_NAME, kept)
    # Forward again without typing: each step keeps what it holds.
    assert w["ask_kind"] in joined(await budi.press(w["keep_name"]))
    await budi.press(w["number"])
    assert w["ask_target"] in joined(await budi.press(w["keep_unit"]))
    assert w["ask_schedule"] in joined(await budi.press(w["keep_target"]))
    out = await budi.press(w["daily"])
    assert w["line"] in joined(out)
    await budi.press(w["save"])
    async with db() as session:
        saved = [(h.name, h.unit, h.target) for h in await session.scalars(select(Habit))]
    assert ("Baca buku", "halaman buku", 2.5) in saved


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_back_from_a_habits_first_step_drops_it_for_the_menu(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], lang: str
) -> None:
    w = WORDS[lang]
    budi = bot.person(1001, "Budi", language_code=lang)
    await budi.send("/start REVMEN1")
    await budi.press(w["skip"])
    await budi.press(w["skip"])
    await budi.send(w["plan"])
    await budi.send(w["title"])
    await budi.send("Apel pagi tepat waktu")
    await budi.press(w["yesno"])
    await budi.press(w["daily"])
    await budi.press(w["add"])
    await budi.send("Baca buku")
    await budi.press(w["back"])  # the kind: back to the name, kept
    out = await budi.press(w["back"])  # the name, the habit's first step: the menu
    assert w["menu"] in joined(out) and "Baca buku" not in joined(out)
    assert await draft_habit(db) == (plans.MENU, None)
    await budi.press(w["add"])  # a fresh habit: nothing to keep
    assert not any(label.startswith("➡️") for label in labels(budi))
