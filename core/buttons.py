"""Button action data, one encoder and one strict decoder for every feature: a prefix naming
the feature, a verb and an argument, within the smallest channel limit (Telegram: 64 bytes).
Button data comes back from the chat, so it is untrusted input: anything not exactly what we
could have sent is refused (`unpack` returns None)."""

from __future__ import annotations

import re
from dataclasses import dataclass

ONBOARDING = "onb"
SETTINGS = "set"
PLAN = "plan"
CHECKIN = "ci"
CONFIRM = "cfm"  # the yes / no of a destructive action (handlers.confirm)
REMINDERS = "rem"
STAFF = "stf"  # a cohort chosen for a facilitator command (handlers.staff)
ANNOUNCE = "ann"
ROSTER = "ros"
REPORT = "rep"
ADMIN = "adm"
GUIDE = "gd"  # the next step offered after joining (handlers.guide)
MENU = "menu"  # the main menu (handlers.menu)
MENTOR = "mtr"  # a mentor's invitation, asked and answered (handlers.mentors)
APPROVAL = "apv"  # a mentor's decision on an action plan (handlers.approvals)
MILESTONE = "mst"  # the action plan's milestones (handlers.milestones)
EVIDENCE = "evd"  # evidence: moved, removed, opened, listed (handlers.evidence)
CONSULT = "kon"  # consultations: recorded, confirmed or disputed (handlers.consultations)
FOLLOW_UP = "fup"  # the follow-up after the course: answered, stopped, resumed
FINAL_REPORT = "fin"  # whose final report, or a cohort's bundle (handlers.final_report)
EVALUATION = "evl"  # an evaluation answered, opened, closed, its results (handlers.evaluations)
ATTENDANCE = "hdr"  # present, an excuse asked and decided, marked by hand (handlers.attendance)
QUIZ = "quz"  # a quiz started, a question answered by button; opened, closed, its results
PULSE = "tny"  # a pulse question answered by button; its live view refreshed, closed
MAX_BYTES = 64  # Telegram's limit for callback_data
_ID = re.compile(r"^[1-9][0-9]{0,9}$")  # ASCII only: str.isdigit() accepts "²", int() does not


@dataclass(frozen=True)
class Button:
    prefix: str
    action: str
    arg: str


def pack(prefix: str, action: str, arg: str = "") -> str:
    data = f"{prefix}:{action}:{arg}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def unpack(data: str | None, prefix: str, allowed: dict[str, frozenset[str]]) -> Button | None:
    """The button when its prefix, action and argument are all known; else None (forged/stale)."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != prefix:
        return None
    _, action, arg = parts
    if action not in allowed or arg not in allowed[action]:
        return None
    return Button(prefix, action, arg)


MAX_ID = 2_147_483_647  # PostgreSQL's integer: a larger one would fail the query, not find nothing


def parse_id(text: str) -> int | None:
    """A database id carried in button data (ASCII digits, no leading zero, within the
    database's integer); None otherwise."""
    return int(text) if _ID.match(text) and int(text) <= MAX_ID else None


def action_of(data: str | None, prefix: str) -> tuple[str, str] | None:
    """`prefix:action:arg` as (action, arg); None for another prefix, a malformed or an
    oversize button."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != prefix or len((data or "").encode()) > MAX_BYTES:
        return None
    return parts[1], parts[2]


def id_and_digit(arg: str) -> tuple[int, int] | None:
    """ "123.4": a database id and one ASCII digit (an option, a value); None otherwise."""
    first, _, second = arg.partition(".")
    found = parse_id(first)
    if found is None or len(second) != 1 or not (second.isascii() and second.isdigit()):
        return None
    return found, int(second)


def id_action(
    data: str | None, prefix: str, with_digit: frozenset[str], with_id: frozenset[str]
) -> tuple[str, int, int | None] | None:
    """`prefix:action:id.digit` (an action of `with_digit`) or `prefix:action:id` (of
    `with_id`) as (action, id, digit or None); None for anything else."""
    found = action_of(data, prefix)
    if found is None:
        return None
    action, arg = found
    if action in with_digit:
        pair = id_and_digit(arg)
        return (action, *pair) if pair is not None else None
    number = parse_id(arg)
    return (action, number, None) if action in with_id and number is not None else None
