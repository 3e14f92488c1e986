"""Everything no other handler took: a short helpful answer pointing to /bantuan."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Collection

from core.announcements import open_draft
from core.channel import Command, Outbound
from core.staff import is_staff
from handlers.common import plain, text
from handlers.turn import Turn

NEAR = 0.75  # how alike a typed command and a known one must be to suggest it (difflib's ratio)


def unknown_command_among(
    everyone: Collection[str], staff: Collection[str]
) -> Callable[[Turn], Awaitable[None]]:
    """The answer to an unknown /command: say so and point to /bantuan — and to the command it
    most looks like, if one does (`/evaluation` → `/evaluate`, `/jadwl` → `/jadwal`), of
    `everyone`'s, and of `staff`'s for a facilitator or an admin (who need not be a member)."""
    words, all_words = sorted(everyone), sorted({*everyone, *staff})

    async def unknown_command(turn: Turn) -> None:
        inbound = turn.inbound
        name = inbound.name[:40] if isinstance(inbound, Command) else ""
        async with turn.services.db() as session:
            reader = await turn.identify(session)
            crew = await is_staff(session, turn.person_id, turn.is_admin)
        if reader.participant is None and not crew:
            await turn.reply(text(turn, reader.lang, "join.ask_code"))
            return
        known = all_words if crew else words
        near = difflib.get_close_matches(name.lower(), known, n=1, cutoff=NEAR) if name else []
        if near:
            said = text(turn, reader.lang, "fallback.command_near", command=f"/{name}",
                        near=f"/{near[0]}")  # fmt: skip
        else:
            said = text(turn, reader.lang, "fallback.command", command=f"/{name}" if name else "")
        await turn.reply(said)

    return unknown_command


async def other_message(turn: Turn) -> None:
    """Stickers, photos, voice notes and the like."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        draft = await open_draft(session, reader.person.person_id)
    if draft is not None and draft.state == "compose":  # a facilitator writing an announcement
        await turn.reply(text(turn, draft.author_language, "announce.text_only"))
        return
    key = "fallback.media" if reader.participant else "join.ask_code"
    await turn.reply(text(turn, reader.lang, key))


async def unknown_button(turn: Turn) -> None:
    """A button whose data no handler knows: forged, or from an old version of the bot."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
    await turn.answer_button(plain(turn, reader.lang, "button.stale"), alert=True)


async def sorry(turn: Turn) -> None:
    """After a failure: tell the person something went wrong, in their language — read from
    the database if it answers (the failure may be the database itself), else their app's."""
    try:
        async with turn.services.db() as session:
            await turn.identify(session)
    except Exception:  # the language stays the sender's hint or the default
        pass
    if turn.press is not None:
        await turn.channel.acknowledge(turn.press, turn.plain("error.generic"), alert=True)
        return
    message = Outbound(turn.text("error.generic"))
    turn.results.append(await turn.channel.send(turn.sender.address, message))
