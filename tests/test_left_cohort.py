"""What a person pressed of a cohort they moved away from (issue 14, item 5): a quiz question, a
pulse, an evaluation item, the attendance button sent to them in REVMEN1, answered after they
moved to REVMEN2 (`/start REVMEN2`, "Ya, pindah"), is refused with the reason — the cohort was
left — and nothing is recorded, in either cohort. The same data pressed by someone who was never
in REVMEN1 stays "no longer valid" (a forged button tells nobody what it was)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import buttons
from core.cohorts import get_cohort
from storage.evaluations import EvaluationAnswer, EvaluationForm
from storage.models import Session
from storage.quizzes import PulseAnswer, QuizAnswer
from storage.training import Attendance
from tests.conftest import NOW, make_cohort
from tests.harness import MemoryBot, Outgoing, RunningBot, joined
from tests.harness_memory import button_data
from tests.people import facilitator_of
from tests.planning import joined_person
from tests.test_evaluations import held_session
from tests.test_quizzes import import_quiz

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

LEFT = "angkatan yang sudah Anda tinggalkan"
STALE = "sudah tidak berlaku"


def said(out: list[Outgoing]) -> str:
    return "\n".join(r.text or "" for r in out)


async def counts(db: async_sessionmaker[AsyncSession]) -> tuple[int, int, int, int]:
    """Answers recorded: quiz, pulse, evaluation; attendance rows."""
    async with db() as session:
        quiz = await session.scalar(
            select(func.count()).select_from(QuizAnswer).where(QuizAnswer.answered_at.is_not(None))
        )
        pulse = await session.scalar(
            select(func.count()).select_from(PulseAnswer).where(PulseAnswer.option.is_not(None))
        )
        evaluation = await session.scalar(select(func.count()).select_from(EvaluationAnswer))
        attendance = await session.scalar(select(func.count()).select_from(Attendance))
    return int(quiz or 0), int(pulse or 0), int(evaluation or 0), int(attendance or 0)


async def test_what_was_sent_in_a_cohort_left_is_refused_as_such_and_nothing_is_recorded(
    bot: RunningBot | MemoryBot, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> None:
    if isinstance(bot, MemoryBot):  # buttons where the channel has no polls (as WhatsApp)
        bot.channel.capabilities = replace(bot.channel.capabilities, native_polls=False)
    await facilitator_of(db, "REVMEN1", chat_kind)
    budi = await joined_person(bot, 1001, "Budi")
    sari = bot.person(9001, "Sari")
    # In REVMEN1: a quiz question, a pulse and an evaluation item reach Budi, each kept as
    # it was shown (its poll, or its buttons); and a session under way, to be present at.
    await import_quiz(db)
    await sari.send("/hasilkuis")
    await sari.press("Buka: Pre-test")
    await budi.press("Mulai: Pre-test")
    quiz_poll = budi.last_poll() if chat_kind == "telegram" else None
    quiz_keys = budi.last_keyboard()
    await sari.send("/tanya Materi hari ini? | Jelas | Bingung")
    pulse_poll = budi.last_poll() if chat_kind == "telegram" else None
    pulse_keys = budi.last_keyboard()
    await held_session(db)
    await sari.send("/hasilevaluasi")
    await sari.press("Evaluasi widyaiswara: Dr. Widya Sari")
    out = await budi.press("Isi:")
    assert "1/10. Penguasaan materi" in joined(out)
    item_keys = budi.last_keyboard()
    async with db.begin() as session:
        under_way = Session(
            cohort_id=(await get_cohort(session, "REVMEN1")).id, starts_at=NOW,
            ends_at=NOW + timedelta(hours=2), title="Sesi berjalan",
        )  # fmt: skip
        session.add(under_way)
        await session.flush()
        present = buttons.pack(buttons.ATTENDANCE, "in", str(under_way.id))
        form_id = await session.scalar(select(EvaluationForm.id))
    assert await counts(db) == (0, 0, 0, 0)

    await make_cohort(db, code="REVMEN2", name="Angkatan II")
    await budi.send("/start REVMEN2")
    out = await budi.press("Ya, pindah ke REVMEN2")
    assert "Selamat bergabung di <b>Angkatan II</b>" in joined(out)

    # Each answered now: refused as a cohort left, nothing recorded anywhere.
    answers = []
    if quiz_poll is not None:
        answers.append(lambda: budi.answer_poll([0], quiz_poll["id"]))
    else:
        answers.append(lambda: budi.press_data(*button_data(quiz_keys, "A")))
    if pulse_poll is not None:
        answers.append(lambda: budi.answer_poll([0], pulse_poll["id"]))
    else:
        answers.append(lambda: budi.press_data(*button_data(pulse_keys, "Jelas")))
    answers.append(lambda: budi.press_data(*button_data(item_keys, "5")))
    answers.append(lambda: budi.press_data(budi.last_message_id(), present))
    for press in answers:
        out = await press()
        assert LEFT in said(out), said(out)
        assert await counts(db) == (0, 0, 0, 0)
    # The evaluation's "fill in" of REVMEN1 too (the form's own button).
    out = await budi.press_data(item_keys[0], buttons.pack(buttons.EVALUATION, "go", str(form_id)))
    assert LEFT in said(out), said(out)

    # Ani was never in REVMEN1: the same data is only "no longer valid" to her.
    ani = await joined_person(bot, 1002, "Ani", code="REVMEN2")
    for label, keys in (("5", item_keys), ("Jelas", pulse_keys)):
        if chat_kind == "telegram" and keys is pulse_keys:
            continue  # a poll: nothing to press
        _, data = button_data(keys, label)
        out = await ani.press_data(ani.last_message_id(), data)
        assert STALE in said(out) and LEFT not in said(out), said(out)
    out = await ani.press_data(ani.last_message_id(), present)
    assert STALE in said(out) and LEFT not in said(out)
    if pulse_poll is not None:
        out = await ani.answer_poll([0], pulse_poll["id"])
        assert "Jajak pendapat ini sudah tidak berlaku" in said(out)
    assert await counts(db) == (0, 0, 0, 0)

    # Budi's own cohort is his to use: /kuis there answers as usual.
    out = await budi.send("/kuis")
    assert LEFT not in said(out)
