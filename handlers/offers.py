"""The next step the bot offers instead of waiting for a command: after joining, write the
action plan now (with examples for the training's theme); after the first plan, the daily
reminder time. One tap each; the buttons are handled by handlers.guide."""

from __future__ import annotations

from datetime import datetime

from core import buttons, conversation
from core import reminders as rem
from core.channel import Action, Rows, button_rows
from core.conversation import Ask
from core.participants import effective_timezone
from core.timefmt import clock, local, zone_abbreviation
from handlers.common import plain, text
from handlers.turn import HasServices
from storage.models import Participant

QUICK_TIMES = ("06:00", "07:00", "08:00")  # one tap; any other time is typed (/pengingat)


def _button(label: str, action: str, arg: str = "") -> Action:
    return Action(label, buttons.pack(buttons.GUIDE, action, arg))


def expect_answer(participant: Participant, offer: Ask, now: datetime) -> None:
    """While an offer is the latest thing the bot asked, a typed answer goes to it (the plan's
    title, a reminder time), on the day it was made (`core.conversation`: Ask.OFFER_*)."""
    today = local(now, effective_timezone(participant)).date()
    conversation.ask(participant, offer, day=today)


def plan_offer(context: HasServices, lang: str) -> tuple[str, Rows]:
    """After joining (and the profile questions): write the action plan now, with examples."""
    keyboard = button_rows(
        [
            [_button(plain(context, lang, "guide.button_plan"), "plan")],
            [_button(plain(context, lang, "guide.button_later"), "later")],
        ]
    )
    return text(context, lang, "guide.plan_offer"), keyboard


def plan_nudge(context: HasServices, lang: str) -> tuple[str, Rows]:
    """The one friendly nudge a day after joining, for someone still without a plan."""
    return text(context, lang, "guide.plan_nudge"), plan_offer(context, lang)[1]


def title_question(context: HasServices, lang: str, title: str) -> tuple[str, Rows]:
    """Text typed under the plan offer: is it the plan's title?"""
    keyboard = button_rows(
        [
            [_button(plain(context, lang, "guide.button_title"), "title")],
            [_button(plain(context, lang, "guide.button_not_title"), "notitle")],
        ]
    )
    return text(context, lang, "guide.title_question", title=title), keyboard


def times_shown(context: HasServices, lang: str, participant: Participant) -> str:
    zone = zone_abbreviation(effective_timezone(participant))
    shown = [clock(datetime.strptime(t, "%H:%M"), lang) for t in rem.daily_times(participant)]
    return f"{', '.join(shown)} {zone}"


def reminder_offer(context: HasServices, lang: str, participant: Participant) -> tuple[str, Rows]:
    """After the first plan is saved: the daily reminder time, one tap."""
    quick = [
        _button(clock(datetime.strptime(t, "%H:%M"), lang), "rtime", t.replace(":", ""))
        for t in QUICK_TIMES
    ]
    other = Action(
        plain(context, lang, "guide.button_other_time"),
        buttons.pack(buttons.REMINDERS, "add"),
    )
    keyboard = button_rows(
        [quick, [other], [_button(plain(context, lang, "guide.button_keep_time"), "rkeep")]]
    )
    body = text(
        context, lang, "guide.reminder_offer", times=times_shown(context, lang, participant)
    )
    return body, keyboard
