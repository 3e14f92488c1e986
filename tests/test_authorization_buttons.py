"""Authorization end to end (issue 5, item 8), buttons and announcements: every facilitator
button — the ones the bot really sent, and forged ones — pressed by a participant, a stranger,
or the facilitator of another cohort is refused and changes nothing; an announcement can be
changed by its author only and reaches its own cohort only. Commands and files:
tests/test_authorization.py.

The buttons come from the code itself (`handlers.staff.ENTRIES`, the buttons the bot really
sent), so a button added later without protection fails here. One bot runs for the whole
module, on each channel (tests/authworld.py): every check compares the database before and
after."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest
import pytest_asyncio
from sqlalchemy import select

from core import buttons as callbacks
from handlers.staff import ENTRIES
from storage.models import Announcement, OutboxMessage, Participant
from tests.authworld import (
    A_NAME,
    A_SECRETS,
    A_SENT,
    ADMIN,
    B_NAME,
    B_SECRETS,
    CATALOGS,
    FA,
    FB,
    PA1,
    PA2,
    PB1,
    PB2,
    STAFF_ONLY,
    STALE,
    STRANGER,
    Side,
    World,
    built_world,
    burst,
    by_channel,
    changes,
    cohort_named_in,
    describe,
    last_announcement,
    leaked,
    leave_preview,
    pressing,
    snapshot,
    visible,
    world_database,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.channels("telegram", "memory")]

ANNOUNCE_ACTIONS = ("send", "aud", "time", "back", "edit", "cancel", "stop")
GARBAGE = (
    "x",
    ":",
    "::",
    "stf",
    "stf:",
    "stf::",
    "stf:rekap",
    "stf:rekap:",
    "stf:rekap:1:2",
    "stf:rekap:-1",
    "stf:rekap:0",
    "stf:rekap:²",
    "stf:rekap:١",
    "stf:rekap: 1",
    "stf:" + "r" * 80 + ":999999",
    "stf:rekap:" + "1" * 80,
    "ann",
    "ann:send",
    "ann:send:",
    "ann:send:0",
    "ann:send:-1",
    "ann:send:abc",
    "ann:send:1:2",
    "ann:send:٣",
    "ann:nosuch:1",
    "ann:send:" + "9" * 60,
    "ros:show",
    "ros:show:",
    "ros:show:999999-2",
    "ros:pick:999999",
    "ros:tie:999999-2",
    "ros:tie:999999-2-3-4",
    "ros:links:999999\n",
    "ros:nosuch:999999",
    "ros:links:" + "1" * 70,
    "rep:day:1",
    "rep:x",
    "adm:add:1",
    "adm:remove:1-2",
    "STF:rekap:1",
    " stf:rekap:1",
    "\u0000",
    "🙂" * 20,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    by_channel(metafunc)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    directory = tmp_path_factory.mktemp(f"authorization-{request.param}")
    kind, db_url = await world_database(request, directory)
    async with built_world(kind, db_url) as built:
        yield built


def forged(side: Side, other: Side) -> list[str]:
    """Buttons for `side`'s cohort made up from its ids, and `side`'s cohort id combined with
    `other`'s members and roster rows."""
    cid = side.cohort.id
    out = [f"{callbacks.STAFF}:{name}:{cid}" for name in [*ENTRIES, "fasilitator", "nosuch"]]
    out += [
        f"{callbacks.ANNOUNCE}:{action}:{aid}"
        for action in ANNOUNCE_ACTIONS
        for aid in side.announcements
    ]
    out += [f"{callbacks.ROSTER}:show:{cid}", f"{callbacks.ROSTER}:links:{cid}"]
    out += [f"{callbacks.ROSTER}:pick:{cid}-{m}" for m in side.members + other.members]
    out += [
        f"{callbacks.ROSTER}:tie:{cid}-{m}-{e}"
        for m in side.members + other.members
        for e in side.entries + other.entries
    ]
    out += [f"{callbacks.REPORT}:show:{cid}", f"{callbacks.ADMIN}:add:{cid}-{FA}"]
    return list(dict.fromkeys(out))


def staff_safe(garbage: Iterable[str]) -> list[str]:
    """Garbage for a facilitator to press: without non-ASCII decimal digits, which int() reads
    as real ids (`١` is 1) and so may name one of the presser's own objects."""
    return [g for g in garbage if not any(c.isdecimal() and not c.isascii() for c in g)]


# --- 1. buttons: real ones and forged ones, pressed by the wrong people -------------------


@pytest.mark.parametrize(
    "who", [PA1, PB1, STRANGER], ids=["participant_a", "participant_b", "stranger"]
)
async def test_every_staff_button_is_refused_to_participants_and_strangers(
    world: World, who: int
) -> None:
    real = world.a.buttons + world.b.buttons
    assert {d.split(":")[0] for d in real} >= {
        callbacks.STAFF,
        callbacks.ANNOUNCE,
        callbacks.ROSTER,
    }
    everything = list(
        dict.fromkeys(real + forged(world.a, world.b) + forged(world.b, world.a) + list(GARBAGE))
    )
    person = world.person(who)
    before = await snapshot(world.db)
    records = await burst(world, person, [pressing(person, d) for d in everything])
    assert [o.method for o in records] == ["answerCallbackQuery"] * len(everything), describe(
        records
    )
    for data, record in zip(everything, records, strict=True):
        allowed = {STAFF_ONLY} if data in real else {STAFF_ONLY, STALE}
        assert record.text in allowed, (data, record.text)
        assert record.params.get("show_alert") in (True, "true"), data
    assert changes(before, await snapshot(world.db)) == {}


@pytest.mark.parametrize("presser", ["FB_on_A", "FA_on_B"])
async def test_buttons_of_another_cohort_are_refused_to_its_facilitator(
    world: World, presser: str
) -> None:
    mine, theirs = (world.b, world.a) if presser == "FB_on_A" else (world.a, world.b)
    cid = mine.cohort.id
    crossed = [f"{callbacks.ROSTER}:pick:{cid}-{m}" for m in theirs.members]
    crossed += [
        f"{callbacks.ROSTER}:tie:{cid}-{m}-{e}"
        for m in mine.members + theirs.members
        for e in mine.entries + theirs.entries
        if m in theirs.members or e in theirs.entries
    ]
    presses = list(
        dict.fromkeys(theirs.buttons + forged(theirs, mine) + crossed + staff_safe(GARBAGE))
    )
    assert not [d for d in presses if cohort_named_in(d, cid) and d not in crossed]
    person = world.person(mine.facilitator)
    before = await snapshot(world.db)
    records = await burst(world, person, [pressing(person, d) for d in presses])
    assert [o.method for o in records] == ["answerCallbackQuery"] * len(presses), describe(records)
    for data, record in zip(presses, records, strict=True):
        # A cohort's choice button (`stf:`) pressed by another facilitator is "stale": a
        # refusal that says nothing about the other cohort.
        assert record.text in {STAFF_ONLY, STALE}, (data, record.text)
        assert record.params.get("show_alert") in (True, "true"), data
    secrets = A_SECRETS if theirs is world.a else B_SECRETS
    assert not leaked(records, secrets)
    assert changes(before, await snapshot(world.db)) == {}


async def test_the_admins_choice_button_runs_the_command_for_that_cohort(world: World) -> None:
    admin = world.person(ADMIN)
    await admin.send("/peserta")
    message_id, _ = admin.last_keyboard()
    for side, name, secrets, others in (
        (world.b, B_NAME, "Bagus Hartonoputra", A_SECRETS),
        (world.a, A_NAME, "Arif Rahmanto", B_SECRETS),
    ):
        records = await admin.press_data(message_id, f"{callbacks.STAFF}:peserta:{side.cohort.id}")
        seen = visible(records)
        assert name in seen and secrets in seen
        assert not leaked(records, others)


# --- 2. announcements: another facilitator cannot touch them; they reach their cohort only -


async def test_another_facilitator_cannot_confirm_cancel_stop_or_change_an_announcement(
    world: World,
) -> None:
    fa, fb = world.person(FA), world.person(FB)
    await leave_preview(fa, "Pengumuman Alfa yang masih draf")
    draft = await last_announcement(world.db, FA)
    assert draft.state == "preview" and draft.cohort_id == world.a.cohort.id
    async with world.db() as session:
        a_announcements = list(
            await session.scalars(
                select(Announcement).where(Announcement.cohort_id == world.a.cohort.id)
            )
        )
    assert {a.state for a in a_announcements} >= {"preview", "scheduled", "done"}
    presses = [
        f"{callbacks.ANNOUNCE}:{action}:{a.id}"
        for a in a_announcements
        for action in ANNOUNCE_ACTIONS
    ]
    before = await snapshot(world.db)
    records = await burst(world, fb, [pressing(fb, d) for d in presses])
    assert describe(records) == [("answerCallbackQuery", STAFF_ONLY)] * len(presses)
    # The admin is refused too: only the author changes a draft (a stop is for any manager).
    admin = world.person(ADMIN)
    draft_presses = [f"{callbacks.ANNOUNCE}:{a}:{draft.id}" for a in ANNOUNCE_ACTIONS]
    records = await burst(world, admin, [pressing(admin, d) for d in draft_presses])
    assert describe(records) == [("answerCallbackQuery", STALE)] * len(draft_presses)
    assert changes(before, await snapshot(world.db)) == {}
    # The draft was live all along: its author can still cancel it.
    message_id, buttons = fa.last_keyboard()
    cancel = f"{callbacks.ANNOUNCE}:cancel:{draft.id}"
    assert cancel in [b["callback_data"] for b in buttons]
    answer = await fa.press_data(message_id, cancel)
    assert CATALOGS.text("id", "announce.cancelled") in [o.text for o in answer]


async def test_an_announcement_reaches_its_own_cohort_only(world: World) -> None:
    standin = world.standin

    def got(chat_id: int) -> int:
        return sum(1 for o in standin.outbox if o.chat_id == chat_id and A_SENT in (o.text or ""))

    assert [got(p) for p in (PA1, PA2)] == [1, 1]
    assert [got(p) for p in (PB1, PB2, FB, STRANGER, ADMIN)] == [0] * 5
    async with world.db() as session:
        rows = await session.execute(
            select(Participant.cohort_id, Announcement.cohort_id)
            .join(OutboxMessage, OutboxMessage.participant_id == Participant.id)
            .join(Announcement, Announcement.id == OutboxMessage.announcement_id)
        )
        assert {tuple(r) for r in rows} == {(world.a.cohort.id, world.a.cohort.id)}
    # Each facilitator's /status lists their own cohort's announcements only.
    fb_status = await world.person(FB).send("/status")
    assert not leaked(fb_status, A_SECRETS) and "Pengumuman Bravo" in visible(fb_status)
    fa_status = await world.person(FA).send("/status")
    assert not leaked(fa_status, B_SECRETS) and "Pengumuman Alfa" in visible(fa_status)
