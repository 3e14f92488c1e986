"""/tautkan (/link): one person on Telegram and WhatsApp (`core.linking`). Without a code it
gives one, with how to use it on the other app; with a code (`TAUTKAN ABCD2345` on WhatsApp) it
ties this contact to the code's person and says whose it is now."""

from __future__ import annotations

from core import linking
from core.participants import find_participant
from handlers.common import plain, text
from handlers.turn import Turn


async def link_contact(turn: Turn) -> None:
    now = turn.services.clock()
    typed = "".join(turn.args)[:32]
    moved = False
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        lang = reader.lang
        if not typed and not await linking.has_own(session, turn.person_id):
            # Nothing here to link to: the code comes from the app they are registered on.
            answer = text(turn, lang, "link.from_elsewhere")
        elif not typed:
            code = await linking.issue(session, turn.person_id, now)
            minutes = int(linking.LIFETIME.total_seconds() // 60)
            lifetime = plain(turn, lang, "count.minute", count=minutes)
            answer = text(turn, lang, "link.code", code=code, lifetime=lifetime)
        else:
            linked = await linking.redeem(session, turn.sender.address, typed, now)
            if linked.result is linking.Linked.LINKED:
                assert linked.person_id is not None
                moved = True
                member = await find_participant(session, linked.person_id)
                lang = (member.language if member else None) or lang
                name = (member.full_name or member.first_name) if member else None
                cohort = member.cohort.name if member else "-"
                answer = text(turn, lang, "link.done", name=name or "-", cohort=cohort)
            else:
                answer = text(turn, lang, f"link.{linked.result.value}")
    if moved:  # this address is another person's now: not the one this process noted
        turn.services.people.forget(turn.sender.address)
    await turn.reply(answer)
