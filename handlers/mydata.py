"""/dataku (/mydata) sends the participant's own data; /hapusdata (/deletedata) erases it."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from core.checkins import erase_personal_data
from core.confirmations import Taken
from core.mentors import has_mentored
from core.mydata import memberships, personal_csv
from core.spreadsheet import COMMA, SEMICOLON, separator_for, separator_named
from handlers import confirm
from handlers.common import plain, text
from handlers.plan_words import describe_schedule
from handlers.turn import Turn

# Under the file: how it is separated, and how to ask for the other one.
_NOTES = {SEMICOLON: "mydata.csv_semicolon", COMMA: "mydata.csv_comma"}


async def send_my_data(turn: Turn) -> None:
    """/dataku: a CSV file of the profile, plan, every check-in and reflection, separated as
    the reader's language expects (`;` in Indonesian); `/dataku koma|titikkoma` chooses."""
    async with turn.services.db() as session:
        reader = await turn.identify(session)
        participant = reader.participant
        if participant is None:
            await turn.ask_for_code(reader.lang)
            return
        lang = reader.lang
        words = [separator_named(w) for w in turn.args or []]
        separator = next((s for s in words if s), separator_for(lang))
        data = await personal_csv(
            session,
            await memberships(session, reader.person.person_id),
            lambda key: plain(turn, lang, key),
            lambda encoded: describe_schedule(turn, lang, encoded),
            separator=separator,
            now=turn.services.clock(),
        )
    slug = re.sub(r"[^a-z0-9]+", "-", (participant.full_name or reader.person.first_name).lower())
    filename = plain(turn, lang, "file.mydata", name=slug.strip("-") or "data")
    caption = text(turn, lang, "mydata.caption") + "\n" + text(turn, lang, _NOTES[separator])
    await turn.send_file(data, filename, caption)


async def ask_delete(turn: Turn) -> None:
    """/hapusdata: says what will be erased and asks for an explicit confirmation first (it
    stands for a few minutes, and only until the person does something else)."""
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        if reader.participant is None and not await has_mentored(session, turn.person_id):
            keyboard = None
        else:
            lang = reader.lang
            keyboard = await confirm.ask(
                session,
                turn,
                reader.person.person_id,
                lang,
                "erase_data",
                {},
                confirm.yes_no(turn, lang, "mydata.confirm_button"),
            )
    if keyboard is None:
        await turn.ask_for_code(reader.lang)
        return
    body = text(turn, lang, "mydata.confirm") + "\n\n" + confirm.valid_for(turn, lang)
    await turn.reply(body, keyboard)


@confirm.action("erase_data", again="mydata.again")
async def erase_confirmed(
    session: AsyncSession, turn: Turn, taken: Taken, choice: str
) -> confirm.Done:
    """The answer to /hapusdata's question: erase everything, or keep it."""
    lang = taken.language
    if choice != "yes":
        return confirm.Done([(text(turn, lang, "mydata.kept"), None)])
    erased = await erase_personal_data(session, turn.person_id, turn.services.clock())
    body = text(
        turn,
        lang,
        "mydata.erased",
        cohorts=plain(turn, lang, "count.cohort", count=erased.cohorts),
        plans=plain(turn, lang, "count.plan", count=erased.plans),
        habits=plain(turn, lang, "count.habit", count=erased.habits),
        check_ins=plain(turn, lang, "count.check_in", count=erased.check_ins),
        reflections=plain(turn, lang, "count.reflection", count=erased.reflections),
    )
    return confirm.Done([(body, None)])
