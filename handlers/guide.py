"""The answers to the offers after joining (handlers.offers): write the plan now or later; a
daily reminder time in one tap, or keep the cohort's — or the same typed instead of tapped
(the plan's title, a time), on the day of the offer."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, conversation, plans, reminder_settings
from core import reminders as rem
from core.channel import Rows
from core.conversation import Ask
from core.errors import InvalidInput
from core.participants import effective_timezone
from core.reading import BadTime
from core.timefmt import local
from handlers import offers, plan, refusals
from handlers.common import Answer, plain, text
from handlers.menu import main_menu
from handlers.offers import QUICK_TIMES, times_shown
from handlers.turn import HasServices, Reader, Turn

_BUTTONS = {
    "plan": frozenset({""}),
    "title": frozenset({""}),
    "notitle": frozenset({""}),
    "later": frozenset({""}),
    "rkeep": frozenset({""}),
    "rtime": frozenset(t.replace(":", "") for t in QUICK_TIMES),
}


async def guide_button(turn: Turn) -> None:
    """The offers' buttons: write the plan now or later (or with the title typed); a reminder
    time, or keep it."""
    button = buttons.unpack(turn.data, buttons.GUIDE, dict(_BUTTONS))
    async with turn.services.db.begin() as session:
        reader = await turn.identify(session)
        participant, lang = reader.participant, reader.lang
        answer = None
        if participant is not None and button is not None:
            answer = await _pressed(session, turn, reader, button.action, button.arg)
    if participant is None:
        await turn.ask_for_code(lang)
        return
    if button is None or answer is None:
        await turn.answer_button(plain(turn, lang, "button.stale"), alert=True)
        return
    await turn.answer_button()
    body, keyboard = answer
    if button.action == "plan":
        await turn.edit_or_reply(body)
        await plan.start_plan(turn)
        return
    if button.action in ("later", "rtime", "rkeep"):
        # Done with the offer: what comes next is the daily round, one tap away.
        assert participant is not None
        keyboard = await main_menu(turn, lang, participant)
    await turn.edit_or_reply(body, keyboard)


async def _pressed(
    session: AsyncSession, context: HasServices, reader: Reader, action: str, arg: str
) -> tuple[str, Rows | None] | None:
    """What a press changes (in the update's transaction) and answers; None when stale."""
    participant = reader.participant
    assert participant is not None
    lang, now = reader.lang, context.services.clock()
    titled = conversation.is_open(participant, Ask.OFFER_TITLE)
    if conversation.is_open(participant, *conversation.OFFERS):
        conversation.clear(participant)  # the offer is answered by the press
    if action == "title":  # the title typed under the plan offer: the plan goes on from it
        row = await plans.load_draft(session, participant.id)
        if not titled or row is None:
            return None
        conversation.ask(participant, Ask.PLAN)
        return plan.render(context, lang, plans.Draft.from_json(row.step, row.data))
    if action == "notitle":
        if not titled:
            return None
        await plans.discard_draft(session, participant)
        offers.expect_answer(participant, Ask.OFFER_PLAN, now)
        return offers.plan_offer(context, lang)
    if action == "plan":
        return text(context, lang, "guide.plan_started"), None
    if action == "later":
        return text(context, lang, "guide.plan_later"), None
    if action == "rtime":
        participant.reminder_times = f"{arg[:2]}:{arg[2:]}"
        participant.reminders_paused = False
        await rem.sync_reminders(session, participant, now)
        key = "guide.time_set"
    else:
        key = "guide.time_kept"
    return text(context, lang, key, times=times_shown(context, lang, participant)), None


async def _propose_title(
    session: AsyncSession, context: HasServices, reader: Reader, typed: str, day: date
) -> Answer:
    """Text typed under the plan offer may be the plan's title: kept in a draft, and asked
    about (a greeting typed there must not become a title unawares)."""
    participant = reader.participant
    assert participant is not None
    lang = reader.lang
    draft = plans.start_draft(await plans.load_plan(session, participant.id))
    try:
        draft = plans.typed(draft, typed, lang)
    except InvalidInput as exc:
        return [(plan.error_text(context, lang, exc, None), None)]
    await plans.store_draft(session, participant, draft, context.services.clock())
    conversation.ask(participant, Ask.OFFER_TITLE, day=day)  # the draft waits for the "yes"
    return [offers.title_question(context, lang, draft.title or "")]


async def answer_typed(
    session: AsyncSession, context: HasServices, reader: Reader, typed: str
) -> Answer:
    """Text typed while an offer waits (`Ask.OFFER_*`, for the day it was made): under the plan
    offer it is the plan's title (the plan is started with it), under the reminder offer a
    time. On a later day the offer no longer waits: the usual answer."""
    participant = reader.participant
    assert participant is not None
    offer = conversation.waiting(participant)
    assert offer is not None and offer.ask in conversation.OFFERS and offer.day is not None
    lang, now = reader.lang, context.services.clock()
    today = local(now, effective_timezone(participant)).date()
    if offer.day != today:
        conversation.clear(participant)
        return [(text(context, lang, "fallback.text"), None)]
    if offer.ask in (Ask.OFFER_PLAN, Ask.OFFER_TITLE):
        return await _propose_title(session, context, reader, typed, today)
    assert offer.ask == Ask.OFFER_TIME
    try:
        reminder_settings.apply_change(participant, "add", typed)
    except BadTime as exc:  # the offer still waits: a time, or a button
        return [(refusals.bad_time(context, lang, exc, "reminders.bad_time"), None)]
    except InvalidInput as exc:
        return [(text(context, lang, str(exc)), None)]
    conversation.clear(participant)
    await rem.sync_reminders(session, participant, now)
    shown = times_shown(context, lang, participant)
    keyboard = await main_menu(context, lang, participant)
    return [(text(context, lang, "guide.time_set", times=shown), keyboard)]
