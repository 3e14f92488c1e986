"""Tests for the Bot API stand-in, over real HTTP on loopback with PTB's own ``Bot``."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, InvalidToken

from bot.standin import DEFAULT_TOKEN, NOT_MODIFIED, TINY_PNG, BotApiStandIn
from tests.apiclient import KEYBOARD, OTHER_USER, USER


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(
        standin.token, base_url=standin.base_url, base_file_url=standin.base_file_url
    ) as client:
        yield client


# --- basics ------------------------------------------------------------------------------


async def test_urls_and_port(standin: BotApiStandIn) -> None:
    assert standin.port > 0
    assert standin.base_url == f"http://127.0.0.1:{standin.port}/bot"
    assert standin.base_file_url == f"http://127.0.0.1:{standin.port}/file/bot"


async def test_get_me(bot: Bot, standin: BotApiStandIn) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == int(DEFAULT_TOKEN.split(":")[0])
    assert me.first_name == "Aksi"
    assert me.username == "aksi_bot"
    assert me.can_join_groups is True
    assert bot.username == "aksi_bot"  # initialize() used getMe too
    assert [name for name, _ in standin.requests].count("getMe") == 2


async def test_wrong_token_is_invalid_token(standin: BotApiStandIn) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123456789:AAWrongTokenWrongTokenWrongToken_x", base_url=standin.base_url):
            pass


async def test_unknown_method_is_404_and_recorded(bot: Bot, standin: BotApiStandIn) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    assert standin.unknown_methods == ["sendTelepathy"]
    assert standin.requests[-1] == ("sendTelepathy", {"chat_id": USER})


# --- sending and editing -----------------------------------------------------------------


async def test_send_message_round_trips_and_is_recorded(bot: Bot, standin: BotApiStandIn) -> None:
    text = "<b>Halo</b> &amp; <i>selamat</i> datang"
    sent = await bot.send_message(USER, text, parse_mode=ParseMode.HTML, reply_markup=KEYBOARD)

    assert sent.message_id == 1
    assert sent.chat.id == USER
    assert sent.chat.type == "private"
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    assert sent.text == text
    assert sent.reply_markup == KEYBOARD
    assert isinstance(sent.date, dtm.datetime)

    record = standin.outbox[-1]
    assert record.method == "sendMessage"
    assert (record.chat_id, record.message_id) == (USER, 1)
    assert record.text == text
    assert record.parse_mode == "HTML"
    assert record.reply_markup == KEYBOARD.to_dict()
    method, params = standin.requests[-1]
    assert method == "sendMessage"
    assert params["chat_id"] == USER  # form strings are converted to ints
    assert params["reply_markup"] == KEYBOARD.to_dict()  # JSON-encoded values are decoded


async def test_message_ids_increase_per_chat(bot: Bot) -> None:
    first = await bot.send_message(USER, "satu")
    second = await bot.send_message(USER, "dua")
    elsewhere = await bot.send_message(OTHER_USER, "satu")
    assert (first.message_id, second.message_id, elsewhere.message_id) == (1, 2, 1)


async def test_numeric_looking_text_stays_text(bot: Bot, standin: BotApiStandIn) -> None:
    sent = await bot.send_message(USER, "123")
    assert sent.text == "123"
    assert standin.requests[-1][1]["text"] == "123"


async def test_reply_keyboard_is_recorded_but_not_attached(
    bot: Bot, standin: BotApiStandIn
) -> None:
    keyboard = ReplyKeyboardMarkup([["Jadwal", "Materi"]], resize_keyboard=True)
    sent = await bot.send_message(USER, "Pilih menu", reply_markup=keyboard)
    assert sent.reply_markup is None  # Telegram only attaches inline keyboards to a Message
    assert standin.outbox[-1].reply_markup == keyboard.to_dict()


async def test_edit_message_text_changes_stored_message(bot: Bot, standin: BotApiStandIn) -> None:
    sent = await bot.send_message(USER, "Memuat…", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "<b>Selesai</b>", chat_id=USER, message_id=sent.message_id, parse_mode=ParseMode.HTML
    )
    assert not isinstance(edited, bool)
    assert edited.text == "<b>Selesai</b>"
    assert edited.edit_date is not None
    assert edited.reply_markup is None  # editing without reply_markup drops the keyboard

    [stored] = standin.messages(USER)
    assert stored.message_id == sent.message_id
    assert stored.text == "<b>Selesai</b>"
    assert stored.parse_mode == "HTML"
    assert stored.edit_date is not None
    assert [r.method for r in standin.outbox] == ["sendMessage", "editMessageText"]


async def test_edit_with_same_content_is_not_modified(bot: Bot, standin: BotApiStandIn) -> None:
    sent = await bot.send_message(USER, "Sama", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified") as caught:
        await bot.edit_message_text(
            "Sama", chat_id=USER, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    # PTB drops the "Bad Request: " prefix and capitalises
    assert caught.value.message.lower() == NOT_MODIFIED.removeprefix("Bad Request: ").lower()
    # same text with another keyboard is a modification
    other = InlineKeyboardMarkup([[InlineKeyboardButton("Lagi", callback_data="again")]])
    await bot.edit_message_text(
        "Sama", chat_id=USER, message_id=sent.message_id, reply_markup=other
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=USER, message_id=sent.message_id, reply_markup=other
        )
    assert standin.messages(USER)[0].reply_markup == other.to_dict()


async def test_edit_missing_message_is_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=42)


async def test_edit_reply_markup(bot: Bot, standin: BotApiStandIn) -> None:
    sent = await bot.send_message(USER, "Pilih", reply_markup=KEYBOARD)
    edited = await bot.edit_message_reply_markup(chat_id=USER, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.reply_markup is None
    assert edited.text == "Pilih"
    assert standin.outbox[-1].method == "editMessageReplyMarkup"
    assert standin.messages(USER)[0].reply_markup is None


async def test_delete_message(bot: Bot, standin: BotApiStandIn) -> None:
    sent = await bot.send_message(USER, "Hapus aku")
    assert await bot.delete_message(USER, sent.message_id) is True
    assert standin.messages(USER) == []
    assert standin.outbox[-1].method == "deleteMessage"
    assert standin.outbox[-1].message_id == sent.message_id
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


@pytest.mark.parametrize(
    "text",
    [
        "<b>tebal",  # unclosed
        "Skor 3 < 5",  # unescaped "<"
        "<b>x</i>",  # mismatched
        "baris<br>baru",  # unsupported tag
        "<span>rahasia</span>",  # span without tg-spoiler class
    ],
)
async def test_bad_html_is_bad_request(bot: Bot, standin: BotApiStandIn, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, text, parse_mode=ParseMode.HTML)
    assert standin.outbox == []


async def test_html_is_not_checked_without_parse_mode(bot: Bot) -> None:
    sent = await bot.send_message(USER, "Skor 3 < 5 <b>")
    assert sent.text == "Skor 3 < 5 <b>"


async def test_text_length_limits(bot: Bot, standin: BotApiStandIn) -> None:
    await bot.send_message(USER, "a" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "a" * 4097)
    # markup does not count towards the limit
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)
    assert len(standin.outbox) == 2


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "x", reply_markup=markup)


async def test_replies_and_unknown_chats(bot: Bot, standin: BotApiStandIn) -> None:
    standin.push_message(USER, "halo")  # message 1 in the chat, from the user
    reply = await bot.send_message(USER, "Hai!", reply_to_message_id=1)
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "halo"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(USER, "x", reply_to_message_id=99)

    await bot.send_message(7777, "siapa?")  # lenient by default
    standin.require_known_chat = True
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(7778, "siapa?")
    await bot.send_message(USER, "kenal")


# --- files -------------------------------------------------------------------------------


async def test_send_photo_stores_bytes(bot: Bot, standin: BotApiStandIn) -> None:
    sent = await bot.send_photo(USER, photo=TINY_PNG, caption="<i>Foto</i>", parse_mode="HTML")
    assert sent.caption == "<i>Foto</i>"
    biggest = sent.photo[-1]
    assert biggest.file_size == len(TINY_PNG)
    assert (biggest.width, biggest.height) == (1, 1)

    record = standin.outbox[-1]
    assert record.method == "sendPhoto"
    assert record.file_bytes == TINY_PNG
    assert record.text == "<i>Foto</i>"
    assert standin.messages(USER)[0].file_bytes == TINY_PNG

    # the file can be fetched back via getFile + the file URL
    file = await bot.get_file(biggest.file_id)
    assert bytes(await file.download_as_bytearray()) == TINY_PNG

    # re-sending by file_id reuses the stored file
    again = await bot.send_photo(USER, photo=biggest.file_id)
    assert again.photo[-1].file_unique_id == biggest.file_unique_id


async def test_send_document_stores_bytes_and_name(bot: Bot, standin: BotApiStandIn) -> None:
    data = b"nama,skor\nBudi,90\n"
    sent = await bot.send_document(USER, document=data, filename="skor.csv", caption="Rekap")
    assert sent.document is not None
    assert sent.document.file_name == "skor.csv"
    assert sent.document.file_size == len(data)
    record = standin.outbox[-1]
    assert (record.method, record.file_bytes, record.file_name, record.text) == (
        "sendDocument",
        data,
        "skor.csv",
        "Rekap",
    )
