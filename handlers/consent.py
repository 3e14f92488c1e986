"""Consent (issue 15, item 2): `/berhenti` (`/stop`; on WhatsApp the word BERHENTI or STOP)
stops every message Aksi sends unasked — reminders, digests, announcements, questions — on all
of the person's contacts; `/mulai` (`/resume`; MULAI, or START) and joining take them back,
recorded with their time and words (`core.contacts`). What they ask is still answered."""

from __future__ import annotations

from core import contacts
from handlers.common import text
from handlers.turn import Turn

# The command that stops everything sent unasked (`stop_messages`); nothing kept for the
# person is delivered on its way in (`handlers.arrival`).
STOP_WORDS = ("berhenti", "stop")


async def stop_messages(turn: Turn) -> None:
    """/berhenti: no more unprompted messages until /mulai."""
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        stopped = await contacts.opt_out(session, turn.person_id, turn.services.clock())
    key = "consent.stopped" if stopped else "consent.already_stopped"
    await turn.reply(text(turn, reader.lang, key))


async def resume_messages(turn: Turn) -> None:
    """/mulai: unprompted messages again (an explicit opt-in, recorded)."""
    said = turn.command.text if turn.command is not None else ""
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        await contacts.opt_in(session, turn.sender.address, turn.services.clock(), said or "/mulai")
    await turn.reply(text(turn, reader.lang, "consent.resumed"))
