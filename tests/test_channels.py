"""The channel contract (core.channel) as each channel implements it: the Telegram adapter over
real HTTP against the Bot API stand-in, and the in-memory channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.channels.memory import MemoryChannel
from bot.channels.telegram import TelegramChannel, address
from bot.standin import BotApiStandIn
from core.channel import (
    Action,
    Address,
    Attachment,
    Channel,
    DownloadFailed,
    Failed,
    FileIn,
    MessageRef,
    Outbound,
    Press,
    RetryLater,
    Sender,
    Sent,
    Unreachable,
)

CHAT = 5001
YES_NO = ((Action("Ya", "cfm:y:1"), Action("Tidak", "cfm:n:1")),)


@pytest.fixture
async def telegram(standin: BotApiStandIn) -> AsyncIterator[TelegramChannel]:
    bot = Bot(standin.token, base_url=standin.base_url)
    async with bot:
        yield TelegramChannel(bot)


def test_both_channels_keep_the_contract(standin: BotApiStandIn) -> None:
    """Checked by mypy: each is a `Channel`."""
    channels: list[Channel] = [
        TelegramChannel(Bot(standin.token, base_url=standin.base_url)),
        MemoryChannel(),
    ]
    assert [c.name for c in channels] == ["telegram", "memory"]
    assert channels[0].capabilities.max_action_bytes == 64


async def test_telegram_sends_markup_with_buttons(
    telegram: TelegramChannel, standin: BotApiStandIn
) -> None:
    result = await telegram.send(address(CHAT), Outbound("<b>Hapus</b> semua data?", YES_NO))
    assert isinstance(result, Sent) and result.ref is not None
    [out] = standin.outgoing_for(CHAT)
    assert (out.method, out.text, out.parse_mode) == (
        "sendMessage",
        "<b>Hapus</b> semua data?",
        "HTML",
    )
    assert out.reply_markup == {
        "inline_keyboard": [
            [
                {"text": "Ya", "callback_data": "cfm:y:1"},
                {"text": "Tidak", "callback_data": "cfm:n:1"},
            ]
        ]
    }
    assert out.params["link_preview_options"]["is_disabled"] is True
    assert result.ref == MessageRef(address(CHAT), str(out.message_id))


async def test_telegram_cuts_a_long_text_and_puts_the_buttons_last(
    telegram: TelegramChannel, standin: BotApiStandIn
) -> None:
    body = "\n\n".join(f"<b>Sesi {n}</b> " + "kata " * 150 for n in range(20))
    result = await telegram.send(address(CHAT), Outbound(body, YES_NO))
    parts = standin.outgoing_for(CHAT)
    assert len(parts) == 4 and isinstance(result, Sent)
    assert [p.reply_markup is not None for p in parts] == [False, False, False, True]
    assert result.ref == MessageRef(address(CHAT), str(parts[-1].message_id))


async def test_telegram_edits_in_place(telegram: TelegramChannel, standin: BotApiStandIn) -> None:
    sent = await telegram.send(address(CHAT), Outbound("Apel pagi: belum", YES_NO))
    assert isinstance(sent, Sent) and sent.ref is not None
    assert isinstance(await telegram.edit(sent.ref, Outbound("Apel pagi: ✅")), Sent)
    [message] = standin.messages(CHAT)
    assert message.text == "Apel pagi: ✅"
    assert message.reply_markup is None
    # The same content again is no error (Telegram says "not modified").
    assert isinstance(await telegram.edit(sent.ref, Outbound("Apel pagi: ✅")), Sent)
    # Too long to edit in place: the caller is told, and sends anew.
    too_long = await telegram.edit(sent.ref, Outbound("x" * 5000))
    assert isinstance(too_long, Failed)


async def test_telegram_sends_a_photo_and_a_document(
    telegram: TelegramChannel, standin: BotApiStandIn
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    photo = Attachment("photo", png, "progres.png", "Peta kebiasaan <i>Anda</i>")
    document = Attachment("document", b"a;b\n1;2\n", "data.csv", "Data Anda")
    assert isinstance(await telegram.send(address(CHAT), Outbound(attachment=photo)), Sent)
    assert isinstance(await telegram.send(address(CHAT), Outbound(attachment=document)), Sent)
    out = standin.outgoing_for(CHAT)
    assert [(o.method, o.file_name, o.text) for o in out] == [
        ("sendPhoto", "progres.png", "Peta kebiasaan <i>Anda</i>"),
        ("sendDocument", "data.csv", "Data Anda"),
    ]
    assert out[1].file_bytes == b"a;b\n1;2\n"


@pytest.mark.parametrize(
    ("code", "description", "expected"),
    [
        (403, "Forbidden: bot was blocked by the user", Unreachable),
        (400, "Bad Request: chat not found", Unreachable),
        (400, "Bad Request: can't parse entities: unsupported start tag", Failed),
        (502, "Bad Gateway", RetryLater),
    ],
)
async def test_telegram_reads_its_refusals_into_results(
    telegram: TelegramChannel,
    standin: BotApiStandIn,
    code: int,
    description: str,
    expected: type,
) -> None:
    standin.fail("sendMessage", code, description, chat_id=CHAT)
    result = await telegram.send(address(CHAT), Outbound("Pengingat"))
    assert isinstance(result, expected)
    if isinstance(result, RetryLater):
        assert not result.pause_all  # network trouble: this message, not everyone


async def test_telegram_429_pauses_everyone(
    telegram: TelegramChannel, standin: BotApiStandIn
) -> None:
    standin.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7, times=1)
    result = await telegram.send(address(CHAT), Outbound("Pengumuman"))
    assert result == RetryLater(7.0, result.reason, pause_all=True)  # type: ignore[union-attr]


async def test_telegram_acknowledges_a_press_and_survives_a_stale_one(
    telegram: TelegramChannel, standin: BotApiStandIn
) -> None:
    sender = Sender(address(CHAT), "Budi")
    press = Press(sender, "ci:y:1.20210903", None, press_id="42")
    await telegram.acknowledge(press, "Tersimpan")
    standin.fail("answerCallbackQuery", 400, "Bad Request: query is too old", times=1)
    await telegram.acknowledge(press, "Tersimpan")  # logged, not raised
    await telegram.acknowledge(Press(sender, "x", None), "no id: nothing to answer")
    asked = [p for method, p in standin.requests if method == "answerCallbackQuery"]
    assert [(p["callback_query_id"], p["text"]) for p in asked] == [("42", "Tersimpan")] * 2


async def test_telegram_refuses_another_channels_address(telegram: TelegramChannel) -> None:
    with pytest.raises(ValueError, match="not a Telegram address"):
        await telegram.send(Address("whatsapp", "6281234567890"), Outbound("Halo"))


# --- the in-memory channel -------------------------------------------------------------------

ANI = Address("memory", "ani")


async def test_memory_channel_keeps_what_was_sent_and_edited() -> None:
    channel = MemoryChannel()
    sent = await channel.send(ANI, Outbound("Apel pagi: belum", YES_NO))
    assert isinstance(sent, Sent) and sent.ref is not None
    assert isinstance(await channel.edit(sent.ref, Outbound("Apel pagi: ✅")), Sent)
    assert channel.to(ANI) == [Outbound("Apel pagi: ✅")]
    assert channel.sent[0].edits == 1
    gone = MessageRef(ANI, "999")
    assert isinstance(await channel.edit(gone, Outbound("x")), Failed)


async def test_memory_channel_enforces_its_limits_and_refusals() -> None:
    channel = MemoryChannel()
    too_many = tuple((Action(str(n), f"x:{n}"),) for n in range(11))
    assert isinstance(await channel.send(ANI, Outbound("a", too_many)), Failed)
    wide = ((Action("1", "a"), Action("2", "b"), Action("3", "c"), Action("4", "d")),)
    assert isinstance(await channel.send(ANI, Outbound("a", wide)), Failed)
    heavy = ((Action("besar", "x" * 65),),)
    assert isinstance(await channel.send(ANI, Outbound("a", heavy)), Failed)
    # A text longer than one message goes in parts (the buttons under the last); edited, it is
    # refused (the caller sends anew).
    assert isinstance(await channel.send(ANI, Outbound("y" * 4097)), Sent)
    assert [len(m.text) for m in channel.to(ANI)] == [4096, 1]
    assert isinstance(await channel.edit(channel.sent[0].ref, Outbound("y" * 4097)), Failed)
    channel.sent.clear()
    channel.unreachable.add("ani")
    assert isinstance(await channel.send(ANI, Outbound("halo")), Unreachable)
    channel.unreachable.clear()
    channel.retry_after = 3.0
    assert await channel.send(ANI, Outbound("halo")) == RetryLater(3.0, "asked to wait", True)
    assert isinstance(await channel.send(ANI, Outbound("halo")), Sent)  # once only
    assert channel.to(ANI) == [Outbound("halo")]


async def test_memory_channel_waits_for_messages_without_sleeping() -> None:
    channel = MemoryChannel()
    files = FileIn(Sender(ANI), "f1", "jadwal.csv", 10)
    channel.files["f1"] = b"judul,mulai"
    assert await channel.download(files) == b"judul,mulai"
    with pytest.raises(DownloadFailed):
        await channel.download(FileIn(Sender(ANI), "f2", "lain.csv", 1))
    with pytest.raises(TimeoutError):
        await channel.wait_for(ANI, 1, timeout=0.05)
    await channel.send(ANI, Outbound("satu"))
    assert await channel.wait_for(ANI, 1) == [Outbound("satu")]
