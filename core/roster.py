"""The roster: a cohort's official participant list, each person with a personal join link.

A roster row is tied to the Telegram account that joined with its personal link (or was matched
to it by username or by a facilitator). Personal tokens look like `r-` and 24 random letters and
digits: the lowercase `r` means a token can never equal a cohort code (codes are stored
upper-case), and tokens are looked up case-sensitively before any code."""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import conversation
from core.cohorts import get_cohort
from core.conversation import Ask
from core.errors import InvalidInput
from core.imports import ImportRefused, ImportSummary, Problem, _Reader
from core.participants import (
    JoinResult,
    TelegramPerson,
    find_participant,
    join_cohort,
)
from core.spreadsheet import COMMA, csv_file, from_text_cell, nip_cell, nip_digits, text_cell
from storage.models import Cohort, Participant, RosterEntry

COLUMNS = ("name", "unit", "nip", "telegram_username")
LINK_ONLY_COLUMNS = ("link", "joined")  # in the links file, ignored when it is imported
REQUIRED = ("name", "unit")
NAME_MAX = 128
UNIT_MAX = 160
TOKEN_PREFIX = "r-"
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_TOKEN_RANDOM = 24  # 62^24: about 143 bits
TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9]{{{_TOKEN_RANDOM}}}$")
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{5,32}$")
_NIP_RE = re.compile(r"^[0-9]{18}$")


async def not_joined(session: AsyncSession, cohort_id: int) -> list[RosterEntry]:
    """The cohort's roster rows nobody has joined with yet, in the order of the roster."""
    result = await session.scalars(
        select(RosterEntry)
        .where(RosterEntry.cohort_id == cohort_id, RosterEntry.participant_id.is_(None))
        .order_by(RosterEntry.position, RosterEntry.id)
    )
    return list(result)


# --- the file -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    unit: str | None
    nip: str | None
    telegram_username: str | None


def name_key(name: str) -> str:
    """How names are compared: case and spacing do not matter."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def clean_username(value: str) -> str | None:
    """A Telegram username without its '@'; None when it is not one (5-32 of A-Z a-z 0-9 _)."""
    value = value.strip().removeprefix("@")
    return value if _USERNAME_RE.match(value) else None


def parse_roster(data: bytes) -> list[RosterRow]:
    """Validate a roster CSV (`name,unit,nip,telegram_username`; nip and telegram_username
    optional). The links file (`links_csv`) reads back too: its `link` and `joined` columns
    are ignored. Every problem is collected; any problem refuses the whole file."""
    reader: _Reader[RosterRow] = _Reader(COLUMNS, REQUIRED, ignored=LINK_ONLY_COLUMNS)
    rows: list[RosterRow] = []
    by_nip: dict[str, int] = {}
    by_username: dict[str, int] = {}
    for line, raw in reader.rows(data):
        row = {
            k: from_text_cell(" ".join(unicodedata.normalize("NFC", v).split()))
            for k, v in raw.items()
        }
        before = len(reader.problems)
        name = reader.need(line, row, "name", NAME_MAX)
        unit = reader.optional(line, row, "unit", UNIT_MAX)
        nip = _nip(reader, line, row.get("nip", ""))
        username = _username(reader, line, row.get("telegram_username", ""))
        if nip is not None and nip in by_nip:
            reader.problems.append(Problem(line, f"NIP {nip} is already on line {by_nip[nip]}"))
        if username is not None and username.lower() in by_username:
            first = by_username[username.lower()]
            reader.problems.append(Problem(line, f"@{username} is already on line {first}"))
        if len(reader.problems) > before or name is None:
            continue
        if nip is not None:
            by_nip[nip] = line
        if username is not None:
            by_username[username.lower()] = line
        rows.append(RosterRow(line, name, unit, nip, username))
    # Two rows with the same name are two people only when each has its NIP: otherwise
    # which one a later import (or the facilitator) means is unclear.
    lines: dict[str, list[RosterRow]] = {}
    for r in rows:
        lines.setdefault(name_key(r.name), []).append(r)
    for same in lines.values():
        for r in same[1:]:
            if r.nip is None or any(o.nip is None for o in same):
                reader.problems.append(
                    Problem(
                        r.line,
                        f"{r.name!r} is already on line {same[0].line} "
                        "(give each a NIP to tell people with the same name apart)",
                    )
                )
    if reader.problems:
        raise ImportRefused(sorted(reader.problems, key=lambda p: p.line))
    return rows


def _nip(reader: _Reader[RosterRow], line: int, value: str) -> str | None:
    if not value:
        return None
    # NIPs are often written in groups (19800101 200501 1 001, as `links_csv` writes them),
    # or kept text in a spreadsheet with '1980… or ="1980…".
    digits = nip_digits(value)
    if not _NIP_RE.match(digits):
        hint = (
            " (Excel turned it into a number: format the column as Text)"
            if re.match(r"^[0-9.,]+[eE]\+?[0-9]+$", digits)
            else ""
        )
        reader.problems.append(Problem(line, f"NIP {value[:40]!r} is not 18 digits{hint}"))
        return None
    return digits


def _username(reader: _Reader[RosterRow], line: int, value: str) -> str | None:
    if not value:
        return None
    username = clean_username(value)
    if username is None:
        reader.problems.append(
            Problem(
                line,
                f"telegram_username {value[:40]!r} is not a Telegram username "
                "(5-32 letters, digits or _)",
            )
        )
    return username


# --- writing it ---------------------------------------------------------------------------


@dataclass
class RosterSummary(ImportSummary):
    kept: int = 0  # not in the file but kept with --replace: the person has joined already
    matched: int = 0  # tied to a member of the cohort by their Telegram username

    def __str__(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )
        if self.kept:
            text += f", {self.kept} kept (not in the file but already joined)"
        if self.matched:
            text += f", {self.matched} matched to members by Telegram username"
        return text


def new_token(taken: set[str]) -> str:
    """A fresh personal token (`r-` and 24 random letters or digits) not in `taken`."""
    while True:
        token = TOKEN_PREFIX + "".join(
            secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_RANDOM)
        )
        if token not in taken:
            taken.add(token)
            return token


def looks_like_token(text: str) -> bool:
    return bool(TOKEN_RE.match(text))


async def _entries(session: AsyncSession, cohort_id: int) -> list[RosterEntry]:
    result = await session.scalars(
        select(RosterEntry)
        .where(RosterEntry.cohort_id == cohort_id)
        .order_by(RosterEntry.position, RosterEntry.id)
    )
    return list(result)


async def apply_roster(
    session: AsyncSession, cohort: Cohort, rows: list[RosterRow], *, replace: bool = False
) -> RosterSummary:
    """Add or update roster rows and keep their join tokens. A row is matched by NIP when the
    file gives one (else by name among rows without a NIP), otherwise by name, case and
    spacing ignored. With `replace`, rows not in the file are removed, except those someone
    has joined with (removing them would only lose who is who): those are kept and counted.
    Then unmatched rows with a Telegram username are tied to members with that username."""
    summary = RosterSummary()
    existing = await _entries(session, cohort.id)
    taken = set(await session.scalars(select(RosterEntry.join_token)))
    unused = {e.id: e for e in existing}
    find = _finder(existing, unused)
    for position, row in enumerate(rows):
        current = find(row)
        values: dict[str, object] = {
            "position": position,
            "name": row.name,
            "unit": row.unit,
            "nip": row.nip,
            "telegram_username": row.telegram_username,
        }
        if current is None:
            session.add(RosterEntry(cohort_id=cohort.id, join_token=new_token(taken), **values))
            summary.added += 1
            continue
        del unused[current.id]
        changed = [k for k, v in values.items() if getattr(current, k) != v]
        for k in changed:
            setattr(current, k, values[k])
        # A new position alone is not a change the organiser made to that person.
        if [k for k in changed if k != "position"]:
            summary.updated += 1
        else:
            summary.unchanged += 1
    if replace:
        for stale in unused.values():
            if stale.participant_id is not None:
                summary.kept += 1
            else:
                await session.delete(stale)
                summary.removed += 1
                summary.removed_items.append((None, stale.name))
    await session.flush()
    summary.matched = await _match_usernames(session, cohort.id)
    return summary


def _finder(
    existing: list[RosterEntry], unused: dict[int, RosterEntry]
) -> Callable[[RosterRow], RosterEntry | None]:
    """Finds the existing row an incoming one updates (among those still `unused`): the same
    NIP; else the same name, and when the incoming row has a NIP only a row without one."""
    by_nip = {e.nip: e for e in existing if e.nip}
    by_name: dict[str, list[RosterEntry]] = {}
    for e in existing:
        by_name.setdefault(name_key(e.name), []).append(e)

    def find(row: RosterRow) -> RosterEntry | None:
        same_nip = by_nip.get(row.nip) if row.nip else None
        if same_nip is not None and same_nip.id in unused:
            return same_nip
        return next(
            (
                e
                for e in by_name.get(name_key(row.name), [])
                if e.id in unused and (row.nip is None or e.nip is None)
            ),
            None,
        )

    return find


async def _match_usernames(session: AsyncSession, cohort_id: int) -> int:
    """Tie unmatched rows with a username to untied members of the cohort with that username."""
    rows = [e for e in await not_joined(session, cohort_id) if e.telegram_username]
    if not rows:
        return 0
    members = {
        (p.telegram_username or "").lower(): p for p in await untied_members(session, cohort_id)
    }
    count = 0
    for entry in rows:
        participant = members.pop((entry.telegram_username or "").lower(), None)
        if participant is not None:
            await tie(session, entry, participant)
            count += 1
    return count


# --- joining and matching -----------------------------------------------------------------


def link_for(bot_username: str, token: str) -> str:
    """The personal join link: Telegram opens the bot and sends `/start <token>`."""
    return f"https://t.me/{bot_username.strip().removeprefix('@')}?start={token}"


async def entry_by_token(session: AsyncSession, token: str) -> RosterEntry | None:
    """The roster row with exactly this token (case matters); None for anything else."""
    if not looks_like_token(token):
        return None
    result = await session.scalars(select(RosterEntry).where(RosterEntry.join_token == token))
    return result.one_or_none()


async def entry_of(session: AsyncSession, participant_id: int) -> RosterEntry | None:
    result = await session.scalars(
        select(RosterEntry).where(RosterEntry.participant_id == participant_id)
    )
    return result.one_or_none()


async def tie(
    session: AsyncSession, entry: RosterEntry, participant: Participant, *, joining: bool = False
) -> None:
    """Tie the roster row to the member, and give the member the roster's name and unit (the
    official list wins over what they typed). A question the roster answers is not asked: when
    `joining`, the onboarding moves on to the unit if the roster has none (the caller asks it
    next); otherwise (matched later) a pending name question is simply dropped."""
    previous = await entry_of(session, participant.id)
    if previous is not None and previous.id != entry.id:
        previous.participant_id = None
        await session.flush()  # one row per member: free the old one first
    if previous is None:  # what they told the bot themselves, put back by `untie`
        participant.own_full_name = participant.full_name
        participant.own_unit = participant.unit
    entry.participant_id = participant.id
    participant.full_name = entry.name[:NAME_MAX]
    if entry.unit:
        participant.unit = entry.unit[:UNIT_MAX]
    if conversation.is_open(participant, Ask.FULL_NAME):
        conversation.clear(participant)
        if joining and not participant.unit:
            conversation.ask(participant, Ask.UNIT)
    elif conversation.is_open(participant, Ask.UNIT) and participant.unit:
        conversation.clear(participant)
    await session.flush()


class LinkRefusal(StrEnum):
    """Why a personal link was not used (nothing changed)."""

    TAKEN = "taken"  # the row is tied to another Telegram account
    HAS_IDENTITY = "has_identity"  # the person is already in that cohort as someone
    OTHER_PERSON = "other_person"  # on another cohort's roster as a different person


@dataclass(frozen=True)
class RosterJoin:
    """The outcome of a personal link: `joined` is None when it was refused (`refused` says
    why; nothing changed)."""

    entry: RosterEntry
    joined: JoinResult | None
    refused: LinkRefusal | None = None


def same_person(a: RosterEntry, b: RosterEntry) -> bool:
    """Two roster rows (of different cohorts) are the same person: the same NIP when both
    have one, else the same name (case and spacing ignored)."""
    if a.nip and b.nip:
        return a.nip == b.nip
    return name_key(a.name) == name_key(b.name)


async def link_refusal(
    session: AsyncSession, person: TelegramPerson, entry: RosterEntry
) -> LinkRefusal | None:
    """Whether `person` may use the personal link of `entry`. A person keeps the identity they
    have: a row tied to another account is refused; someone already in the row's cohort (as
    whoever they are there) is refused, a facilitator re-matches them explicitly; someone
    who is another person in their current cohort — on its roster (another NIP, else another
    name), or by the name they gave the bot — is refused too. Only someone who never gave a
    name, or the same one, may take another cohort's link (after being asked to move)."""
    if entry.participant_id is not None:
        owner = await session.get(Participant, entry.participant_id)
        if owner is not None and owner.telegram_user_id != person.user_id:
            return LinkRefusal.TAKEN
        return None  # their own link
    current = await find_participant(session, person.user_id)
    there = await session.scalar(
        select(Participant).where(
            Participant.cohort_id == entry.cohort_id,
            Participant.telegram_user_id == person.user_id,
        )
    )
    if there is not None:
        tied = await entry_of(session, there.id)
        if tied is not None or (current is not None and current.id == there.id):
            return LinkRefusal.HAS_IDENTITY
    if current is not None:
        own = await entry_of(session, current.id)
        if own is not None and not same_person(own, entry):
            return LinkRefusal.OTHER_PERSON
        named = current.full_name
        if own is None and named and name_key(named) != name_key(entry.name):
            return LinkRefusal.OTHER_PERSON  # they told the bot another name
    return None


async def join_by_token(
    session: AsyncSession, person: TelegramPerson, token: str, now: datetime | None = None
) -> RosterJoin | None:
    """Join the cohort of the roster row with this token and tie the account to it; None when
    no row has this token. Refused (see `link_refusal`) with nothing changed; the same account
    again is simply already a member."""
    entry = await entry_by_token(session, token)
    if entry is None:
        return None
    refused = await link_refusal(session, person, entry)
    if refused is not None:
        return RosterJoin(entry, None, refused)
    cohort = await session.get(Cohort, entry.cohort_id)
    assert cohort is not None
    joined = await join_cohort(session, person, cohort.code, now)
    assert joined is not None
    if entry.participant_id != joined.participant.id:
        await tie(session, entry, joined.participant, joining=True)
    return RosterJoin(entry, joined)


async def match_by_username(session: AsyncSession, participant: Participant) -> RosterEntry | None:
    """Tie a member joining by the cohort code to the unmatched roster row with their Telegram
    username (case ignored), if there is exactly one such row and they have none."""
    username = (participant.telegram_username or "").lower()
    if not username or await entry_of(session, participant.id) is not None:
        return None
    rows = [
        e
        for e in await not_joined(session, participant.cohort_id)
        if (e.telegram_username or "").lower() == username
    ]
    if len(rows) != 1:
        return None
    await tie(session, rows[0], participant, joining=True)
    return rows[0]


async def untied_members(session: AsyncSession, cohort_id: int) -> list[Participant]:
    """Members of the cohort that no roster row is tied to, in the order they joined."""
    tied = select(RosterEntry.participant_id).where(RosterEntry.participant_id.is_not(None))
    result = await session.scalars(
        select(Participant)
        .where(Participant.cohort_id == cohort_id, Participant.id.not_in(tied))
        .order_by(Participant.joined_at, Participant.id)
    )
    return list(result)


async def roster_pair(
    session: AsyncSession, cohort_id: int, roster_id: int, participant_id: int, *, tied: bool
) -> tuple[RosterEntry, Participant]:
    """The roster row and the member a facilitator's button names, checked: both of the cohort
    and, when `tied`, tied to each other; otherwise the row unmatched and the member tied to no
    row. Anything else (forged, stale, another cohort's) raises InvalidInput("roster.stale")."""
    entry = await session.get(RosterEntry, roster_id)
    participant = await session.get(Participant, participant_id)
    if (
        entry is None
        or participant is None
        or entry.cohort_id != cohort_id
        or participant.cohort_id != cohort_id
    ):
        raise InvalidInput("roster.stale")
    if tied:
        valid = entry.participant_id == participant.id
    else:
        valid = entry.participant_id is None and await entry_of(session, participant.id) is None
    if not valid:
        raise InvalidInput("roster.stale")
    return entry, participant


async def match(
    session: AsyncSession, cohort_id: int, roster_id: int, participant_id: int
) -> RosterEntry:
    """A facilitator ties a member who joined by code to a roster row (see `roster_pair` for
    what is checked; nothing changes when it is refused)."""
    entry, participant = await roster_pair(
        session, cohort_id, roster_id, participant_id, tied=False
    )
    await tie(session, entry, participant)
    return entry


async def untie(
    session: AsyncSession, cohort_id: int, roster_id: int, participant_id: int
) -> RosterEntry:
    """A facilitator undoes a match: the roster row is free again, and the member gets back
    the name and unit they had told the bot themselves (see `roster_pair`)."""
    entry, participant = await roster_pair(session, cohort_id, roster_id, participant_id, tied=True)
    entry.participant_id = None
    participant.full_name, participant.unit = participant.own_full_name, participant.own_unit
    participant.own_full_name = participant.own_unit = None
    await session.flush()
    return entry


# --- what the facilitator sees --------------------------------------------------------------


@dataclass(frozen=True)
class RosterStatus:
    entries: list[RosterEntry]
    not_joined: list[RosterEntry]
    untied: list[Participant]  # joined by code, tied to no roster row

    @property
    def total(self) -> int:
        return len(self.entries)

    @property
    def joined(self) -> int:
        return self.total - len(self.not_joined)


async def cohort_entries(session: AsyncSession, code: str) -> tuple[Cohort, list[RosterEntry]]:
    """The cohort with this code and its whole roster, in order; NotFound for an unknown code."""
    cohort = await get_cohort(session, code)
    return cohort, await _entries(session, cohort.id)


async def roster_status(session: AsyncSession, cohort_id: int) -> RosterStatus:
    entries = await _entries(session, cohort_id)
    return RosterStatus(
        entries,
        [e for e in entries if e.participant_id is None],
        await untied_members(session, cohort_id),
    )


async def roster_count(session: AsyncSession, cohort_id: int) -> int:
    found = await session.scalar(
        select(func.count()).select_from(RosterEntry).where(RosterEntry.cohort_id == cohort_id)
    )
    return int(found or 0)


LINK_COLUMNS = (*COLUMNS, *LINK_ONLY_COLUMNS)


def links_csv(
    entries: list[RosterEntry], link: Callable[[str], str], *, separator: str = COMMA
) -> bytes:
    """The personal links as CSV (`core.spreadsheet`: UTF-8 with a BOM, typed text kept text,
    the NIP in groups). It reads back as a roster: `link` and `joined` are ignored there."""
    return csv_file(
        LINK_COLUMNS,
        (
            [
                text_cell(e.name),
                text_cell(e.unit or ""),
                nip_cell(e.nip),
                e.telegram_username or "",
                link(e.join_token),
                "yes" if e.participant_id is not None else "no",
            ]
            for e in entries
        ),
        separator=separator,
    )
