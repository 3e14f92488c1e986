"""Small adapters shared by the handlers: who is writing, in which language, and replying."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ParamSpec

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import BadRequest

from bot.context import AksiContext
from core.channel import (
    TELEGRAM,
    Address,
    Attachment,
    Channel,
    Failed,
    MessageRef,
    Outbound,
    Rows,
    SendResult,
    Sent,
)
from core.participants import TelegramPerson, effective_timezone, find_participant, language_for
from storage.db import after_commit
from storage.models import Participant

log = logging.getLogger(__name__)


P = ParamSpec("P")


def address(chat_id: int) -> Address:
    return Address(TELEGRAM, str(chat_id))


def sent_after_commit(send: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """A send called inside a write transaction waits for its commit (`storage.db.after_commit`):
    the person is told only what was saved, and nobody waits for the write lock while a
    message travels. Outside a transaction it is sent at once."""

    @functools.wraps(send)
    async def send_when_committed(*args: P.args, **kwargs: P.kwargs) -> None:
        if not after_commit(functools.partial(send, *args, **kwargs)):
            await send(*args, **kwargs)

    return send_when_committed


# What a handler answers: messages, each with its buttons (if any), sent in order.
Answer = list[tuple[str, Rows | None]]


@dataclass(frozen=True)
class Reader:
    """The person behind an update: their membership (if any), language and zone."""

    person: TelegramPerson
    participant: Participant | None
    lang: str
    tz: str


def person_of(update: Update) -> TelegramPerson:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        raise ValueError("update without a user or chat")
    return TelegramPerson(
        user_id=user.id,
        chat_id=chat.id,
        first_name=user.first_name or "",
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


async def identify(session: AsyncSession, update: Update, context: AksiContext) -> Reader:
    settings = context.services.settings
    person = person_of(update)
    participant = await find_participant(session, person.user_id)
    lang = language_for(participant, person.language_code, settings.aksi_default_language)
    tz = effective_timezone(participant) if participant else settings.aksi_default_timezone
    return Reader(person, participant, lang, tz)


def text(context: AksiContext, lang: str, key: str, /, **values: object) -> str:
    return context.services.i18n.text(lang, key, **values)


def plain(context: AksiContext, lang: str, key: str, /, **values: object) -> str:
    return context.services.i18n.plain(lang, key, **values)


class NotSent(Exception):
    """A reply the channel did not deliver (it goes to the error handler, like any failure)."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(f"not sent: {result}")
        self.result = result


def _channel(context: AksiContext) -> Channel:
    return context.services.channels[TELEGRAM]


@sent_after_commit
async def reply(
    update: Update,
    context: AksiContext,
    body: str,
    keyboard: Rows | None = None,
) -> None:
    """Send `body` to the update's chat through the Telegram channel (split if long, the
    keyboard on the last part)."""
    chat = update.effective_chat
    if chat is None:
        return
    result = await _channel(context).send(address(chat.id), Outbound(body, keyboard or ()))
    if not isinstance(result, Sent):
        raise NotSent(result)


@sent_after_commit
async def send_file(
    update: Update, context: AksiContext, data: bytes, filename: str, caption: str
) -> None:
    """Send `data` to the update's chat as a document named `filename`; `caption` is markup."""
    chat = update.effective_chat
    if chat is None:
        return
    document = Attachment("document", data, filename, caption)
    result = await _channel(context).send(address(chat.id), Outbound(attachment=document))
    if not isinstance(result, Sent):
        raise NotSent(result)


@sent_after_commit
async def edit_or_reply(
    update: Update, context: AksiContext, body: str, keyboard: Rows | None = None
) -> None:
    """Show `body` in place of the pressed button's message; send anew if that cannot be edited
    (too long, or Telegram refuses the edit)."""
    query = update.callback_query
    if query is not None and query.message is not None:
        pressed = MessageRef(address(query.message.chat.id), str(query.message.message_id))
        result = await _channel(context).edit(pressed, Outbound(body, keyboard or ()))
        if isinstance(result, Sent):
            return
        if not isinstance(result, Failed):
            raise NotSent(result)
        log.info("could not edit message, sending anew: %s", result.reason)
    await reply(update, context, body, keyboard)


@sent_after_commit
async def drop_keyboard(update: Update, context: AksiContext) -> None:
    """Remove the buttons of the pressed message, so an old question cannot be answered twice."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await context.bot.edit_message_reply_markup(
            chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=None
        )
    except BadRequest as exc:
        log.debug("could not remove buttons: %s", exc)


@sent_after_commit
async def answer_button(update: Update, notice: str | None = None, alert: bool = False) -> None:
    """Answer a button press; a query that is too old (e.g. pressed while the bot was down)
    cannot be answered any more, which must not stop the rest of the reply."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(notice, show_alert=alert)
    except BadRequest as exc:
        log.info("could not answer a button press: %s", exc)


async def ask_for_code(update: Update, context: AksiContext, lang: str) -> None:
    """Someone who has not joined: ask for the cohort code."""
    if update.callback_query is not None:
        await answer_button(update, plain(context, lang, "join.ask_code_short"), alert=True)
        return
    await reply(update, context, text(context, lang, "join.ask_code"))
