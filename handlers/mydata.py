"""/dataku (/mydata) sends the participant's own data; /hapusdata (/deletedata) erases it."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import AksiContext
from core.checkins import erase_personal_data
from core.confirmations import Taken
from core.mydata import memberships, personal_csv
from core.spreadsheet import COMMA, SEMICOLON, separator_for, separator_named
from handlers import confirm
from handlers.common import ask_for_code, identify, plain, reply, send_file, text
from handlers.plan import describe_schedule

# Under the file: how it is separated, and how to ask for the other one.
_NOTES = {SEMICOLON: "mydata.csv_semicolon", COMMA: "mydata.csv_comma"}


async def send_my_data(update: Update, context: AksiContext) -> None:
    """/dataku: a CSV file of the profile, plan, every check-in and reflection, separated as
    the reader's language expects (`;` in Indonesian); `/dataku koma|titikkoma` chooses."""
    async with context.services.db() as session:
        reader = await identify(session, update, context)
        participant = reader.participant
        if participant is None:
            await ask_for_code(update, context, reader.lang)
            return
        lang = reader.lang
        words = [separator_named(w) for w in context.args or []]
        separator = next((s for s in words if s), separator_for(lang))
        data = await personal_csv(
            session,
            await memberships(session, reader.person.user_id),
            lambda key: plain(context, lang, key),
            lambda encoded: describe_schedule(context, lang, encoded),
            separator=separator,
        )
    slug = re.sub(r"[^a-z0-9]+", "-", (participant.full_name or reader.person.first_name).lower())
    filename = plain(context, lang, "file.mydata", name=slug.strip("-") or "data")
    caption = text(context, lang, "mydata.caption") + "\n" + text(context, lang, _NOTES[separator])
    await send_file(update, context, data, filename, caption)


async def ask_delete(update: Update, context: AksiContext) -> None:
    """/hapusdata: says what will be erased and asks for an explicit confirmation first (it
    stands for a few minutes, and only until the person does something else)."""
    async with context.services.db.begin() as session:
        reader = await identify(session, update, context)
        if reader.participant is None:
            keyboard = None
        else:
            lang = reader.lang
            keyboard = await confirm.ask(
                session,
                context,
                reader.person.user_id,
                lang,
                "erase_data",
                {},
                confirm.yes_no(context, lang, "mydata.confirm_button"),
            )
    if keyboard is None:
        await ask_for_code(update, context, reader.lang)
        return
    body = text(context, lang, "mydata.confirm") + "\n\n" + confirm.valid_for(context, lang)
    await reply(update, context, body, keyboard)


@confirm.action("erase_data", again="mydata.again")
async def erase_confirmed(
    session: AsyncSession, update: Update, context: AksiContext, taken: Taken, choice: str
) -> confirm.Done:
    """The answer to /hapusdata's question: erase everything, or keep it."""
    lang = taken.language
    if choice != "yes":
        return confirm.Done([(text(context, lang, "mydata.kept"), None)])
    user = update.effective_user
    assert user is not None
    erased = await erase_personal_data(session, user.id)
    body = text(
        context,
        lang,
        "mydata.erased",
        cohorts=plain(context, lang, "count.cohort", count=erased.cohorts),
        plans=plain(context, lang, "count.plan", count=erased.plans),
        habits=plain(context, lang, "count.habit", count=erased.habits),
        check_ins=plain(context, lang, "count.check_in", count=erased.check_ins),
        reflections=plain(context, lang, "count.reflection", count=erased.reflections),
    )
    return confirm.Done([(body, None)])
