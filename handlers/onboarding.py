"""Joining a cohort (/start CODE, or the code typed) and the first profile questions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import AksiContext
from core.errors import InvalidInput
from core.participants import (
    ASK_FULL_NAME,
    ASK_UNIT,
    JoinResult,
    TelegramPerson,
    join_cohort,
    name_from_telegram,
    set_profile,
)
from core.roster import RosterJoin, join_by_token, looks_like_token, match_by_username
from handlers import callbacks
from handlers.common import (
    Answer,
    Reader,
    answer_button,
    ask_for_code,
    drop_keyboard,
    identify,
    plain,
    reply,
    text,
)
from handlers.help import help_lines
from handlers.menu import main_menu
from scheduler.reminders import stop_reminders, sync_reminders
from storage.models import Participant

_BUTTONS = {
    "tgname": frozenset({""}),
    "skip": frozenset({ASK_FULL_NAME, ASK_UNIT}),
}


def profile_question(
    context: AksiContext,
    lang: str,
    participant: Participant,
    person: TelegramPerson,
    *,
    editing: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    """The question for the field the participant is asked next, with its buttons: the
    Telegram name (when it makes a name) and skip, or, `editing` from /pengaturan, cancel."""
    field = participant.awaiting or ""
    skip = (
        InlineKeyboardButton(
            plain(context, lang, "button.keep_as_is"),
            callback_data=callbacks.pack(callbacks.SETTINGS, "keep", field),
        )
        if editing
        else InlineKeyboardButton(
            plain(context, lang, "button.skip"),
            callback_data=callbacks.pack(callbacks.ONBOARDING, "skip", field),
        )
    )
    if participant.awaiting == ASK_FULL_NAME:
        rows = [[skip]]
        name = name_from_telegram(person.display_name)
        if name:
            use_name = InlineKeyboardButton(
                plain(context, lang, "button.use_telegram_name", name=name[:40]),
                callback_data=callbacks.pack(callbacks.ONBOARDING, "tgname"),
            )
            rows.insert(0, [use_name])
        return text(context, lang, "profile.ask_full_name"), InlineKeyboardMarkup(rows)
    return text(context, lang, "profile.ask_unit"), InlineKeyboardMarkup([[skip]])


def welcome(context: AksiContext, lang: str, joined: JoinResult, first_name: str) -> str:
    key = "join.already" if joined.already_member else "join.welcome"
    return text(
        context,
        lang,
        key,
        first_name=first_name or "👋",
        cohort=joined.cohort.name,
        code=joined.cohort.code,
        features=help_lines(context, lang),
    )


async def after_join(
    update: Update,
    context: AksiContext,
    reader: Reader,
    joined: JoinResult,
    name: str | None = None,
) -> None:
    """Welcome the newcomer (by `name` from the roster, else their Telegram first name) and ask
    the first profile question still open."""
    lang = reader.lang if reader.participant else _lang_of(joined, reader)
    await reply(update, context, welcome(context, lang, joined, name or reader.person.first_name))
    if joined.participant.awaiting:
        question, keyboard = profile_question(context, lang, joined.participant, reader.person)
        await reply(update, context, question, keyboard)


def _lang_of(joined: JoinResult, reader: Reader) -> str:
    return joined.participant.language or reader.lang


async def join(
    session: AsyncSession, context: AksiContext, reader: Reader, code: str
) -> JoinResult | None:
    """Join with `code` and set up the newcomer's reminders; None for an unknown code.
    Someone who moves on to a new cohort stops getting the old cohort's reminders."""
    joined = await join_cohort(session, reader.person, code)
    if joined is not None and not joined.already_member:
        # On the roster by their Telegram username: tied at once (core.roster).
        await match_by_username(session, joined.participant)
        await _set_up_newcomer(session, context, reader, joined)
    return joined


async def join_with_link(
    session: AsyncSession, context: AksiContext, reader: Reader, token: str
) -> RosterJoin | None:
    """Join with a personal roster link: the account is tied to that roster row and gets its
    name and unit. None for an unknown token; `joined` is None when the row belongs to
    another account (nothing changed)."""
    linked = await join_by_token(session, reader.person, token)
    if linked is not None and linked.joined is not None and not linked.joined.already_member:
        await _set_up_newcomer(session, context, reader, linked.joined)
    return linked


async def _set_up_newcomer(
    session: AsyncSession, context: AksiContext, reader: Reader, joined: JoinResult
) -> None:
    await sync_reminders(session, joined.participant, context.services.clock())
    old = reader.participant
    if old is not None and old.id != joined.participant.id:
        old.reminders_paused = True  # kept so at start-up and for its sessions
        await stop_reminders(session, old.id)


async def start(update: Update, context: AksiContext) -> None:
    """/start [CODE or personal token]: join the cohort by its code or by a personal roster
    link (the deep-link payload), or be asked for the code. Tokens are tried first, case
    sensitively. Someone whose reminders stopped (they had blocked the bot) gets them back."""
    code = context.args[0] if context.args else None
    linked: RosterJoin | None = None
    async with context.services.db.begin() as session:
        reader = await identify(session, update, context)
        if code and looks_like_token(code):
            linked = await join_with_link(session, context, reader, code)
        if linked is not None:
            joined = linked.joined
        else:
            joined = await join(session, context, reader, code) if code else None
        if reader.participant is not None and reader.participant.unreachable_at is not None:
            reader.participant.unreachable_at = None
            await sync_reminders(session, reader.participant, context.services.clock())
    if linked is not None and linked.joined is None:
        await reply(update, context, text(context, reader.lang, "roster.link_taken"))
    elif joined is not None:
        await after_join(update, context, reader, joined, linked.entry.name if linked else None)
    elif code:
        await reply(
            update, context, text(context, reader.lang, "join.unknown_code", code=code[:64])
        )
    elif reader.participant is not None:  # a member: the greeting, with the main menu
        await reply(
            update,
            context,
            welcome(
                context,
                reader.lang,
                JoinResult(reader.participant, reader.participant.cohort, True),
                reader.person.first_name,
            ),
            await main_menu(context, reader.lang, reader.participant),
        )
    else:
        await reply(update, context, text(context, reader.lang, "join.ask_code"))


def answer_profile(
    context: AksiContext,
    reader: Reader,
    participant: Participant,
    typed: str | None,
    confirm: bool = True,
) -> Answer:
    """Save a typed (or skipped: None) profile answer; say what comes next."""
    lang = reader.lang
    assert participant.awaiting is not None
    try:
        set_profile(participant, participant.awaiting, typed)
    except InvalidInput as exc:
        return [(_profile_error(context, lang, str(exc)), None)]
    if participant.awaiting:
        question, keyboard = profile_question(context, lang, participant, reader.person)
        saved = [(text(context, lang, "profile.saved"), None)] if confirm else []
        return [*saved, (question, keyboard)]
    return [(profile_done(context, lang, participant), None)]


def _profile_error(context: AksiContext, lang: str, problem: str) -> str:
    if problem.startswith("too_long:"):
        return text(context, lang, "input.too_long", limit=int(problem.split(":")[1]))
    key = "profile.not_a_name" if problem == "not_a_name" else "profile.not_a_unit"
    return text(context, lang, key)


def profile_done(context: AksiContext, lang: str, participant: Participant) -> str:
    none = text(context, lang, "profile.empty")
    return text(
        context,
        lang,
        "profile.done",
        full_name=participant.full_name or none,
        unit=participant.unit or none,
    )


async def onboarding_button(update: Update, context: AksiContext) -> None:
    """The buttons under a profile question: use the Telegram name, or skip."""
    query = update.callback_query
    assert query is not None
    button = callbacks.unpack(query.data, callbacks.ONBOARDING, dict(_BUTTONS))
    async with context.services.db.begin() as session:
        reader = await identify(session, update, context)
        participant = reader.participant
        if participant is None:
            await ask_for_code(update, context, reader.lang)
            return
        field = ASK_FULL_NAME if button and button.action == "tgname" else button and button.arg
        if button is None or participant.awaiting != field:
            await answer_button(update, plain(context, reader.lang, "button.stale"), alert=True)
            return
        value = name_from_telegram(reader.person.display_name)
        if button.action == "tgname" and value is None:  # e.g. renamed to emoji since
            notice = plain(context, reader.lang, "profile.telegram_name_unusable")
            await answer_button(update, notice, alert=True)
            return
        # The pop-up answer to the press already says "saved".
        answer = answer_profile(
            context, reader, participant, value if button.action == "tgname" else None, False
        )
    await answer_button(update, plain(context, reader.lang, "button.saved"))
    await drop_keyboard(update, context)
    for body, keyboard in answer:
        await reply(update, context, body, keyboard)
