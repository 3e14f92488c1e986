"""The answers to the offers after joining (handlers.offers): write the plan now or later; a
daily reminder time in one tap, or keep the cohort's — or the same typed instead of tapped
(the plan's title, a time), on the day of the offer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import AksiContext
from core import plans
from core.errors import InvalidInput
from core.participants import effective_timezone
from core.reading import BadTime
from core.timefmt import local
from handlers import callbacks, plan, refusals, reminders
from handlers.common import (
    Answer,
    Reader,
    answer_button,
    ask_for_code,
    edit_or_reply,
    identify,
    plain,
    text,
)
from handlers.menu import main_menu
from handlers.offers import OFFER_PLAN, OFFER_TIME, QUICK_TIMES, times_shown
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
        if participant is not None and (participant.awaiting or "").startswith("offer_"):
            participant.awaiting = None  # answered by the button
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


async def answer_typed(
    session: AsyncSession, context: AksiContext, reader: Reader, typed: str
) -> Answer:
    """Text typed while an offer waits (the participant's `awaiting` is `offer_…:YYYYMMDD`):
    under the plan offer it is the plan's title (the plan is started with it), under the
    reminder offer a time. On a later day the offer no longer waits: the usual answer."""
    participant = reader.participant
    assert participant is not None and participant.awaiting is not None
    lang, now = reader.lang, context.services.clock()
    offer, _, day = participant.awaiting.partition(":")
    today = local(now, effective_timezone(participant)).date()
    if day != f"{today:%Y%m%d}":
        participant.awaiting = None
        return [(text(context, lang, "fallback.text"), None)]
    if offer == OFFER_PLAN:
        existing = await plans.load_plan(session, participant.id)
        await plans.store_draft(session, participant, plans.start_draft(existing), now)
        started = [(text(context, lang, "guide.plan_started"), None)]
        return started + await plan.answer_text(session, context, reader, typed)
    assert offer == OFFER_TIME
    try:
        reminders.apply_change(participant, "add", typed)
    except BadTime as exc:  # the offer still waits: a time, or a button
        return [(refusals.bad_time(context, lang, exc, "reminders.bad_time"), None)]
    except InvalidInput as exc:
        return [(text(context, lang, str(exc)), None)]
    participant.awaiting = None
    await rem.sync_reminders(session, participant, now)
    shown = times_shown(context, lang, participant)
    keyboard = await main_menu(context, lang, participant)
    return [(text(context, lang, "guide.time_set", times=shown), keyboard)]
