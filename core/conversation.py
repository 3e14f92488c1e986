"""The questions the bot can leave open for a typed answer: one registry of named states, each
with its own data, kept in `participants.awaiting` (so it survives a restart) and read back
strictly. Typed text is routed by the state (`handlers/typed.py`); text that matches no open
question gets the general answer.

Stored as short strings, the same as before this registry existed, so a database of an earlier
release reads the same: `plan`, `full_name`, `edit:unit`, `ci_value:12:20210903`,
`offer_plan:20210903`. A stored value that is not one of these (hand-edited, from a newer
release) reads as no open question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from storage.models import Participant


class Ask(StrEnum):
    # The profile, while joining (each answer may ask the next) or from /pengaturan.
    FULL_NAME = "full_name"
    UNIT = "unit"
    EDIT_FULL_NAME = "edit:full_name"
    EDIT_UNIT = "edit:unit"
    # A step of the action plan being written (handlers/plan.py).
    PLAN = "plan"
    # /pengingat: a reminder time, or the date to pause reminders until.
    REMINDER_TIME = "rem_time"
    PAUSE_UNTIL = "rem_until"
    # A check-in's follow-up for one day: the reflection; for one habit: the reason for a skip
    # (picked with a button, or typed for "other"), the number done.
    CHECKIN_NOTE = "ci_note"
    CHECKIN_PICK = "ci_pick"
    CHECKIN_REASON = "ci_reason"
    CHECKIN_VALUE = "ci_value"
    # The offers after joining, answered by typing on the day they were made.
    OFFER_PLAN = "offer_plan"
    OFFER_TIME = "offer_time"
    OFFER_TITLE = "offer_title"
    # /tahapan: a new milestone's title, then its date (handlers.milestones).
    MILESTONE_TITLE = "ms_title"
    MILESTONE_DUE = "ms_due"
    # After answering a follow-up question: what helped or blocked the action (its id).
    FOLLOW_UP_NOTE = "fu_note"
    # The reason of an excuse for a missed session (the attendance row's id).
    EXCUSE_REASON = "ex_reason"
    # A free-text item of an evaluation (the item's id).
    EVALUATION_TEXT = "ev_text"


PROFILE = frozenset({Ask.FULL_NAME, Ask.UNIT, Ask.EDIT_FULL_NAME, Ask.EDIT_UNIT})
EDITING = frozenset({Ask.EDIT_FULL_NAME, Ask.EDIT_UNIT})
CHECKIN = frozenset({Ask.CHECKIN_NOTE, Ask.CHECKIN_PICK, Ask.CHECKIN_REASON, Ask.CHECKIN_VALUE})
REMINDERS = frozenset({Ask.REMINDER_TIME, Ask.PAUSE_UNTIL})
OFFERS = frozenset({Ask.OFFER_PLAN, Ask.OFFER_TIME, Ask.OFFER_TITLE})
MILESTONES = frozenset({Ask.MILESTONE_TITLE, Ask.MILESTONE_DUE})
# The data each state carries, in its stored order.
_HABIT_DAY = frozenset({Ask.CHECKIN_PICK, Ask.CHECKIN_REASON, Ask.CHECKIN_VALUE})
_DAY = frozenset({Ask.CHECKIN_NOTE, *OFFERS})
_ITEM = frozenset({Ask.FOLLOW_UP_NOTE, Ask.EXCUSE_REASON, Ask.EVALUATION_TEXT})
# An item asked on a day, answered that day only (an earlier release stored no day: any day).
_ITEM_ON_DAY = frozenset({Ask.EVALUATION_TEXT})
_ID = re.compile(r"^[1-9][0-9]{0,11}$")
_DAY_RE = re.compile(r"^[0-9]{8}$")


@dataclass(frozen=True, slots=True)
class Waiting:
    """An open question: which, and for which habit and day when it is about one, or for
    which item (a follow-up question's id) — an evaluation's free text also the day it was
    asked, as it is answered that day only."""

    ask: Ask
    habit_id: int | None = None
    day: date | None = None
    item_id: int | None = None

    def __post_init__(self) -> None:
        needs_habit, needs_day = self.ask in _HABIT_DAY, self.ask in _HABIT_DAY | _DAY
        needs_item = self.ask in _ITEM
        may_have_day = needs_day or self.ask in _ITEM_ON_DAY
        if (
            (self.habit_id is not None) != needs_habit
            or (needs_day and self.day is None)
            or (self.day is not None and not may_have_day)
            or (self.item_id is not None) != needs_item
        ):
            data = "a day" if needs_day else "an item" if needs_item else "no data"
            raise ValueError(f"{self.ask.name} takes {'a habit and ' if needs_habit else ''}{data}")

    def encode(self) -> str:
        parts = [self.ask.value]
        if self.habit_id is not None:
            parts.append(str(self.habit_id))
        if self.day is not None:
            parts.append(f"{self.day:%Y%m%d}")
        if self.item_id is not None:
            parts.append(str(self.item_id))
        return ":".join(parts)

    @property
    def field(self) -> str | None:
        """The profile field asked for ("full_name", "unit"), else None."""
        return self.ask.value.removeprefix("edit:") if self.ask in PROFILE else None


def decode(raw: str | None) -> Waiting | None:
    """The open question stored as `raw`; None for none, or for anything not written by
    `Waiting.encode`."""
    if not raw:
        return None
    if raw in Ask._value2member_map_:
        ask = Ask(raw)
        return None if ask in _HABIT_DAY | _DAY | _ITEM else Waiting(ask)
    name, _, rest = raw.partition(":")
    if name not in Ask._value2member_map_:
        return None
    ask, parts = Ask(name), rest.split(":")
    try:
        if ask in _HABIT_DAY and len(parts) == 2 and _ID.match(parts[0]):
            return Waiting(ask, int(parts[0]), _day(parts[1]))
        if ask in _DAY and len(parts) == 1:
            return Waiting(ask, day=_day(parts[0]))
        if ask in _ITEM and len(parts) == 1 and _ID.match(parts[0]):
            return Waiting(ask, item_id=int(parts[0]))
        if ask in _ITEM_ON_DAY and len(parts) == 2 and _ID.match(parts[1]):
            return Waiting(ask, day=_day(parts[0]), item_id=int(parts[1]))
    except ValueError:
        return None
    return None


def _day(text: str) -> date:
    if not _DAY_RE.match(text):
        raise ValueError(text)
    return datetime.strptime(text, "%Y%m%d").date()


def waiting(person: Participant) -> Waiting | None:
    return decode(person.awaiting)


def ask(
    person: Participant,
    what: Ask,
    *,
    habit_id: int | None = None,
    day: date | None = None,
    item_id: int | None = None,
) -> None:
    """Leave `what` open: the person's next typed text answers it."""
    person.awaiting = Waiting(what, habit_id, day, item_id).encode()


def clear(person: Participant) -> None:
    """No question open any more (answered, or something else was done)."""
    person.awaiting = None


def is_open(person: Participant, *asks: Ask) -> bool:
    """Whether one of `asks` is the open question."""
    found = waiting(person)
    return found is not None and found.ask in asks
