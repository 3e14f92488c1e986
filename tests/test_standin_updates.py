"""Tests for the Bot API stand-in's updates, settings, request encodings, fault injection and
waiting helpers, over real HTTP on loopback with PTB's own ``Bot`` and ``Application``."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.standin import TINY_PNG, BotApiStandIn
from tests.apiclient import KEYBOARD, OTHER_USER, USER


@pytest.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    async with Bot(
        standin.token, base_url=standin.base_url, base_file_url=standin.base_file_url
    ) as client:
        yield client


# --- updates -----------------------------------------------------------------------------


async def test_get_updates_returns_pushed_updates_and_honours_offset(
    bot: Bot, standin: BotApiStandIn
) -> None:
    first = standin.push_message(USER, "halo")
    second = standin.push_message(USER, "apa kabar", first_name="Ani")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].message is not None
    assert updates[0].message.text == "halo"
    assert updates[0].message.from_user is not None
    assert updates[0].message.from_user.first_name == "Budi"
    assert updates[1].message is not None
    assert updates[1].message.chat.id == USER
    assert updates[1].message.from_user is not None
    assert updates[1].message.from_user.first_name == "Ani"

    # not confirmed yet: fetched again
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [first]
    # confirming the first drops it
    assert [u.update_id for u in await bot.get_updates(offset=first + 1)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()
    assert standin.pending_update_count == 0
    assert standin.get_updates_calls == 4
    assert standin.requests[-1] == ("getUpdates", {"offset": second + 1})


async def test_get_updates_long_poll_waits_for_timeout(bot: Bot) -> None:
    started = time.monotonic()
    updates = await bot.get_updates(timeout=dtm.timedelta(seconds=0.3))
    elapsed = time.monotonic() - started
    assert updates == ()
    assert 0.25 <= elapsed < 2


async def test_update_pushed_during_long_poll_is_returned_promptly(
    bot: Bot, standin: BotApiStandIn
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await standin.wait_first_get_updates(timeout=2)
    await asyncio.sleep(0.05)  # the request is now waiting in the stand-in
    assert not poll.done()
    pushed_at = time.monotonic()
    update_id = standin.push_message(USER, "halo")
    updates = await asyncio.wait_for(poll, timeout=2)
    assert [u.update_id for u in updates] == [update_id]
    assert time.monotonic() - pushed_at < 0.5


async def test_stop_releases_waiting_long_poll(standin: BotApiStandIn, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await standin.wait_first_get_updates(timeout=2)
    started = time.monotonic()
    await standin.stop()
    assert time.monotonic() - started < 1.5
    assert await asyncio.wait_for(poll, timeout=2) == ()


async def test_command_message_has_bot_command_entity(bot: Bot, standin: BotApiStandIn) -> None:
    standin.push_message(USER, "/start REVMEN1")
    standin.push_message(USER, "/jadwal@aksi_bot")
    standin.push_message(USER, "bukan perintah")
    start, jadwal, plain = await bot.get_updates()

    assert start.message is not None
    assert start.message.text == "/start REVMEN1"
    assert start.message.entities == (
        MessageEntity(type=MessageEntity.BOT_COMMAND, offset=0, length=len("/start")),
    )
    assert filters.COMMAND.check_update(start)
    assert jadwal.message is not None
    assert jadwal.message.entities[0].length == len("/jadwal@aksi_bot")
    assert not filters.COMMAND.check_update(plain)

    assert CommandHandler("start", _noop).check_update(start)
    assert CommandHandler("jadwal", _noop).check_update(jadwal)
    assert not CommandHandler("start", _noop).check_update(jadwal)


async def test_push_callback_carries_bot_message_and_user(bot: Bot, standin: BotApiStandIn) -> None:
    standin.push_message(USER, "/start", first_name="Sari", username="sari_r")
    sent = await bot.send_message(USER, "Hadir?", reply_markup=KEYBOARD)
    standin.push_callback(USER, sent.message_id, "yes")
    updates = await bot.get_updates()
    query = updates[-1].callback_query

    assert query is not None
    assert query.data == "yes"
    assert isinstance(query.id, str)
    assert query.id
    assert query.from_user.id == USER
    assert (query.from_user.first_name, query.from_user.username) == ("Sari", "sari_r")
    assert isinstance(query.message, Message)
    assert query.message.message_id == sent.message_id
    assert query.message.chat.id == USER
    assert query.message.reply_markup == KEYBOARD

    assert await bot.answer_callback_query(query.id, text="Tercatat") is True
    record = standin.outbox[-1]
    assert (record.method, record.chat_id, record.text) == ("answerCallbackQuery", USER, "Tercatat")
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await bot.answer_callback_query("999")


async def test_push_callback_needs_existing_bot_message(standin: BotApiStandIn) -> None:
    with pytest.raises(ValueError, match="no bot message"):
        standin.push_callback(USER, 1, "yes")


async def test_push_sticker_and_photo_deserialise(bot: Bot, standin: BotApiStandIn) -> None:
    standin.push_sticker(USER, emoji="🔥")
    standin.push_photo(USER, caption="bukti")
    sticker_update, photo_update = await bot.get_updates()
    assert sticker_update.message is not None
    assert sticker_update.message.sticker is not None
    assert sticker_update.message.sticker.emoji == "🔥"
    assert filters.Sticker.ALL.check_update(sticker_update)
    assert photo_update.message is not None
    assert photo_update.message.caption == "bukti"
    assert filters.PHOTO.check_update(photo_update)
    file = await bot.get_file(photo_update.message.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == TINY_PNG


async def test_push_update_raw(bot: Bot, standin: BotApiStandIn) -> None:
    update_id = standin.push_update(
        {
            "my_chat_member": {
                "chat": {"id": USER, "type": "private", "first_name": "Budi"},
                "from": {"id": USER, "is_bot": False, "first_name": "Budi"},
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": standin.bot_user},
                "new_chat_member": {
                    "status": "kicked",
                    "user": standin.bot_user,
                    "until_date": 0,
                },
            }
        }
    )
    [update] = await bot.get_updates()
    assert update.update_id == update_id
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"


# --- commands and other settings ---------------------------------------------------------


async def test_my_commands_are_stored_per_scope_and_language(
    bot: Bot, standin: BotApiStandIn
) -> None:
    commands = [BotCommand("start", "Mulai"), BotCommand("jadwal", "Lihat jadwal")]
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(commands, scope=scope, language_code="id") is True
    assert await bot.get_my_commands(scope=scope, language_code="id") == tuple(commands)
    assert await bot.get_my_commands() == ()
    assert standin.commands == {
        ("all_private_chats", "id"): [
            {"command": "start", "description": "Mulai"},
            {"command": "jadwal", "description": "Lihat jadwal"},
        ]
    }
    assert await bot.delete_my_commands(scope=scope, language_code="id") is True
    assert standin.commands == {}
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "Mulai")])


async def test_misc_methods_answer_ok(bot: Bot, standin: BotApiStandIn) -> None:
    assert await bot.delete_webhook(drop_pending_updates=False) is True
    info = await bot.get_webhook_info()
    assert info.url == ""
    assert await bot.send_chat_action(USER, "typing") is True
    assert standin.chat_actions == [(USER, "typing")]
    assert await bot.set_chat_menu_button() is True
    assert standin.menu_buttons == {None: {"type": "default"}}


# --- request encodings -------------------------------------------------------------------


async def test_json_body_and_query_string_are_accepted(standin: BotApiStandIn) -> None:
    url = f"{standin.base_url}{standin.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/sendMessage",
            json={
                "chat_id": str(USER),
                "text": "json",
                "reply_markup": json.dumps(KEYBOARD.to_dict()),
            },
        ) as response:
            body = await response.json()
        assert response.status == 200
        assert body["ok"] is True
        assert body["result"]["reply_markup"] == KEYBOARD.to_dict()

        async with session.get(
            f"{url}/sendMessage", params={"chat_id": str(USER), "text": "q"}
        ) as response:
            body = await response.json()
        assert body["ok"] is True
        assert body["result"]["message_id"] == 2

        async with session.get(f"{standin.base_url}123:nope/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
    assert [(r.chat_id, r.text) for r in standin.outbox] == [(USER, "json"), (USER, "q")]


# --- fault injection ---------------------------------------------------------------------


async def test_fail_429_raises_retry_after(bot: Bot, standin: BotApiStandIn) -> None:
    standin.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3, times=1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "halo")
    assert str(caught.value) == "Flood control exceeded. Retry in 3 seconds"
    assert standin.outbox == []
    await bot.send_message(USER, "halo")  # times=1: the next call goes through
    assert len(standin.outbox) == 1


async def test_fail_403_for_one_chat_raises_forbidden(bot: Bot, standin: BotApiStandIn) -> None:
    standin.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=OTHER_USER)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(OTHER_USER, "halo")
    with pytest.raises(Forbidden):  # times=None: always
        await bot.send_message(OTHER_USER, "halo lagi")
    await bot.send_message(USER, "halo")
    standin.clear_failures()
    await bot.send_message(OTHER_USER, "sudah dibuka")
    assert [r.chat_id for r in standin.outbox] == [USER, OTHER_USER]


async def test_delay_slows_a_method(bot: Bot, standin: BotApiStandIn) -> None:
    standin.delay("sendMessage", 0.2)
    started = time.monotonic()
    await bot.send_message(USER, "pelan")
    assert time.monotonic() - started >= 0.19
    standin.delay("sendMessage", 0)
    started = time.monotonic()
    await bot.send_message(USER, "cepat")
    assert time.monotonic() - started < 0.19


# --- waiting helpers ---------------------------------------------------------------------


async def test_wait_for_outgoing_and_wait_quiet(bot: Bot, standin: BotApiStandIn) -> None:
    async def burst() -> None:
        for index in range(3):
            await bot.send_message(USER, f"pesan {index}")
            await asyncio.sleep(0.03)

    since = standin.mark()
    task = asyncio.create_task(burst())
    first = await standin.wait_for_outgoing(USER, since=since)
    assert first[0].text == "pesan 0"
    everything = await standin.wait_quiet(USER, quiet=0.2, since=since)
    await task
    assert [r.text for r in everything] == ["pesan 0", "pesan 1", "pesan 2"]


async def test_wait_for_outgoing_timeout_lists_what_arrived(
    bot: Bot, standin: BotApiStandIn
) -> None:
    await bot.send_message(OTHER_USER, "salah alamat")
    with pytest.raises(TimeoutError, match="salah alamat"):
        await standin.wait_for_outgoing(USER, timeout=0.1)


# --- a real Application ------------------------------------------------------------------


async def _noop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    return None


async def test_application_polls_and_replies(standin: BotApiStandIn) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Halo! args={context.args}")

    app = Application.builder().token(standin.token).base_url(standin.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=5))
        await standin.wait_first_get_updates(timeout=5)
        standin.push_message(USER, "/start REVMEN1")
        [reply] = await standin.wait_for_outgoing(USER, timeout=5)
        await app.updater.stop()
        await app.stop()
    assert reply.method == "sendMessage"
    assert reply.text == "Halo! args=['REVMEN1']"
    assert standin.pending_update_count == 0  # the final getUpdates confirmed the offset
