"""The registry of open questions (core.conversation): every state stores and reads back with
its data, the stored strings are the ones earlier releases wrote, and anything else stored
reads as no question (then typed text gets the general answer, nothing is lost)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import conversation
from core.conversation import Ask, Waiting, decode
from storage.models import Participant
from tests.harness import RunningBot, joined
from tests.planning import joined_person

DAY = date(2021, 9, 3)


def every_state() -> list[Waiting]:
    out = []
    for ask in Ask:
        if ask in (Ask.CHECKIN_PICK, Ask.CHECKIN_REASON, Ask.CHECKIN_VALUE):
            out.append(Waiting(ask, 12, DAY))
        elif ask in (Ask.CHECKIN_NOTE, *conversation.OFFERS):
            out.append(Waiting(ask, day=DAY))
        elif ask in (Ask.FOLLOW_UP_NOTE, Ask.EXCUSE_REASON):
            out.append(Waiting(ask, item_id=7))
        elif ask == Ask.EVALUATION_TEXT:
            out.append(Waiting(ask, day=DAY, item_id=7))
        else:
            out.append(Waiting(ask))
    return out


@pytest.mark.parametrize("state", every_state(), ids=lambda w: w.ask.name)
def test_every_state_reads_back_as_stored(state: Waiting) -> None:
    assert decode(state.encode()) == state


def test_stored_as_earlier_releases_stored_them() -> None:
    """A database of the release before this registry reads the same."""
    assert [w.encode() for w in every_state()] == [
        "full_name",
        "unit",
        "edit:full_name",
        "edit:unit",
        "plan",
        "rem_time",
        "rem_until",
        "ci_note:20210903",
        "ci_pick:12:20210903",
        "ci_reason:12:20210903",
        "ci_value:12:20210903",
        "offer_plan:20210903",
        "offer_time:20210903",
        "offer_title:20210903",
        "ms_title",  # since milestones (handlers.milestones)
        "ms_due",
        "fu_note:7",  # since the follow-up after the course (handlers.follow_up)
        "ex_reason:7",  # since attendance (handlers.attendance)
        "ev_text:20210903:7",  # since evaluations (handlers.evaluations); the day since later
    ]


def test_an_evaluation_text_stored_without_its_day_still_reads() -> None:
    """As stored before the day was kept: the item, on no day in particular."""
    assert decode("ev_text:7") == Waiting(Ask.EVALUATION_TEXT, item_id=7)


def test_every_state_is_routed_once() -> None:
    """Each state belongs to exactly one of the groups `handlers/typed.py` routes by."""
    groups = [
        conversation.PROFILE,
        {Ask.PLAN},
        conversation.REMINDERS,
        conversation.CHECKIN,
        conversation.OFFERS,
        conversation.MILESTONES,
        {Ask.FOLLOW_UP_NOTE},
        {Ask.EXCUSE_REASON},
        {Ask.EVALUATION_TEXT},
    ]
    for ask in Ask:
        assert sum(ask in g for g in groups) == 1, ask


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "nonsense",
        "plan:extra",
        "edit:nosuch",
        "edit:",
        "ci_value",
        "ci_value:20210903",
        "ci_value:abc:20210903",
        "ci_value:0:20210903",
        "ci_value:-1:20210903",
        "ci_value:1:20211399",
        "ci_value:1:2021-09-03",
        "ci_value:1:20210903:9",
        "ci_note:1:20210903",
        "ci_note:２０２１０９０３",
        "offer_plan",
        "offer_plan:",
        "offer_plan:20210230",
        "rem_time:20210903",
        "fu_note",
        "fu_note:",
        "fu_note:0",
        "fu_note:abc",
        "fu_note:7:8",
        "fu_note:20210903:7",
        "ev_text:20210903:0",
        "ev_text:2021093:7",
        "ev_text:7:20210903",
        "ev_text:20210903:7:1",
        "ev_text:",
        "x" * 500,
    ],
)
def test_anything_else_stored_is_no_question(stored: str) -> None:
    assert decode(stored) is None


def test_a_state_must_carry_its_own_data() -> None:
    with pytest.raises(ValueError, match="takes a habit and a day"):
        Waiting(Ask.CHECKIN_VALUE, day=DAY)
    with pytest.raises(ValueError, match="takes a day"):
        Waiting(Ask.OFFER_PLAN)
    with pytest.raises(ValueError, match="takes no data"):
        Waiting(Ask.PLAN, day=DAY)
    with pytest.raises(ValueError, match="takes an item"):
        Waiting(Ask.FOLLOW_UP_NOTE)
    with pytest.raises(ValueError, match="takes no data"):
        Waiting(Ask.PLAN, item_id=3)
    with pytest.raises(ValueError, match="takes an item"):
        Waiting(Ask.FOLLOW_UP_NOTE, day=DAY, item_id=3)  # a day only for an evaluation's text
    with pytest.raises(ValueError, match="takes an item"):
        Waiting(Ask.EVALUATION_TEXT, day=DAY)


async def test_a_garbled_open_question_gets_the_general_answer(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    """A stored question no release wrote (hand-edited): typed text is answered with the
    general help, not taken as an answer, and the bot keeps working for the person."""
    budi = await joined_person(bot)
    async with db.begin() as session:
        await session.execute(update(Participant).values(awaiting="ci_value:7:20219999"))
    out = joined(await budi.send("12"))
    assert "/bantuan" in out
    out = joined(await budi.send("/jadwal"))
    assert "Jadwal" in out
