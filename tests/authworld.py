"""The world of the authorization tests (tests/test_authorization*.py): two cohorts, their
facilitators, an admin, participants and a stranger, on one bot for the whole module — once on
each channel the module's `channels` marker names (`by_channel`) — and what the checks look at:
every row of the database before and after, and what the bot sent."""

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
from storage.base import Base
from storage.db import create_engine, sessionmaker, upgrade
from storage.models import Announcement, Cohort, Participant, RosterEntry
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    MemoryPerson,
    MemoryRecords,
    Person,
    RunningBot,
    settings_for,
    start_bot,
)
from tests.people import new_person, person_of
from tests.pgserver import PostgresServer

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

Someone = Person | MemoryPerson
Records = BotApiStandIn | MemoryRecords


def by_channel(metafunc: pytest.Metafunc) -> None:
    """A test module's `pytest_generate_tests`: its `world` once per channel its closest
    `channels` marker names and per database kind, module-scoped (one bot per channel and
    database for the whole module). A parameter reads "channel-database"."""
    marker = metafunc.definition.get_closest_marker("channels")
    if marker is not None and "world" in metafunc.fixturenames:
        kinds = [f"{ch}-{db}" for db in ("sqlite", "postgresql") for ch in marker.args]
        metafunc.parametrize("world", kinds, indirect=True, scope="module")


async def world_database(request: pytest.FixtureRequest, directory: Path) -> tuple[str, str]:
    """The channel a `world` parameter names, and a new database of the kind it names."""
    kind, database = str(request.param).split("-")
    if database == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        return kind, await server.new_database(migrated=True)
    return kind, f"sqlite+aiosqlite:///{directory / 'aksi.db'}"


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
    kind: str  # the channel: "telegram" or "memory"
    bot: RunningBot | MemoryBot
    server: BotApiStandIn  # the Bot API stand-in (the bot polls it on Telegram)
    db: async_sessionmaker[AsyncSession]
    a: Side
    b: Side

    @property
    def standin(self) -> Records:
        """What the bot did, read as from the stand-in (on either channel)."""
        return self.bot.standin

    def person(self, user_id: int) -> Someone:
        first = PEOPLE.get(user_id, ("Orang",))[0]
        return self.bot.person(user_id, first)


def keyboard(markup: dict[str, Any] | str | None) -> list[dict[str, Any]]:
    """The inline buttons of a reply_markup (as recorded: a dict, or its JSON)."""
    found: dict[str, Any] = json.loads(markup) if isinstance(markup, str) else markup or {}
    return [b for row in found.get("inline_keyboard") or [] for b in row]


def keyboard_data(markup: dict[str, Any] | str | None) -> list[str]:
    return [str(b["callback_data"]) for b in keyboard(markup) if "callback_data" in b]


def buttons_in_chat(standin: Records, chat_id: int) -> list[str]:
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


async def onboard(person: Someone, code: str) -> None:
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


async def schedule_later(facilitator: Someone, body: str) -> None:
    """/umumkan, the text, a send time next week, confirm: an announcement that waits."""
    await facilitator.send("/umumkan")
    await facilitator.send(body)
    await facilitator.press(CATALOGS.plain("id", "announce.button_time"))
    await facilitator.send("2021-09-10 07:00")
    await facilitator.press(CATALOGS.plain("id", "announce.button_schedule"))


async def leave_preview(facilitator: Someone, body: str) -> None:
    """A draft left in preview, with all its buttons."""
    await facilitator.send("/umumkan")
    await facilitator.send(body)


async def collect_roster_buttons(facilitator: Someone) -> None:
    await facilitator.send("/peserta")
    label = CATALOGS.plain("id", "roster.button_match", name="")
    await facilitator.press(label)  # the roster rows for the first member (a view, no change)


@contextlib.asynccontextmanager
async def built_world(kind: str, db_url: str) -> AsyncIterator[World]:
    """The world on the channel `kind` and the database `db_url`, its bot running, with the
    buttons its facilitators and the admin really got."""
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
        await add_facilitator(session, a, await new_person(session, FA, kind))
        await add_facilitator(session, b, await new_person(session, FB, kind))
    async with BotApiStandIn() as server:
        # No overall pacing of replies: this module sends hundreds of refusals in bursts.
        settings = settings_for(
            server, db_url, aksi_admin_ids=(ADMIN,), aksi_max_messages_per_second=0
        )
        bot = await start_bot(kind, server, settings, Clock(NOW))
        try:
            w = World(kind, bot, server, db, Side(a, FA), Side(b, FB))
            await _gather_buttons(w)
            yield w
        finally:
            await bot.stop()
            await engine.dispose()


async def _gather_buttons(w: World) -> None:
    standin, db = w.standin, w.db
    await asyncio.gather(
        *(onboard(w.person(p), A_CODE) for p in (PA1, PA2)),
        *(onboard(w.person(p), B_CODE) for p in (PB1, PB2)),
        w.person(STRANGER).send("halo"),
    )
    fa, fb, admin = w.person(FA), w.person(FB), w.person(ADMIN)
    # FA sends a real announcement to A and it is delivered (checked in the buttons' module).
    await fa.send("/umumkan")
    await fa.send(A_SENT)
    await fa.press(CATALOGS.plain("id", "announce.button_send"))

    async def delivered() -> bool:
        done = (await last_announcement(db, FA)).reported_at is not None
        return done and any("Laporan" in (o.text or "") for o in standin.outbox)

    await wait_for(delivered)
    # Then each facilitator leaves one announcement scheduled and one draft in preview, and
    # opens the roster: the buttons they really get.
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
                await session.scalars(select(Participant.id).where(Participant.cohort_id == cid))
            )
            side.entries = list(
                await session.scalars(select(RosterEntry.id).where(RosterEntry.cohort_id == cid))
            )
            side.announcements = list(
                await session.scalars(select(Announcement.id).where(Announcement.cohort_id == cid))
            )
            side.buttons = buttons_in_chat(standin, side.facilitator) + [
                d for d in admin_buttons if d.endswith(f":{cid}")
            ]


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


def describe(records: list[Outgoing]) -> list[tuple[str, str | None]]:
    return [(o.method, o.text) for o in records]


@dataclass(frozen=True)
class Act:
    """One update a person makes: a text typed, or button data pressed on their latest message
    (`message_id`, read when the act is made, before the burst)."""

    text: str | None = None
    data: str | None = None
    message_id: int = 0


def typing(text: str) -> Act:
    return Act(text=text)


def pressing(person: Someone, data: str) -> Act:
    return Act(data=data, message_id=person.last_message_id())


async def burst(world: World, person: Someone, acts: list[Act]) -> list[Outgoing]:
    """Everything the bot sent this person in answer to `acts`, in order. On Telegram the
    updates are pushed at once, and the wait is until the bot has handled them all (its own
    signal: `RunningBot.idle`). On the in-memory channel each act returns once its answers are
    sent, and nothing comes later."""
    standin = world.standin
    mark = standin.mark()
    if isinstance(person, MemoryPerson):
        for act in acts:
            if act.data is not None:
                await person.press_data(act.message_id, act.data)
            else:
                await person.send(act.text or "")
        return standin.outgoing_for(person.user_id, mark)
    server, first = person.standin, person.first_name
    for act in acts:
        if act.data is not None:
            server.push_callback(person.user_id, act.message_id, act.data, first_name=first)
        else:
            server.push_message(person.user_id, act.text or "", first_name=first)
    assert isinstance(world.bot, RunningBot)
    await world.bot.idle()
    return server.outgoing_for(person.user_id, mark)


def cohort_named_in(data: str, cohort_id: int) -> bool:
    """Whether button data carries this cohort's id (as `stf:x:ID` or `ros:x:ID-…`)."""
    parts = data.split(":")
    return (
        len(parts) == 3
        and parts[0] in (callbacks.STAFF, callbacks.ROSTER)
        and (parts[2].split("-")[0] == str(cohort_id))
    )
