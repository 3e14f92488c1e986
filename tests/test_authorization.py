"""Authorization end to end (issue 5, item 8): every facilitator command and button tried by a
participant, a stranger, or the facilitator of another cohort is refused and changes nothing;
a facilitator of one cohort neither sees nor messages another; only admins manage facilitators.

The tables come from the code itself (`handlers.STAFF_COMMANDS`, `handlers.staff.ENTRIES`, the
buttons the bot really sent), so a command or button added later without protection fails here.
One bot runs for the whole module: every check compares the database before and after."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core import buttons as callbacks
from core.i18n import Catalogs
from core.imports import apply_materials, apply_schedule, parse_materials, parse_schedule
from core.roster import apply_roster, parse_roster
from core.staff import add_facilitator
from handlers import STAFF_COMMANDS
from handlers.staff import ENTRIES
from storage.db import create_engine, sessionmaker, upgrade
from storage.models import (
    Announcement,
    Base,
    Cohort,
    OutboxMessage,
    Participant,
    RosterEntry,
    Session,
    Staff,
)
from tests.conftest import make_cohort
from tests.harness import Clock, Person, RunningBot, settings_for
from tests.people import new_person, person_of, user_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)  # Friday 3 September 2021, 09:00 WITA
A_CODE, B_CODE = "ALFA21", "BRAVO21"
A_NAME, B_NAME = "Angkatan Alfa Merdeka", "Angkatan Bravo Nusantara"
FA, FB, ADMIN = 7001, 7002, 7999
PA1, PA2, PB1, PB2, STRANGER = 3101, 3102, 3201, 3202, 3999
PEOPLE = {  # user id: (first name, full name, unit)
    PA1: ("Ani", "Ani Amalia", "Dinas Alfa Kesehatan"),
    PA2: ("Adi", "Adi Alfarizi", "Dinas Alfa Kesehatan"),
    PB1: ("Bima", "Bima Baskara", "Dinas Bravo Perikanan"),
    PB2: ("Bunga", "Bunga Citrawati", "Dinas Bravo Perikanan"),
}
ROSTER_A = "name,unit\nArif Rahmanto,Dinas Alfa Kesehatan\nAsih Wulandari,\n"
ROSTER_B = "name,unit\nBagus Hartonoputra,Dinas Bravo Perikanan\nBerlian Sarinah,\n"
SCHEDULE = "date,start,end,title,speaker,link\n2021-09-06,08:30,12:00,{title},,\n"
MATERIALS = "module,title,url\nModul 1,{title},https://elearning.example/{code}.pdf\n"
# What only cohort B's people may see, and only cohort A's.
B_SECRETS = (
    B_NAME,
    "Bima Baskara",
    "Bunga Citrawati",
    "Dinas Bravo",
    "Bagus Hartonoputra",
    "Berlian Sarinah",
    "Sesi Rahasia Bravo",
    "Materi Rahasia Bravo",
    "Pengumuman Bravo",
)
A_SECRETS = (
    A_NAME,
    "Ani Amalia",
    "Adi Alfarizi",
    "Dinas Alfa",
    "Arif Rahmanto",
    "Asih Wulandari",
    "Sesi Rahasia Alfa",
    "Materi Rahasia Alfa",
    "Pengumuman Alfa",
)
A_SENT = "Pengumuman Alfa untuk semua peserta"

CATALOGS = Catalogs()
STAFF_ONLY = CATALOGS.text("id", "staff.only")
ADMIN_ONLY = CATALOGS.text("id", "admin.only")
STALE = CATALOGS.plain("id", "button.stale")
ADMIN_COMMANDS = frozenset({"fasilitator"})  # Indonesian names of the admins-only commands
# Every command name a person can type, both languages (a new command joins the table by itself).
COMMAND_NAMES = [(names[0], alias) for names, _ in STAFF_COMMANDS for alias in dict.fromkeys(names)]
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
ANNOUNCE_ACTIONS = ("send", "aud", "time", "back", "edit", "cancel", "stop")
ROSTER_ACTIONS = ("show", "links", "pick", "tie")
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


# --- the world: two cohorts, their facilitators, an admin, participants and a stranger ----


@dataclass
class Side:
    """One cohort and the ids of its objects, to forge buttons with."""

    cohort: Cohort
    facilitator: int
    members: list[int] = field(default_factory=list)  # participant ids (untied to the roster)
    entries: list[int] = field(default_factory=list)  # roster rows nobody joined with
    announcements: list[int] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)  # callback data the bot really sent


@dataclass
class World:
    bot: RunningBot
    standin: BotApiStandIn
    db: async_sessionmaker[AsyncSession]
    a: Side
    b: Side

    def person(self, user_id: int) -> Person:
        first = PEOPLE.get(user_id, ("Orang",))[0]
        return self.bot.person(user_id, first)


def keyboard(markup: dict[str, Any] | str | None) -> list[dict[str, Any]]:
    """The inline buttons of a reply_markup (as recorded: a dict, or its JSON)."""
    found: dict[str, Any] = json.loads(markup) if isinstance(markup, str) else markup or {}
    return [b for row in found.get("inline_keyboard") or [] for b in row]


def keyboard_data(markup: dict[str, Any] | str | None) -> list[str]:
    return [str(b["callback_data"]) for b in keyboard(markup) if "callback_data" in b]


def buttons_in_chat(standin: BotApiStandIn, chat_id: int) -> list[str]:
    """Every callback data of every button the bot ever sent or edited into this chat."""
    found = [
        d for o in standin.outbox if o.chat_id == chat_id for d in keyboard_data(o.reply_markup)
    ]
    return list(dict.fromkeys(found))


async def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def onboard(person: Person, code: str) -> None:
    """Join by the cohort code and answer the profile questions (full name, unit)."""
    _, full, unit = PEOPLE[person.user_id]
    await person.send(f"/start {code}")
    await person.send(full)
    await person.send(unit)


async def last_announcement(db: async_sessionmaker[AsyncSession], author: int) -> Announcement:
    async with db() as session:
        found = await session.scalars(
            select(Announcement)
            .where(Announcement.author_id == person_of(author))
            .order_by(Announcement.id.desc())
            .limit(1)
        )
        return found.one()


async def schedule_later(facilitator: Person, body: str) -> None:
    """/umumkan, the text, a send time next week, confirm: an announcement that waits."""
    await facilitator.send("/umumkan")
    await facilitator.send(body)
    await facilitator.press(CATALOGS.plain("id", "announce.button_time"))
    await facilitator.send("2021-09-10 07:00")
    await facilitator.press(CATALOGS.plain("id", "announce.button_schedule"))


async def leave_preview(facilitator: Person, body: str) -> None:
    """A draft left in preview, with all its buttons."""
    await facilitator.send("/umumkan")
    await facilitator.send(body)


async def collect_roster_buttons(facilitator: Person) -> None:
    await facilitator.send("/peserta")
    label = CATALOGS.plain("id", "roster.button_match", name="")
    await facilitator.press(label)  # the roster rows for the first member (a view, no change)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    path: Path = tmp_path_factory.mktemp("authorization") / "aksi.db"
    db_url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(db_url)
    await upgrade(engine)
    db = sessionmaker(engine)
    a = await make_cohort(db, code=A_CODE, name=A_NAME)
    b = await make_cohort(db, code=B_CODE, name=B_NAME)
    async with db.begin() as session:
        for cohort, roster, word in ((a, ROSTER_A, "Alfa"), (b, ROSTER_B, "Bravo")):
            await apply_roster(session, cohort, parse_roster(roster.encode()))
            sessions = SCHEDULE.format(title=f"Sesi Rahasia {word}").encode()
            await apply_schedule(session, cohort, parse_schedule(sessions, cohort), replace=False)
            links = MATERIALS.format(title=f"Materi Rahasia {word}", code=cohort.code).encode()
            await apply_materials(session, cohort, parse_materials(links), replace=False)
        await add_facilitator(session, a, await new_person(session, FA))
        await add_facilitator(session, b, await new_person(session, FB))
    async with BotApiStandIn() as standin:
        # No overall pacing of replies: this module sends hundreds of refusals in bursts.
        settings = settings_for(
            standin, db_url, aksi_admin_ids=(ADMIN,), aksi_max_messages_per_second=0
        )
        bot = RunningBot(standin, settings, clock=Clock(NOW))
        await bot.start()
        try:
            w = World(bot, standin, db, Side(a, FA), Side(b, FB))
            await asyncio.gather(
                *(onboard(w.person(p), A_CODE) for p in (PA1, PA2)),
                *(onboard(w.person(p), B_CODE) for p in (PB1, PB2)),
                w.person(STRANGER).send("halo"),
            )
            fa, fb, admin = w.person(FA), w.person(FB), w.person(ADMIN)
            # FA sends a real announcement to A and it is delivered (checked in test 4).
            await fa.send("/umumkan")
            await fa.send(A_SENT)
            await fa.press(CATALOGS.plain("id", "announce.button_send"))

            async def delivered() -> bool:
                done = (await last_announcement(db, FA)).reported_at is not None
                return done and any("Laporan" in (o.text or "") for o in standin.outbox)

            await wait_for(delivered)
            # Then each facilitator leaves one announcement scheduled and one draft in
            # preview, and opens the roster: the buttons they really get.
            await asyncio.gather(
                schedule_later(fa, "Pengumuman Alfa terjadwal"),
                schedule_later(fb, "Pengumuman Bravo terjadwal"),
            )
            await asyncio.gather(fa.send("/status"), fb.send("/status"))
            await asyncio.gather(
                leave_preview(fa, "Pengumuman Alfa draf"),
                leave_preview(fb, "Pengumuman Bravo draf"),
            )
            await asyncio.gather(collect_roster_buttons(fa), collect_roster_buttons(fb))
            # The admin, with two cohorts, is asked to choose: the `stf:` buttons.
            for names, _ in STAFF_COMMANDS:
                if names[0] in ENTRIES:
                    await admin.send(f"/{names[0]}")
            admin_buttons = buttons_in_chat(standin, ADMIN)
            async with db() as session:
                for side in (w.a, w.b):
                    cid = side.cohort.id
                    side.members = list(
                        await session.scalars(
                            select(Participant.id).where(Participant.cohort_id == cid)
                        )
                    )
                    side.entries = list(
                        await session.scalars(
                            select(RosterEntry.id).where(RosterEntry.cohort_id == cid)
                        )
                    )
                    side.announcements = list(
                        await session.scalars(
                            select(Announcement.id).where(Announcement.cohort_id == cid)
                        )
                    )
                    side.buttons = buttons_in_chat(standin, side.facilitator) + [
                        d for d in admin_buttons if d.endswith(f":{cid}")
                    ]
            yield w
        finally:
            await bot.stop()
            await engine.dispose()


# --- what is looked at: the database and what the bot sent --------------------------------


Snapshot = dict[str, list[tuple[Any, ...]]]
OWNERSHIP = ("cohort_id", "participant_id", "announcement_id", "staff_id", "plan_id", "habit_id")


async def snapshot(db: async_sessionmaker[AsyncSession], cohort_id: int | None = None) -> Snapshot:
    """Every row of every table; with `cohort_id`, only the rows of that cohort (its own rows
    and those of its participants, announcements, staff, plans and habits)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with db() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [dict(row._mapping) for row in result]
    if cohort_id is not None:
        owned: dict[str, set[Any]] = {"cohort_id": {cohort_id}}
        for table_name, key in (
            ("participants", "participant_id"),
            ("announcements", "announcement_id"),
            ("staff", "staff_id"),
            ("action_plans", "plan_id"),
            ("habits", "habit_id"),
        ):
            owned[key] = {
                r["id"]
                for r in tables.get(table_name, [])
                if any(r.get(k) in owned.get(k, set()) for k in OWNERSHIP)
            }
        tables = {
            name: [
                r
                for r in rows
                if (name == "cohorts" and r["id"] == cohort_id)
                or any(r.get(k) in ids for k, ids in owned.items())
            ]
            for name, rows in tables.items()
        }
    return {name: [tuple(sorted(r.items())) for r in rows] for name, rows in tables.items()}


def changes(before: Snapshot, after: Snapshot) -> dict[str, Any]:
    return {
        name: {
            "gone": [r for r in before[name] if r not in after[name]],
            "new": [r for r in after[name] if r not in before[name]],
        }
        for name in before
        if before[name] != after[name]
    }


def visible(records: Iterable[Outgoing]) -> str:
    """Everything a person could read: texts, captions, button labels, files' contents."""
    parts: list[str] = []
    for o in records:
        parts.append(o.text or "")
        parts += [
            f"{b.get('text', '')} {b.get('callback_data', '')}" for b in keyboard(o.reply_markup)
        ]
        parts.append(o.file_name or "")
        if o.file_bytes and (o.file_name or "").endswith(".xlsx"):
            book = load_workbook(io.BytesIO(o.file_bytes), read_only=True)
            for sheet in book.worksheets:
                for cells in sheet.iter_rows(values_only=True):
                    parts += [str(c) for c in cells if c is not None]
        elif o.file_bytes and o.method == "sendDocument":
            parts.append(o.file_bytes.decode("utf-8-sig", errors="replace"))
    return "\n".join(parts)


def leaked(records: Iterable[Outgoing], secrets: Iterable[str]) -> list[str]:
    seen = visible(records)
    return [s for s in secrets if s in seen]


async def burst(
    world: World, person: Person, pushes: list[Callable[[], int]], settle: float = 0.15
) -> list[Outgoing]:
    """Push many updates at once, wait for at least one record per update, then `settle`
    seconds more: whatever else the bot would send shows up too."""
    standin = world.standin
    mark = standin.mark()
    for push in pushes:
        push()
    with contextlib.suppress(TimeoutError):  # fewer answers than updates: the asserts say which
        await standin.wait_for_outgoing(person.user_id, len(pushes), timeout=20, since=mark)
    await asyncio.sleep(settle)
    return standin.outgoing_for(person.user_id, mark)


def typing(person: Person, text: str) -> Callable[[], int]:
    return lambda: person.standin.push_message(person.user_id, text, first_name=person.first_name)


def pressing(person: Person, data: str) -> Callable[[], int]:
    message_id = person.standin.messages(person.user_id)[-1].message_id
    return lambda: person.standin.push_callback(
        person.user_id, message_id, data, first_name=person.first_name
    )


def describe(records: list[Outgoing]) -> list[tuple[str, str | None]]:
    return [(o.method, o.text) for o in records]


def command_variants(name: str, alias: str, bot_username: str) -> list[str]:
    """The command bare (also as `/cmd@bot`), with either cohort's code (any case), and with
    typical arguments with and without a code."""
    out = [f"/{alias}", f"/{alias}@{bot_username}"]
    for code in (A_CODE, B_CODE, B_CODE.lower()):
        out.append(f"/{alias} {code}")
    for args in TYPICAL.get(name, ["sesuatu 1 2 3"]):
        out += [f"/{alias} {args}", f"/{alias} {A_CODE} {args}", f"/{alias} {B_CODE} {args}"]
    return list(dict.fromkeys(out))


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


def bot_username(world: World) -> str:
    return str(world.standin.bot_user["username"])


def staff_safe(garbage: Iterable[str]) -> list[str]:
    """Garbage for a facilitator to press: without non-ASCII decimal digits, which int() reads
    as real ids (`١` is 1) and so may name one of the presser's own objects."""
    return [g for g in garbage if not any(c.isdecimal() and not c.isascii() for c in g)]


async def until(world: World, chat_id: int, method: str, since: int) -> Outgoing:
    """The first `method` record for the chat after `since` (a chart or a file takes a while)."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        found = [o for o in world.standin.outgoing_for(chat_id, since) if o.method == method]
        if found:
            return found[0]
        assert asyncio.get_running_loop().time() < deadline, f"no {method} for {chat_id}"
        await asyncio.sleep(0.05)


def get_file_calls(standin: BotApiStandIn) -> int:
    return sum(1 for method, _ in standin.requests if method.lower() == "getfile")


def cohort_named_in(data: str, cohort_id: int) -> bool:
    """Whether button data carries this cohort's id (as `stf:x:ID` or `ros:x:ID-…`)."""
    parts = data.split(":")
    return (
        len(parts) == 3
        and parts[0] in (callbacks.STAFF, callbacks.ROSTER)
        and (parts[2].split("-")[0] == str(cohort_id))
    )


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
        *(burst(world, p, [typing(p, v) for v in variants]) for p in people)
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


# --- 2. buttons: real ones and forged ones, pressed by the wrong people -------------------


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


# --- 3. a facilitator naming another cohort sees nothing of it and changes nothing ---------


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
    await asyncio.sleep(0.3)
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
    person: Person, data: str, caption: str | None, name: str = "jadwal.csv"
) -> list[Outgoing]:
    return await person.send_raw(
        lambda: person.standin.push_document(
            person.user_id,
            data.encode(),
            name,
            mime_type="text/csv",
            caption=caption,
            first_name=person.first_name,
        )
    )


UPLOAD = SCHEDULE.format(title="Sesi Unggahan Baru").replace("2021-09-06", "2021-09-13")


async def test_an_upload_naming_another_cohort_imports_nothing(world: World) -> None:
    fa, fb = world.person(FA), world.person(FB)
    before = await snapshot(world.db)
    calls = get_file_calls(world.standin)
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
    assert get_file_calls(world.standin) == calls  # the file was not even downloaded
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


# --- 4. announcements: another facilitator cannot touch them; they reach their cohort only -


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


# --- 5. the admin: both cohorts; /fasilitator is the admin's alone ------------------------


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
        records = await burst(world, person, [typing(person, t) for t in tries])
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
    # Naming 5555 made them a person (with their Telegram contact), who keeps no role.
    after = changes(before, await snapshot(world.db))
    assert sorted(after) == ["contacts", "people"]
    assert [len(after[t]["new"]) for t in ("contacts", "people")] == [1, 1]
    assert not after["contacts"]["gone"] and not after["people"]["gone"]
    [contact] = [dict(r) for r in after["contacts"]["new"]]
    [made] = [dict(r) for r in after["people"]["new"]]
    assert (contact["channel"], contact["external_id"]) == ("telegram", "5555")
    assert contact["person_id"] == made["id"]


async def test_only_staff_have_the_facilitator_menu(world: World) -> None:
    staff_names = {alias for names, _ in STAFF_COMMANDS for alias in names}
    with_menu: set[int] = set()
    for (scope, _language), commands in world.standin.commands.items():
        names = {c["command"] for c in commands}
        if scope.startswith("chat:") and names & staff_names:
            with_menu.add(int(scope.split(":")[1]))
        elif not scope.startswith("chat:"):
            assert not names & staff_names, scope
    assert with_menu == {FA, FB, ADMIN}


# --- 6. a participant's CSV file: the ordinary answer, nothing imported --------------------


@pytest.mark.parametrize("who", [PA1, STRANGER], ids=["participant", "stranger"])
async def test_a_csv_from_a_participant_or_stranger_is_not_imported(world: World, who: int) -> None:
    person = world.person(who)
    expected = CATALOGS.text("id", "fallback.media" if who == PA1 else "join.ask_code")
    before = await snapshot(world.db)
    calls = get_file_calls(world.standin)
    for data, name in ((UPLOAD, "jadwal.csv"), (MATERIALS.format(title="M", code="x"), "m.csv")):
        for caption in (None, A_CODE, B_CODE, f"{A_CODE} ganti"):
            records = await send_file(person, data, caption, name)
            assert describe(records) == [("sendMessage", expected)], (name, caption)
    assert get_file_calls(world.standin) == calls
    assert changes(before, await snapshot(world.db)) == {}
