"""The Bot API calls on aiohttp (bot.channels.telegram_request): what PTB sends arrives as
Telegram reads it, and every transport failure keeps PTB's meaning."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram_request import AiohttpRequest, requests_closed
from bot.delivery import retry_seconds
from bot.standin import BotApiStandIn

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def bot_on(base_url: str, token: str, request: AiohttpRequest) -> Bot:
    return Bot(
        token,
        base_url=base_url,
        request=request,
        get_updates_request=AiohttpRequest(1),
    )


async def test_messages_buttons_and_pictures_arrive_as_sent() -> None:
    async with BotApiStandIn() as standin:
        request = AiohttpRequest(4)
        async with bot_on(standin.base_url, standin.token, request) as bot:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Apel", callback_data="c:1")]])
            sent = await bot.send_message(
                1001, "<b>Jadwal</b> & «materi»", "HTML", reply_markup=markup
            )
            await bot.edit_message_text("Sudah ✅", 1001, sent.message_id)
            await bot.send_photo(1001, PNG, caption="Peta kebiasaan", filename="progres.png")
            await bot.send_document(1001, b"a;b\n1;2\n", filename="rekap.csv")
        assert not request.connected  # the bot's shutdown closed the connections
        with pytest.raises(RuntimeError, match="shut down"):  # and opens none again
            await request.do_request(standin.base_url + standin.token + "/getMe", "POST")
    text, photo, document = standin.messages(1001)
    assert text.text == "Sudah ✅"
    assert text.edit_date is not None
    assert text.reply_markup is None  # an edit without markup drops the buttons, as Telegram does
    assert (photo.kind, photo.text, photo.file_bytes) == ("photo", "Peta kebiasaan", PNG)
    assert (document.kind, document.file_name, document.file_bytes) == (
        "document",
        "rekap.csv",
        b"a;b\n1;2\n",
    )
    first = next(params for method, params in standin.requests if method == "sendMessage")
    assert (first["text"], first["parse_mode"]) == ("<b>Jadwal</b> & «materi»", "HTML")
    assert first["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "c:1"


async def test_telegram_refusals_come_back_as_ptb_errors() -> None:
    async with (
        BotApiStandIn() as standin,
        bot_on(standin.base_url, standin.token, AiohttpRequest(2)) as bot,
    ):
        standin.fail("sendMessage", 400, "Bad Request: chat not found", times=1)
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(1001, "halo")
        standin.fail("sendMessage", 429, "Too Many Requests", times=1, retry_after=7)
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(1001, "halo")
        assert retry_seconds(raised.value) == 7
        assert (await bot.send_message(1001, "lagi")).text == "lagi"


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A Bot API that accepts requests and never answers them."""

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hang)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        await runner.cleanup()


async def test_an_unanswered_call_times_out_at_its_read_timeout(silent_server: str) -> None:
    request = AiohttpRequest(2, read_timeout=0.3)
    bot = bot_on(silent_server, "123:abc", request)
    try:
        began = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(1001, "halo")
        assert 0.25 < time.monotonic() - began < 2.0
        began = time.monotonic()
        with pytest.raises(TimedOut):  # a call's own timeout wins over the request's
            await bot.send_message(1001, "halo", read_timeout=0.1)
        assert time.monotonic() - began < 0.3
    finally:
        await request.shutdown()


async def test_a_refused_connection_is_a_network_error_not_a_timeout() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(1)
    bot = bot_on(f"http://127.0.0.1:{port}/bot", "123:abc", request)
    try:
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(1001, "halo")
        assert not isinstance(raised.value, TimedOut)
        assert "aiohttp.ClientConnectorError" in str(raised.value)
    finally:
        await request.shutdown()


async def test_a_refused_token_leaves_no_connection_open() -> None:
    """PTB skips a bot's shutdown when getMe fails (its InvalidToken is the stand-in's 401, so a
    connection was opened); `requests_closed` still closes it."""
    async with BotApiStandIn() as standin:
        request = AiohttpRequest(2)
        bot = bot_on(standin.base_url, "999:wrong", request)
        with pytest.raises(InvalidToken):
            async with requests_closed(bot), bot:
                raise AssertionError("getMe should have failed")
        assert not request.connected


def test_at_least_one_connection() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AiohttpRequest(0)
