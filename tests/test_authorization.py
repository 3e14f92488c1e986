"""Authorization end to end (issue 5, item 8), commands and files: every facilitator command
typed by a participant or a stranger is refused and changes nothing; a facilitator of one
cohort neither sees nor changes another, by naming it or by an upload; only admins manage
facilitators. Buttons and announcements: tests/test_authorization_buttons.py.

The table comes from the code itself (`handlers.STAFF_COMMANDS`, `handlers.staff.ENTRIES`), so a
command added later without protection fails here. One bot runs for the whole module, on each
channel (tests/authworld.py): every check compares the database before and after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.standin import Outgoing
from core import buttons as callbacks
from handlers import STAFF_COMMANDS
from handlers.staff import ENTRIES
from storage.models import Announcement, Session, Staff
from tests.authworld import (
    A_CODE,
    A_NAME,
    A_SECRETS,
    ADMIN,
    ADMIN_COMMANDS,
    ADMIN_ONLY,
    B_CODE,
    B_NAME,
    B_SECRETS,
    CATALOGS,
    COMMAND_NAMES,
    FA,
    FB,
    MATERIALS,
    PA1,
    PB1,
    SCHEDULE,
    STAFF_ONLY,
    STRANGER,
    Someone,
    World,
    built_world,
    burst,
    by_channel,
    changes,
    cohort_named_in,
    describe,
    keyboard,
    keyboard_data,
    leaked,
    snapshot,
    typing,
    visible,
    world_database,
)
from tests.harness import RunningBot
from tests.people import person_of, user_of

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.channels("telegram", "memory")]

# Arguments a facilitator would typically give, per command (a new command gets the default).
TYPICAL: dict[str, list[str]] = {
    "umumkan": ["Besok sesi dimulai pukul 08.00"],
    "status": ["semua"],
    "sesi": ["2021-09-09 09:00-11:00 Sesi Sisipan | Dr. Sisipan | https://zoom.example/j/9"],
    "peserta": ["semua"],
    "fasilitator": [f"tambah {A_CODE} 123456", f"hapus {B_CODE} {FB}", f"add {A_CODE} {PA1}"],
    "rekap": ["waktu 17:30", "waktu mati", "waktu"],
    "ekspor": ["csv", "xlsx"],
}


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


def command_variants(name: str, alias: str, bot_username: str) -> list[str]:
    """The command bare (also as `/cmd@bot`), with either cohort's code (any case), and with
    typical arguments with and without a code."""
    out = [f"/{alias}", f"/{alias}@{bot_username}"]
    for code in (A_CODE, B_CODE, B_CODE.lower()):
        out.append(f"/{alias} {code}")
    for args in TYPICAL.get(name, ["sesuatu 1 2 3"]):
        out += [f"/{alias} {args}", f"/{alias} {A_CODE} {args}", f"/{alias} {B_CODE} {args}"]
    return list(dict.fromkeys(out))


async def until(world: World, chat_id: int, method: str, since: int) -> Outgoing:
    """The first `method` record for the chat after `since` (a chart or a file takes a while)."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        found = [o for o in world.standin.outgoing_for(chat_id, since) if o.method == method]
        if found:
            return found[0]
        assert asyncio.get_running_loop().time() < deadline, f"no {method} for {chat_id}"
        await asyncio.sleep(0.05)


def bot_username(world: World) -> str:
    return str(world.server.bot_user["username"])


async def settle(world: World) -> None:
    """On Telegram, until the bot has handled every update (anything it would send is then
    recorded); on the in-memory channel nothing comes after the answers."""
    if isinstance(world.bot, RunningBot):
        await world.bot.idle()


# --- 1. participants and strangers: every staff command refused, nothing else -------------


@pytest.mark.parametrize(("name", "alias"), COMMAND_NAMES, ids=[a for _, a in COMMAND_NAMES])
async def test_staff_commands_are_refused_to_participants_and_strangers(
    world: World, name: str, alias: str
) -> None:
    expected = ADMIN_ONLY if name in ADMIN_COMMANDS else STAFF_ONLY
    variants = command_variants(name, alias, bot_username(world))
    people = [world.person(PA1), world.person(PB1), world.person(STRANGER)]
    before = await snapshot(world.db)
    answers = await asyncio.gather(
        *(burst(world, p, [typing(v) for v in variants]) for p in people)
    )
    for person, records in zip(people, answers, strict=True):
        assert describe(records) == [("sendMessage", expected)] * len(variants), (
            person.user_id,
            variants,
            describe(records),
        )
        assert all(not keyboard_data(o.reply_markup) for o in records)
        assert not leaked(records, A_SECRETS + B_SECRETS)
    assert changes(before, await snapshot(world.db)) == {}


# --- 2. a facilitator naming another cohort sees nothing of it and changes nothing ---------


STAFF_ONLY_NAMES = [(n, a) for n, a in COMMAND_NAMES if n not in ADMIN_COMMANDS]


@pytest.mark.parametrize(("name", "alias"), STAFF_ONLY_NAMES, ids=[a for _, a in STAFF_ONLY_NAMES])
async def test_a_facilitator_naming_another_cohort_sees_and_changes_nothing_of_it(
    world: World, name: str, alias: str
) -> None:
    fa = world.person(FA)
    b_id = world.b.cohort.id
    variants = [f"/{alias} {B_CODE}", f"/{alias} {B_CODE.lower()}"]
    variants += [f"/{alias} {B_CODE} {args}" for args in TYPICAL.get(name, ["sesuatu 1 2 3"])]
    before = await snapshot(world.db, b_id)
    mark = world.standin.mark()
    for variant in variants:
        await fa.send(variant)
    await settle(world)
    records = world.standin.outgoing_for(FA, mark)
    assert records, "no answer at all"
    assert not leaked(records, B_SECRETS), describe(records)
    assert not [
        d for o in records for d in keyboard_data(o.reply_markup) if cohort_named_in(d, b_id)
    ]
    assert not [o for o in records if B_CODE in (o.file_name or "")]
    assert changes(before, await snapshot(world.db, b_id)) == {}
    async with world.db() as session:
        authored = await session.scalars(
            select(Announcement.cohort_id).where(Announcement.author_id == person_of(FA))
        )
        assert set(authored) == {world.a.cohort.id}


async def test_bare_commands_of_a_facilitator_of_one_cohort_act_on_it_only(
    world: World,
) -> None:
    fa = world.person(FA)
    b_id = world.b.cohort.id
    before = await snapshot(world.db, b_id)
    for names, _ in STAFF_COMMANDS:
        name = names[0]
        if name in ADMIN_COMMANDS:
            continue
        mark = world.standin.mark()
        await fa.send(f"/{name}")
        if name == "rekap":
            photo = await until(world, FA, "sendPhoto", mark)
            assert photo.file_name == f"rekap-{A_CODE}.png"
        if name == "ekspor":
            document = await until(world, FA, "sendDocument", mark)
            assert (document.file_name or "").startswith(f"aksi-rekap-{A_CODE}-")
        records = world.standin.outgoing_for(FA, mark)
        seen = visible(records)
        assert A_CODE in seen or A_NAME in seen, (name, describe(records))
        assert not leaked(records, B_SECRETS), (name, describe(records))
        assert STAFF_ONLY not in seen and CATALOGS.text("id", "staff.choose_cohort") not in seen
    # /rekap names A's people; /peserta A's roster rows.
    assert changes(before, await snapshot(world.db, b_id)) == {}


async def send_file(
    person: Someone, data: str, caption: str | None, name: str = "jadwal.csv"
) -> list[Outgoing]:
    return await person.send_document(data.encode(), name, "text/csv", caption)


UPLOAD = SCHEDULE.format(title="Sesi Unggahan Baru").replace("2021-09-06", "2021-09-13")


async def test_an_upload_naming_another_cohort_imports_nothing(world: World) -> None:
    fa, fb = world.person(FA), world.person(FB)
    before = await snapshot(world.db)
    calls = world.bot.downloads()
    for person, mine, theirs in ((fa, A_CODE, B_CODE), (fb, B_CODE, A_CODE)):
        for caption, word in (
            (theirs, theirs),
            (theirs.lower(), theirs.lower()),
            (f"{mine} {theirs}", theirs),
            (f"{theirs} ganti", theirs),
        ):
            records = await send_file(person, UPLOAD, caption)
            assert describe(records) == [
                (
                    "sendMessage",
                    CATALOGS.text("id", "upload.not_your_cohort", word=word, codes=mine),
                )
            ], caption
        materials = MATERIALS.format(title="Materi Unggahan", code="x")
        records = await send_file(person, materials, theirs, "materi.csv")
        assert [o.method for o in records] == ["sendMessage"]
    assert world.bot.downloads() == calls  # the file was not even downloaded
    assert changes(before, await snapshot(world.db)) == {}
    # Without a caption, a facilitator of one cohort imports into it, and only it.
    b_before = await snapshot(world.db, world.b.cohort.id)
    records = await send_file(fa, UPLOAD, None)
    assert A_CODE in visible(records) and not leaked(records, B_SECRETS)
    assert changes(b_before, await snapshot(world.db, world.b.cohort.id)) == {}
    async with world.db() as session:
        added = await session.scalars(
            select(Session.cohort_id).where(Session.title == "Sesi Unggahan Baru")
        )
        assert list(added) == [world.a.cohort.id]


# --- 3. the admin: both cohorts; /fasilitator is the admin's alone ------------------------


ENTRY_NAMES = [(n, a) for n, a in COMMAND_NAMES if n in ENTRIES]


@pytest.mark.parametrize(("name", "alias"), ENTRY_NAMES, ids=[a for _, a in ENTRY_NAMES])
async def test_the_admin_chooses_a_cohort_or_names_either(
    world: World, name: str, alias: str
) -> None:
    admin = world.person(ADMIN)
    answer = await admin.send(f"/{alias}")
    assert [o.text for o in answer] == [CATALOGS.text("id", "staff.choose_cohort")]
    labels = [str(b["text"]) for b in keyboard(answer[0].reply_markup)]
    assert any(A_CODE in label for label in labels) and any(B_CODE in label for label in labels)
    assert set(keyboard_data(answer[0].reply_markup)) == {
        f"{callbacks.STAFF}:{name}:{world.a.cohort.id}",
        f"{callbacks.STAFF}:{name}:{world.b.cohort.id}",
    }
    for code, name_of, others in ((B_CODE, B_NAME, A_SECRETS), (A_CODE, A_NAME, B_SECRETS)):
        mark = world.standin.mark()
        await admin.send(f"/{alias} {code}")
        if name == "rekap":
            await until(world, ADMIN, "sendPhoto", mark)
        if name == "ekspor":
            await until(world, ADMIN, "sendDocument", mark)
        records = world.standin.outgoing_for(ADMIN, mark)
        seen = visible(records)
        assert code in seen or name_of in seen, describe(records)
        assert STAFF_ONLY not in seen
        assert not leaked(records, others), describe(records)


async def test_only_the_admin_manages_facilitators(world: World) -> None:
    before = await snapshot(world.db)
    for who in (FA, FB):
        person = world.person(who)
        tries = [
            f"/{alias}{args}"
            for alias in ("fasilitator", "facilitator")
            for args in (
                "",
                f" tambah {B_CODE} {who}",
                f" tambah {A_CODE} {who}",
                f" add {B_CODE} 5555",
                f" hapus {A_CODE} {FA}",
                f" remove {B_CODE} {FB}",
            )
        ]
        records = await burst(world, person, [typing(t) for t in tries])
        assert describe(records) == [("sendMessage", ADMIN_ONLY)] * len(tries)
    assert changes(before, await snapshot(world.db)) == {}
    admin = world.person(ADMIN)
    listing = visible(await admin.send("/fasilitator"))
    assert A_CODE in listing and B_CODE in listing and str(FA) in listing and str(FB) in listing
    added = visible(await admin.send(f"/fasilitator tambah {B_CODE} 5555"))
    assert CATALOGS.text("id", "admin.added", user_id=5555, code=B_CODE, cohort=B_NAME) in added
    async with world.db() as session:
        rows = await session.execute(select(Staff.cohort_id, user_of(Staff.person_id)))
        assert (world.b.cohort.id, "5555") in {tuple(r) for r in rows}
    await admin.send(f"/fasilitator hapus {B_CODE} 5555")
    await admin.press("Ya, hapus")
    # Naming 5555 made them a person (with their contact on the admin's channel, where user ids
    # are Telegram's), who keeps no role.
    after = changes(before, await snapshot(world.db))
    assert sorted(after) == ["contacts", "people"]
    assert [len(after[t]["new"]) for t in ("contacts", "people")] == [1, 1]
    assert not after["contacts"]["gone"] and not after["people"]["gone"]
    [contact] = [dict(r) for r in after["contacts"]["new"]]
    [made] = [dict(r) for r in after["people"]["new"]]
    assert (contact["channel"], contact["external_id"]) == (world.kind, "5555")
    assert contact["person_id"] == made["id"]


@pytest.mark.channels("telegram")  # the command menu per chat is Telegram's (setMyCommands)
async def test_only_staff_have_the_facilitator_menu(world: World) -> None:
    staff_names = {alias for names, _ in STAFF_COMMANDS for alias in names}
    with_menu: set[int] = set()
    for (scope, _language), commands in world.server.commands.items():
        names = {c["command"] for c in commands}
        if scope.startswith("chat:") and names & staff_names:
            with_menu.add(int(scope.split(":")[1]))
        elif not scope.startswith("chat:"):
            assert not names & staff_names, scope
    assert with_menu == {FA, FB, ADMIN}


# --- 4. a participant's CSV file: not evidence, nothing imported ---------------------------


@pytest.mark.parametrize("who", [PA1, STRANGER], ids=["participant", "stranger"])
async def test_a_csv_from_a_participant_or_stranger_is_not_imported(world: World, who: int) -> None:
    """A participant's file is evidence, and a CSV is not (handlers.evidence); a stranger gets
    the answer to any message. Neither is downloaded, neither learns files import anything."""
    person = world.person(who)
    before = await snapshot(world.db)
    calls = world.bot.downloads()
    for data, name in ((UPLOAD, "jadwal.csv"), (MATERIALS.format(title="M", code="x"), "m.csv")):
        if who == PA1:
            expected = CATALOGS.text("id", "evidence.wrong_type", name=name)
        else:
            expected = CATALOGS.text("id", "join.ask_code")
        for caption in (None, A_CODE, B_CODE, f"{A_CODE} ganti"):
            records = await send_file(person, data, caption, name)
            assert describe(records) == [("sendMessage", expected)], (name, caption)
    assert world.bot.downloads() == calls
    assert changes(before, await snapshot(world.db)) == {}
