"""The Telegram channel: the contract (`core.channel`) over python-telegram-bot's `Bot`.

Markup goes out as Telegram HTML (it is the same subset), cut into messages of at most 4,096
shown characters (`core.htmlsplit`), the buttons under the last part. Telegram's refusals are
read once, here (`bot.delivery`), into the contract's results: 429 → `RetryLater` for everyone
(`pause_all`), a network error → `RetryLater` for this message, blocked / deleted / chat gone →
`Unreachable`, any other refusal → `Failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    Poll,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.delivery import UNREACHABLE, failure, retry_seconds, transient
from core.channel import (
    TELEGRAM,
    Address,
    Capabilities,
    DownloadFailed,
    FileIn,
    MessageRef,
    Outbound,
    Press,
    RetryLater,
    Rows,
    SendResult,
    Sent,
)
from core.channel import Failed as FailedResult
from core.channel import Unreachable as UnreachableResult
from core.htmlsplit import TELEGRAM_MAX_TEXT, split_message, visible_length
from core.roster import link_for

log = logging.getLogger("aksi.telegram")
NAME = TELEGRAM
NETWORK_RETRY_S = 2.0
CAPABILITIES = Capabilities(
    max_buttons=100,
    max_button_row=8,
    max_text=TELEGRAM_MAX_TEXT,
    max_caption=1024,
    max_action_bytes=64,
    formatting=True,
    native_polls=True,
    command_menu=True,
    edits=True,
    service_window=None,
)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # participants are often on weak connections


def address(chat_id: int) -> Address:
    return Address(NAME, str(chat_id))


def chat_of(where: Address) -> int:
    if where.channel != NAME:
        raise ValueError(f"not a Telegram address: {where}")
    return int(where.external_id)


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(a.label, callback_data=a.data) for a in row] for row in rows]
    )


def _ref(where: Address, message: Message | bool) -> MessageRef | None:
    return MessageRef(where, str(message.message_id)) if isinstance(message, Message) else None


def _sent(where: Address, message: Message | Poll | bool) -> Sent:
    if isinstance(message, Poll):  # stopPoll's answer
        return Sent(None, poll_id=message.id)
    poll = message.poll if isinstance(message, Message) else None
    return Sent(_ref(where, message), poll_id=poll.id if poll is not None else "")


async def outcome(
    call: Callable[[], Awaitable[Message | Poll | bool]], where: Address
) -> SendResult:
    """Make one Bot API call and read its answer into a `SendResult`."""
    try:
        return _sent(where, await call())
    except RetryAfter as exc:
        return RetryLater(retry_seconds(exc), str(exc), pause_all=True)
    except TelegramError as exc:
        if transient(exc):
            return RetryLater(NETWORK_RETRY_S, str(exc))
        if failure(exc) == UNREACHABLE:
            return UnreachableResult(str(exc))
        return FailedResult(str(exc))


class TelegramChannel:
    """`core.channel.Channel` for one PTB `Bot` (the application's, or the announcements' own)."""

    name = NAME
    capabilities = CAPABILITIES

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # Told of every send's result (`aksi serve`'s metrics), when set.
        self.observe: Callable[[SendResult], None] | None = None

    async def send(self, where: Address, message: Outbound) -> SendResult:
        result = await self._send(where, message)
        if self.observe is not None:
            self.observe(result)
        return result

    async def _send(self, where: Address, message: Outbound) -> SendResult:
        chat = chat_of(where)
        markup = keyboard(message.rows)
        previews = None if message.link_previews else NO_PREVIEW
        if message.attachment is not None:
            item = message.attachment
            upload = InputFile(item.data, filename=item.filename)
            caption = item.caption or None
            if item.kind == "photo":
                return await outcome(
                    lambda: self.bot.send_photo(
                        chat, upload, caption=caption, parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    ),
                    where,
                )  # fmt: skip
            return await outcome(
                lambda: self.bot.send_document(
                    chat, upload, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
                ),
                where,
            )
        if message.poll is not None:
            poll = message.poll
            return await outcome(
                lambda: self.bot.send_poll(
                    chat,
                    poll.question,
                    list(poll.options),
                    is_anonymous=False,
                    type=Poll.QUIZ if poll.correct is not None else Poll.REGULAR,
                    allows_multiple_answers=poll.multiple,
                    # 0-9: core.quizzes keeps a question within ten options
                    correct_option_ids=[cast(Any, poll.correct)]
                    if poll.correct is not None
                    else None,
                    explanation=poll.explanation or None,
                    open_period=poll.seconds,
                    protect_content=True,  # not forwarded: a quiz answered elsewhere first
                    reply_markup=markup,
                ),
                where,
            )
        parts = split_message(message.text, CAPABILITIES.max_text)
        result: SendResult = FailedResult("nothing to send")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1

            def send_part(part: str = part, last: bool = last) -> Awaitable[Message]:
                return self.bot.send_message(
                    chat,
                    part,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=previews,
                    reply_markup=markup if last else None,
                )

            result = await outcome(send_part, where)
            if not isinstance(result, Sent):
                return result
        return result

    async def edit(self, ref: MessageRef, message: Outbound) -> SendResult:
        """Change a sent message's text and buttons; a text too long to fit one message, or a
        message Telegram will not edit any more, is `Failed` (the caller sends anew). An edit
        that changes nothing counts as done."""
        if visible_length(message.text) > CAPABILITIES.max_text:
            return FailedResult("too long to edit in place")
        chat = chat_of(ref.address)
        try:
            await self.bot.edit_message_text(
                message.text,
                chat_id=chat,
                message_id=int(ref.message_id),
                parse_mode=ParseMode.HTML,
                link_preview_options=None if message.link_previews else NO_PREVIEW,
                reply_markup=keyboard(message.rows),
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return Sent(ref)
            return FailedResult(str(exc))
        except TelegramError as exc:
            return await outcome(_raise(exc), ref.address)
        return Sent(ref)

    async def acknowledge(self, press: Press, notice: str = "", alert: bool = False) -> None:
        """Answer a button press; one too old to answer (pressed while the bot was down) is
        logged and forgotten: it must not stop the reply."""
        if not press.press_id:
            return
        try:
            await self.bot.answer_callback_query(
                press.press_id, text=notice or None, show_alert=alert
            )
        except BadRequest as exc:
            log.info("could not answer a button press: %s", exc)

    async def drop_actions(self, ref: MessageRef) -> None:
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=chat_of(ref.address), message_id=int(ref.message_id), reply_markup=None
            )
        except BadRequest as exc:
            log.debug("could not remove buttons: %s", exc)

    async def stop_poll(self, ref: MessageRef) -> SendResult:
        result = await outcome(
            lambda: self.bot.stop_poll(chat_of(ref.address), int(ref.message_id)), ref.address
        )
        if isinstance(result, FailedResult) and "already closed" in result.reason.lower():
            return Sent(ref)
        return result

    async def download(self, file: FileIn) -> bytes:
        try:
            found = await self.bot.get_file(file.file_id)
            return bytes(await found.download_as_bytearray())
        except TelegramError as exc:
            raise DownloadFailed(str(exc)) from exc

    def join_link(self, token: str) -> str:
        return link_for(self.bot.username, token)


def _raise(exc: Exception) -> Callable[[], Awaitable[Message]]:
    async def again() -> Message:
        raise exc

    return again
