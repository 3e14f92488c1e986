"""Before every feature: who wrote. Their person is found (made the first time they write),
their contact noted as reachable and written from now (`core.contacts`), and someone whose
contact had been unreachable (they had blocked the bot) gets their reminders back."""

from __future__ import annotations

from core import contacts
from core.participants import find_participant
from core.reminders import sync_reminders
from handlers.turn import Turn


async def arrive(turn: Turn) -> None:
    services = turn.services
    now = services.clock()
    where = turn.sender.address
    if services.people.fresh(where, now):
        return
    async with services.db.begin() as session:
        arrival = await contacts.arrive(session, turn.sender, now)
        if arrival.came_back:
            current = await find_participant(session, arrival.person_id)
            if current is not None:
                await sync_reminders(session, current, now)
    services.people.note(where, arrival.person_id, now)
