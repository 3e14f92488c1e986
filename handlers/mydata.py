"""/dataku (/mydata) sends the participant's own data; /hapusdata (/deletedata) erases it."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import AksiContext
from core.checkins import erase_personal_data
from core.mydata import memberships, personal_csv
from core.spreadsheet import COMMA, SEMICOLON, separator_for, separator_named
from handlers import callbacks
from handlers.common import (
    answer_button,
    ask_for_code,
    edit_or_reply,
    identify,
    plain,
    reply,
    send_file,
    text,
)
from handlers.plan import describe_schedule

_ARGS = {"erase": frozenset({"yes", "no"})}
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
    filename = f"aksi-{slug.strip('-') or 'data'}.csv"
    caption = text(context, lang, "mydata.caption") + "\n" + text(context, lang, _NOTES[separator])
    await send_file(update, context, data, filename, caption)


async def ask_delete(update: Update, context: AksiContext) -> None:
    """/hapusdata: asks for an explicit confirmation first."""
    async with context.services.db() as session:
        reader = await identify(session, update, context)
    if reader.participant is None:
        await ask_for_code(update, context, reader.lang)
        return
    lang = reader.lang
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    plain(context, lang, "mydata.confirm_button"),
                    callback_data=callbacks.pack(callbacks.MYDATA, "erase", "yes"),
                )
            ],
            [
                InlineKeyboardButton(
                    plain(context, lang, "button.cancel"),
                    callback_data=callbacks.pack(callbacks.MYDATA, "erase", "no"),
                )
            ],
        ]
    )
    await reply(update, context, text(context, lang, "mydata.confirm"), keyboard)


async def delete_button(update: Update, context: AksiContext) -> None:
    """The answer to the confirmation: erase everything, or keep it."""
    query = update.callback_query
    assert query is not None
    button = callbacks.unpack(query.data, callbacks.MYDATA, dict(_ARGS))
    async with context.services.db.begin() as session:
        reader = await identify(session, update, context)
        lang = reader.lang
        if reader.participant is None:
            await ask_for_code(update, context, lang)
            return
        if button is None:
            await answer_button(update, plain(context, lang, "button.stale"), alert=True)
            return
        if button.arg == "no":
            body = text(context, lang, "mydata.kept")
        else:
            erased = await erase_personal_data(session, reader.person.user_id)
            body = text(
                context,
                lang,
                "mydata.erased",
                cohorts=erased.cohorts,
                plans=erased.plans,
                habits=erased.habits,
                check_ins=erased.check_ins,
                reflections=erased.reflections,
            )
    await answer_button(update)
    await edit_or_reply(update, context, body)
