"""The yes / no under a destructive action, for every feature (core.confirmations).

A feature registers what its confirmation does with `@action("name")`, asks with `ask(...)`
(which stores the question and returns its buttons), and the one button handler here carries
it out — only when the question is still open: pressed by the person it was asked of, within
`CONFIRM_FOR`, with nothing else done in between. `void_on_anything_else` runs before every
other handler and voids a person's open questions as soon as they send or press anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons as button_data
from core import confirmations
from core.channel import Action as Button
from core.channel import Rows, button_rows
from core.confirmations import CHOICES, CONFIRM_FOR, Ref, State, Taken
from handlers.common import Answer, plain, text
from handlers.turn import HasServices, Turn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Done:
    """What carrying out (or cancelling) a confirmation answers: the first message replaces
    the question, the others follow; `after` runs once the transaction is committed."""

    answer: Answer
    after: Callable[[], Awaitable[None]] | None = field(default=None)


# run(session, turn, taken, choice) inside the write transaction of the press.
Run = Callable[[AsyncSession, Turn, Taken, str], Awaitable[Done]]


@dataclass(frozen=True)
class Action:
    run: Run
    again: str  # catalog key: how to ask again (e.g. "type /hapusdata again")


ACTIONS: dict[str, Action] = {}


def action(name: str, again: str) -> Callable[[Run], Run]:
    """Register what the confirmation `name` does when answered."""

    def register(run: Run) -> Run:
        ACTIONS[name] = Action(run, again)
        return run

    return register


async def ask(
    session: AsyncSession,
    context: HasServices,
    person_id: int,
    lang: str,
    name: str,
    payload: dict[str, Any],
    buttons: list[tuple[str, str]],
) -> Rows:
    """Store the question `name` with its `payload` and return its keyboard: one row per
    (choice, label) in `buttons`, choice one of yes / no / alt."""
    if name not in ACTIONS:
        raise KeyError(f"no confirmation action {name!r}")
    ref = await confirmations.ask(session, person_id, name, payload, lang, context.services.clock())
    (await _asking(context)).add(person_id)
    rows = []
    for choice, label in buttons:
        assert choice in CHOICES
        data = button_data.pack(button_data.CONFIRM, choice, ref.encode())
        rows.append([Button(label, data)])
    return button_rows(rows)


def valid_for(context: HasServices, lang: str) -> str:
    """The line under every question: how long it stands."""
    minutes = plain(context, lang, "count.minute", count=int(CONFIRM_FOR.total_seconds() // 60))
    return text(context, lang, "confirm.valid_for", minutes=minutes)


def yes_no(
    context: HasServices, lang: str, yes_key: str, no_key: str = "button.cancel"
) -> list[tuple[str, str]]:
    return [("yes", plain(context, lang, yes_key)), ("no", plain(context, lang, no_key))]


def _parse(data: str | None) -> tuple[str, Ref] | None:
    parts = (data or "").split(":")
    if len(data or "") > button_data.MAX_BYTES or len(parts) != 3:
        return None
    if parts[0] != button_data.CONFIRM or parts[1] not in CHOICES:
        return None
    ref = Ref.decode(parts[2])
    return (parts[1], ref) if ref is not None else None


async def confirm_button(turn: Turn) -> None:
    """Yes / no (or the alternative) under a question: carried out only while it is open."""
    parsed = _parse(turn.data)
    done: Done | None = None
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        if parsed is None:
            taken = Taken(State.GONE)
        else:
            _choice, ref = parsed
            taken = await confirmations.take(
                session, reader.person.person_id, ref, turn.services.clock()
            )
            if taken.state is State.OPEN:  # one question open at a time: none open now
                (await _asking(turn)).discard(reader.person.person_id)
        lang = taken.language or reader.lang
        known = ACTIONS.get(taken.action)
        if taken.state is State.OPEN and known is not None and parsed is not None:
            done = await known.run(session, turn, taken, parsed[0])
    if done is None:
        if taken.state is State.GONE:
            await turn.answer_button(plain(turn, lang, "confirm.gone"), alert=True)
            return
        key = "confirm.expired" if taken.state is State.EXPIRED else "confirm.voided"
        again = plain(turn, lang, known.again) if known is not None else ""
        await turn.answer_button(plain(turn, lang, f"{key}_short"), alert=True)
        await turn.edit_or_reply(text(turn, lang, key, again=again))
        return
    await turn.answer_button()
    for i, (body, keyboard) in enumerate(done.answer):
        if i == 0:
            await turn.edit_or_reply(body, keyboard)
        else:
            await turn.reply(body, keyboard)
    if done.after is not None:
        await done.after()


async def _asking(context: HasServices) -> set[int]:
    """Who may have an open question: read from the table once, then kept by this module (a
    question asked adds its person; voiding or answering it removes them). A person in it
    costs one indexed read before their next update; everyone else costs nothing."""
    services = context.services
    if services.asking is None:
        async with services.db() as session:
            services.asking = await confirmations.people_asked(session)
    return services.asking


async def void_on_anything_else(turn: Turn) -> None:
    """Runs before every handler: anything a person sends or presses, other than the answer to
    a question, voids the questions they have open (so an old "yes" can never erase later)."""
    if (turn.data or "").startswith(f"{button_data.CONFIRM}:"):
        return
    asking = await _asking(turn)
    person_id = turn.person_id
    if person_id not in asking:
        return
    async with turn.services.db.begin() as session:
        voided = await confirmations.void_open(session, person_id, turn.services.clock())
    asking.discard(person_id)
    log.debug("voided %d open confirmation(s) of person %s", voided, person_id)


class Closable(Protocol):
    """A form, a quiz: closed for good once `closed_at` is set."""

    closed_at: datetime | None


C = TypeVar("C", bound=Closable)


async def close_for_good(
    session: AsyncSession,
    turn: Turn,
    taken: Taken,
    choice: str,
    find: Callable[[AsyncSession, int, bool, int], Awaitable[C | None]],
    kept: str,
    results: Callable[[AsyncSession, HasServices, str, C], Awaitable[str]],
) -> Done:
    """The answer to "close this for good?": `find` (by the person, whether admin, and the id
    asked about) gives it only to those who manage it; closed and its `results` shown, or kept
    open (`kept`: what says so)."""
    lang = taken.language
    found_id = taken.data.get("id")
    found = (
        await find(session, turn.person_id, turn.is_admin, found_id)
        if isinstance(found_id, int)
        else None
    )
    if found is None:
        return Done([(text(turn, lang, "button.stale"), None)])
    if choice != "yes":
        return Done([(text(turn, lang, kept), None)])
    if found.closed_at is None:
        found.closed_at = turn.services.clock()
        await session.flush()
    return Done([(await results(session, turn, lang, found), None)])
