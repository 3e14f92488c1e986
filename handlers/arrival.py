"""Before every feature: who wrote. Their person is found (made the first time they write),
their contact noted as reachable and written from now (`core.contacts`), and someone whose
contact had been unreachable (they had blocked the bot) gets their reminders back. On a channel
with a service window (WhatsApp), the announcements that could not reach them while it was
closed (no template) are sent now that it is open again (`scheduler.outbox.claim_held`), and so
are the questions and requests it kept from them whole, on any channel (`core.held`)."""

from __future__ import annotations

from core import contacts
from core import held as held_messages
from core.announcements import delivered_messages
from core.channel import ANNOUNCEMENT, Outbound, Sent
from core.participants import find_participant
from core.reminders import sync_reminders
from handlers.consent import STOP_WORDS
from handlers.turn import Turn
from scheduler.outbox import Held, claim_held, record_needs_template


async def arrive(turn: Turn) -> None:
    services = turn.services
    now = services.clock()
    where = turn.sender.address
    if services.people.fresh(where, now):
        return
    channel = services.channels.get(where.channel)
    windowed = channel is not None and channel.capabilities.service_window is not None
    async with services.db.begin() as session:
        arrival = await contacts.arrive(session, turn.sender, now)
        if arrival.came_back:
            current = await find_participant(session, arrival.person_id)
            if current is not None:
                await sync_reminders(session, current, now)
        # What waited for them, unless what they wrote asks for nothing more.
        stopping = turn.command is not None and turn.command.name in STOP_WORDS
        held = (
            await claim_held(session, arrival.person_id, now) if windowed and not stopping else []
        )
        kept = [] if stopping else await held_messages.claim(session, arrival.person_id, now)
    services.people.note(where, arrival.person_id, now)
    if held:
        await _deliver_held(turn, held)
    if kept:
        await _deliver_kept(turn, arrival.person_id, kept)


async def _deliver_kept(turn: Turn, person_id: int, kept: list[Outbound]) -> None:
    """The messages a closed window kept from them (`core.held`), whole, now that they wrote
    (committed first); one that does not go is kept again."""
    services = turn.services
    for message in kept:
        result = await turn.channel.send(turn.sender.address, message)
        if not isinstance(result, Sent) or result.template:
            async with services.db.begin() as session:
                await held_messages.keep(session, person_id, message, services.clock())


async def _deliver_held(turn: Turn, held: list[Held]) -> None:
    """The announcements claimed for them, sent now (committed first); one that fails is put
    back for the next time they write."""
    services = turn.services
    default = services.settings.aksi_default_language
    for item in held:
        lang = item.language or default
        messages = delivered_messages(services.i18n, lang, item.cohort_name, item.body)
        results = [await turn.channel.send(turn.sender.address, m) for m in messages]
        if not all(isinstance(r, Sent) for r in results):
            async with services.db.begin() as session:
                await record_needs_template(session, item.row_id, ANNOUNCEMENT)
