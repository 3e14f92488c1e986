"""/dataku (/mydata) sends the participant's own data; /hapusdata (/deletedata) erases it."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import AksiContext
from core.checkins import erase_personal_data
from core.mydata import memberships, personal_csv
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


async def send_my_data(update: Update, context: AksiContext) -> None:
    """/dataku: a CSV file of the profile, plan, every check-in and reflection."""
    async with context.services.db() as session:
        reader = await identify(session, update, context)
        participant = reader.participant
        if participant is None:
            await ask_for_code(update, context, reader.lang)
            return
        lang = reader.lang
        data = await personal_csv(
            session,
            await memberships(session, reader.person.user_id),
            lambda key: plain(context, lang, key),
            lambda encoded: describe_schedule(context, lang, encoded),
        )
    slug = re.sub(r"[^a-z0-9]+", "-", (participant.full_name or reader.person.first_name).lower())
    filename = plain(context, lang, "file.mydata", name=slug.strip("-") or "data")
    await send_file(update, context, data, filename, text(context, lang, "mydata.caption"))


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
                cohorts=plain(context, lang, "count.cohort", count=erased.cohorts),
                plans=plain(context, lang, "count.plan", count=erased.plans),
                habits=plain(context, lang, "count.habit", count=erased.habits),
                check_ins=plain(context, lang, "count.check_in", count=erased.check_ins),
                reflections=plain(context, lang, "count.reflection", count=erased.reflections),
            )
    await answer_button(update)
    await edit_or_reply(update, context, body)
