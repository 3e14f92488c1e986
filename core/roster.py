"""The roster: a cohort's official participant list, each person with a personal join link.

A roster row is tied to the Telegram account that joined with its personal link (or was matched
to it by username or by a facilitator). Personal tokens look like `r-` and 24 random letters and
digits: the lowercase `r` means a token can never equal a cohort code (codes are stored
upper-case), and tokens are looked up case-sensitively before any code.

Here: importing the roster into the database, and what the facilitator sees of it. The file
itself is `core.roster_file`, the tokens and links `core.roster_tokens`, and tying rows to
members `core.roster_matching`; their names are importable from here as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cohorts import get_cohort
from core.contacts import telegram_usernames
from core.imports import ImportSummary
from core.roster_file import (
    COLUMNS,
    LINK_COLUMNS,
    LINK_ONLY_COLUMNS,
    NAME_MAX,
    REQUIRED,
    UNIT_MAX,
    RosterRow,
    clean_username,
    links_csv,
    name_key,
    parse_roster,
)
from core.roster_matching import (
    LinkRefusal,
    RosterJoin,
    entry_by_token,
    entry_of,
    join_by_token,
    link_refusal,
    match,
    match_by_username,
    not_joined,
    roster_pair,
    same_person,
    tie,
    untie,
    untied_members,
)
from core.roster_tokens import TOKEN_PREFIX, TOKEN_RE, link_for, looks_like_token, new_token
from storage.models import Cohort, Participant, RosterEntry

__all__ = [
    "COLUMNS",
    "LINK_COLUMNS",
    "LINK_ONLY_COLUMNS",
    "NAME_MAX",
    "REQUIRED",
    "TOKEN_PREFIX",
    "TOKEN_RE",
    "UNIT_MAX",
    "LinkRefusal",
    "RosterJoin",
    "RosterRow",
    "RosterStatus",
    "RosterSummary",
    "apply_roster",
    "clean_username",
    "cohort_entries",
    "entry_by_token",
    "entry_of",
    "join_by_token",
    "link_for",
    "link_refusal",
    "links_csv",
    "looks_like_token",
    "match",
    "match_by_username",
    "name_key",
    "new_token",
    "not_joined",
    "parse_roster",
    "roster_count",
    "roster_pair",
    "roster_status",
    "same_person",
    "tie",
    "untie",
    "untied_members",
]


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
    untied = await untied_members(session, cohort_id)
    names = await telegram_usernames(session, {p.person_id for p in untied})
    members = {names[p.person_id].lower(): p for p in untied if p.person_id in names}
    count = 0
    for entry in rows:
        participant = members.pop((entry.telegram_username or "").lower(), None)
        if participant is not None:
            await tie(session, entry, participant)
            count += 1
    return count


# --- what the facilitator sees --------------------------------------------------------------


@dataclass(frozen=True)
class RosterStatus:
    entries: list[RosterEntry]
    not_joined: list[RosterEntry]
    untied: list[Participant]  # joined by code, tied to no roster row
    usernames: dict[int, str]  # the untied members' Telegram usernames, by person

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
    untied = await untied_members(session, cohort_id)
    return RosterStatus(
        entries,
        [e for e in entries if e.participant_id is None],
        untied,
        await telegram_usernames(session, {p.person_id for p in untied}),
    )


async def roster_count(session: AsyncSession, cohort_id: int) -> int:
    found = await session.scalar(
        select(func.count()).select_from(RosterEntry).where(RosterEntry.cohort_id == cohort_id)
    )
    return int(found or 0)
