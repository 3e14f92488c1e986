"""The buttons of the offers after joining (handlers.offers): write the plan now or later;
a daily reminder time in one tap, or keep the cohort's."""

from __future__ import annotations

from telegram import Update

from bot.context import AksiContext
from handlers import callbacks, plan
from handlers.common import answer_button, ask_for_code, edit_or_reply, identify, plain, text
from handlers.menu import main_menu
from handlers.offers import QUICK_TIMES, times_shown
from scheduler import reminders as rem

_BUTTONS = {
    "plan": frozenset({""}),
    "later": frozenset({""}),
    "rkeep": frozenset({""}),
    "rtime": frozenset(t.replace(":", "") for t in QUICK_TIMES),
}


async def guide_button(update: Update, context: AksiContext) -> None:
    """The offers' buttons: write the plan now or later; a reminder time, or keep it."""
    query = update.callback_query
    assert query is not None
    button = callbacks.unpack(query.data, callbacks.GUIDE, dict(_BUTTONS))
    services = context.services
    async with services.db.begin() as session:
        reader = await identify(session, update, context)
        participant, lang = reader.participant, reader.lang
        body = ""
        if participant is not None and button is not None and button.action == "rtime":
            participant.reminder_times = f"{button.arg[:2]}:{button.arg[2:]}"
            participant.reminders_paused = False
            await rem.sync_reminders(session, participant, services.clock())
            body = text(
                context, lang, "guide.time_set", times=times_shown(context, lang, participant)
            )
        elif participant is not None and button is not None and button.action == "rkeep":
            body = text(
                context, lang, "guide.time_kept", times=times_shown(context, lang, participant)
            )
    if participant is None:
        await ask_for_code(update, context, lang)
        return
    if button is None:
        await answer_button(update, plain(context, lang, "button.stale"), alert=True)
        return
    await answer_button(update)
    if button.action == "plan":
        await edit_or_reply(update, context, text(context, lang, "guide.plan_started"))
        await plan.start_plan(update, context)
        return
    # Done with the offer: what comes next is the daily round, one tap away.
    keyboard = await main_menu(context, lang, participant)
    if button.action == "later":
        await edit_or_reply(update, context, text(context, lang, "guide.plan_later"), keyboard)
    else:
        await edit_or_reply(update, context, body, keyboard)
