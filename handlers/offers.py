"""The next step the bot offers instead of waiting for a command: after joining, write the
action plan now (with examples for the training's theme); after the first plan, the daily
reminder time. One tap each; the buttons are handled by handlers.guide."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import AksiContext
from core.participants import effective_timezone
from core.timefmt import clock, local, zone_abbreviation
from handlers import callbacks
from handlers.common import plain, text
from scheduler import reminders as rem
from storage.models import Participant

QUICK_TIMES = ("06:00", "07:00", "08:00")  # one tap; any other time is typed (/pengingat)


def _button(label: str, action: str, arg: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.pack(callbacks.GUIDE, action, arg))


# While an offer is the latest thing the bot asked, a typed answer goes to it (the plan's title,
# a reminder time), on the day it was made: "offer_plan:20210903", "offer_time:20210903".
OFFER_PLAN = "offer_plan"
OFFER_TIME = "offer_time"
OFFER_TITLE = "offer_title"  # a title typed under the plan offer, waiting for its "yes"


def expect_answer(participant: Participant, offer: str, now: datetime) -> None:
    """A typed answer today goes to `offer` (it waits like a question, for today only)."""
    today = local(now, effective_timezone(participant)).date()
    participant.awaiting = f"{offer}:{today:%Y%m%d}"


def plan_offer(context: AksiContext, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """After joining (and the profile questions): write the action plan now, with examples."""
    keyboard = InlineKeyboardMarkup(
        [
            [_button(plain(context, lang, "guide.button_plan"), "plan")],
            [_button(plain(context, lang, "guide.button_later"), "later")],
        ]
    )
    return text(context, lang, "guide.plan_offer"), keyboard


def plan_nudge(context: AksiContext, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """The one friendly nudge a day after joining, for someone still without a plan."""
    return text(context, lang, "guide.plan_nudge"), plan_offer(context, lang)[1]


def title_question(context: AksiContext, lang: str, title: str) -> tuple[str, InlineKeyboardMarkup]:
    """Text typed under the plan offer: is it the plan's title?"""
    keyboard = InlineKeyboardMarkup(
        [
            [_button(plain(context, lang, "guide.button_title"), "title")],
            [_button(plain(context, lang, "guide.button_not_title"), "notitle")],
        ]
    )
    return text(context, lang, "guide.title_question", title=title), keyboard


def times_shown(context: AksiContext, lang: str, participant: Participant) -> str:
    zone = zone_abbreviation(effective_timezone(participant))
    shown = [clock(datetime.strptime(t, "%H:%M"), lang) for t in rem.daily_times(participant)]
    return f"{', '.join(shown)} {zone}"


def reminder_offer(
    context: AksiContext, lang: str, participant: Participant
) -> tuple[str, InlineKeyboardMarkup]:
    """After the first plan is saved: the daily reminder time, one tap."""
    quick = [
        _button(clock(datetime.strptime(t, "%H:%M"), lang), "rtime", t.replace(":", ""))
        for t in QUICK_TIMES
    ]
    other = InlineKeyboardButton(
        plain(context, lang, "guide.button_other_time"),
        callback_data=callbacks.pack(callbacks.REMINDERS, "add"),
    )
    keyboard = InlineKeyboardMarkup(
        [quick, [other], [_button(plain(context, lang, "guide.button_keep_time"), "rkeep")]]
    )
    body = text(
        context, lang, "guide.reminder_offer", times=times_shown(context, lang, participant)
    )
    return body, keyboard
