"""What every facilitator command shares: who may use it, and for which cohort.

A facilitator command is written as an *entry*: `async def entry(turn, staff, cohort,
args)`, wrapped with `@staff_command("name")`. The wrapper refuses anyone who is not an admin or
a facilitator (nothing changes), picks the cohort (the only one, or `CODE` as the first argument,
or buttons to choose), and only then calls the entry. Buttons of facilitator features carry a
cohort or announcement id and must check it again with `authorize` — button data is untrusted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons
from core.channel import Action, Rows, button_rows
from core.cohorts import looks_like_code, normalise_code
from core.i18n import Html, escape
from core.participants import Writer, client_language, find_participant
from core.staff import can_manage, managed_cohorts, staff_rows
from handlers.common import plain, text
from handlers.turn import HasServices, Turn
from storage.models import Cohort


@dataclass(frozen=True)
class StaffReader:
    """An admin or facilitator: who they are, their language, and the cohorts they manage."""

    person: Writer
    lang: str
    cohorts: list[Cohort]
    is_admin: bool

    def manages(self, cohort_id: int) -> bool:
        return any(c.id == cohort_id for c in self.cohorts)

    def cohort(self, cohort_id: int) -> Cohort | None:
        return next((c for c in self.cohorts if c.id == cohort_id), None)


Entry = Callable[[Turn, StaffReader, Cohort, list[str]], Awaitable[None]]
Handler = Callable[[Turn], Awaitable[None]]
ENTRIES: dict[str, Entry] = {}


async def staff_of(session: AsyncSession, turn: Turn) -> StaffReader:
    """The reader as staff; `cohorts` is empty (and `is_admin` False) for everybody else."""
    settings = turn.services.settings
    person = turn.person
    participant = await find_participant(session, person.person_id)
    rows = await staff_rows(session, person.person_id)
    # A language chosen with /bahasa, else the Telegram app's, else the one last seen (kept for
    # the digest), else the default.
    remembered = next((r.language for r in rows if r.language), None)
    if participant is not None and participant.language:
        lang = participant.language
    else:
        found = client_language(person.language_code) or remembered
        lang = found or settings.aksi_default_language
    cohorts = await managed_cohorts(session, person.person_id, turn.is_admin)
    return StaffReader(person, lang, cohorts, turn.is_admin)


def is_staff(reader: StaffReader) -> bool:
    return reader.is_admin or bool(reader.cohorts)


async def refuse(turn: Turn, lang: str) -> None:
    """The answer to someone who is not staff: nothing about cohorts is revealed."""
    if turn.press is not None:
        await turn.answer_button(plain(turn, lang, "staff.only"), alert=True)
    else:
        await turn.reply(text(turn, lang, "staff.only"))


async def staff_or_refuse(session: AsyncSession, turn: Turn) -> StaffReader | None:
    """The reader if they are an admin or a facilitator of any cohort; else refused: None."""
    reader = await staff_of(session, turn)
    if not is_staff(reader):
        await refuse(turn, reader.lang)
        return None
    return reader


async def authorize(session: AsyncSession, turn: Turn, cohort_id: int) -> StaffReader | None:
    """The reader if they manage `cohort_id` (checked in the database), else None: refused."""
    reader = await staff_of(session, turn)
    if not await can_manage(session, reader.person.person_id, cohort_id, reader.is_admin):
        await refuse(turn, reader.lang)
        return None
    return reader


async def still_manages(session: AsyncSession, turn: Turn, cohort_id: int) -> bool:
    """Whether the person behind `turn` manages `cohort_id` now (checked in the database),
    for a confirmation answered minutes after it was asked; refuses nobody by itself."""
    return await can_manage(session, turn.person_id, cohort_id, turn.is_admin)


def choose_cohort_keyboard(name: str, cohorts: list[Cohort]) -> Rows:
    rows = [
        [
            Action(
                f"{c.code} — {c.name}"[:60],
                buttons.pack(buttons.STAFF, name, str(c.id)),
            )
        ]
        for c in cohorts[:20]
    ]
    return button_rows(rows)


# Commands that ask for their text after the cohort is chosen by button (/umumkan).
_ASKS_TEXT_NEXT = frozenset({"umumkan"})
# Commands whose first word can only be a cohort code, and the words other commands take there.
_CODE_ONLY = frozenset({"peserta", "status", "hasilkuis"})
_COMMAND_WORDS = frozenset(
    {"csv", "xlsx", "koma", "titikkoma", "comma", "semicolon", "waktu", "time", "ringkasan"}
    | {"digest", "mati", "off", "nyala", "on"}
)


def names_a_cohort(command: str, word: str) -> bool:
    """Whether `word`, first after `command`, is meant as a cohort code: always for commands
    that take nothing else; for /rekap and /ekspor a word in capitals that is not one of their
    own words (`/rekap KEDUA`, not `/rekap waktu 17:30`); never for free text (/umumkan)."""
    if command in _CODE_ONLY:
        return True
    if command not in ("rekap", "ekspor"):
        return False
    return looks_like_code(word) and word.upper() == word and word.lower() not in _COMMAND_WORDS


async def pick_cohort(
    turn: Turn, reader: StaffReader, name: str, args: list[str]
) -> tuple[Cohort, list[str]] | None:
    """The cohort the command is about, and the remaining arguments; None when the reader was
    asked to choose (buttons) or told the code is not one of theirs."""
    if args:
        code = normalise_code(args[0])
        match = next((c for c in reader.cohorts if c.code == code), None)
        if match is not None:
            return match, args[1:]
        if names_a_cohort(name, args[0]):  # a code, not one of theirs: say so, do nothing
            codes = ", ".join(c.code for c in reader.cohorts[:10]) or "—"
            body = text(turn, reader.lang, "staff.not_your_cohort", code=args[0][:32], codes=codes)
            await turn.reply(body)
            return None
    if len(reader.cohorts) == 1:
        return reader.cohorts[0], args
    if not reader.cohorts:
        await turn.reply(text(turn, reader.lang, "staff.no_cohorts"))
        return None
    if args and name not in _ASKS_TEXT_NEXT:
        # A choice by button would drop what they typed (a question, a session): the same
        # command for each of their cohorts, ready to copy.
        said = " ".join(args)
        typed = turn.command.name if turn.command is not None else name
        lines = Html("\n".join(
            f"<code>{escape(f'/{typed} {c.code} {said}')}</code>" for c in reader.cohorts[:10]
        ))  # fmt: skip
        await turn.reply(text(turn, reader.lang, "staff.choose_cohort_typed", commands=lines))
        return None
    await turn.reply(
        text(turn, reader.lang, "staff.choose_cohort"),
        choose_cohort_keyboard(name, reader.cohorts),
    )
    return None


def staff_command(name: str) -> Callable[[Entry], Handler]:
    """Make `entry` a command handler for staff only (see the module docstring)."""

    def wrap(entry: Entry) -> Handler:
        ENTRIES[name] = entry

        async def handler(turn: Turn) -> None:
            async with turn.services.db() as session:
                reader = await staff_or_refuse(session, turn)
            if reader is None:
                return
            picked = await pick_cohort(turn, reader, name, list(turn.args or []))
            if picked is not None:
                await entry(turn, reader, picked[0], picked[1])

        handler.__name__ = handler.__qualname__ = f"staff_{name}"
        handler.__doc__ = entry.__doc__
        return handler

    return wrap


View = Callable[[AsyncSession, HasServices, str, Cohort], Awaitable[tuple[str, Rows]]]


def staff_view(name: str, view: View, doc: str) -> Handler:
    """A staff command that shows one view of the chosen cohort (`view`: its text and buttons,
    read in one session)."""

    async def show(turn: Turn, staff: StaffReader, cohort: Cohort, args: list[str]) -> None:
        async with turn.services.db() as session:
            body, rows = await view(session, turn, staff.lang, cohort)
        await turn.reply(body, rows)

    show.__doc__ = doc
    return staff_command(name)(show)


async def staff_button(turn: Turn) -> None:
    """A cohort chosen from `choose_cohort_keyboard`: run that command for it."""
    parts = (turn.data or "").split(":")
    entry = ENTRIES.get(parts[1]) if len(parts) == 3 else None
    cohort_id = buttons.parse_id(parts[2]) if len(parts) == 3 else None
    async with turn.services.db() as session:
        reader = await staff_or_refuse(session, turn)
    if reader is None:
        return
    cohort = reader.cohort(cohort_id) if cohort_id is not None else None
    if entry is None or cohort is None:
        await turn.answer_button(plain(turn, reader.lang, "button.stale"), alert=True)
        return
    await turn.answer_button()
    await entry(turn, reader, cohort, [])


async def remember_language(session: AsyncSession, person_id: int, lang: str) -> None:
    """Keep the facilitator's language for what the bot sends them unprompted (digests)."""
    for row in await staff_rows(session, person_id):
        if row.language != lang:
            row.language = lang
