"""WhatsApp webhooks in (issue 15, item 1: `bot.channels.whatsapp_inbound`): Meta's
verification challenge, the X-Hub-Signature-256 of each post, and a post read into the
channel contract's events — every message of a batched post, keywords as commands, a number
answering a numbered menu as that option's press, reply buttons and list rows as presses,
pictures and documents as files, the rest as "other", delivery statuses with their error code.
Hostile: a wrong or missing signature, a tampered body, a wrong verify token, another number's
messages, bodies that are not webhooks, messages missing their sender or id."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.whatsapp_inbound import (
    NotAWebhook,
    challenge,
    menu_press,
    read_post,
    signed,
)
from core.channel import Address, Command, FileIn, MessageRef, Other, Press, Text
from handlers import COMMAND_WORDS

PHONE_ID = "106540352242922"
SECRET = "app-secret-for-tests"
BUDI = "6281234567890"
AT = "1764720000"  # 2025-12-03 00:00 UTC


def post(*messages: dict[str, Any], statuses: tuple[dict[str, Any], ...] = (),
         phone_id: str = PHONE_ID) -> dict[str, Any]:  # fmt: skip
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": phone_id},
        "contacts": [{"profile": {"name": "Budi  Santoso"}, "wa_id": BUDI}],
        "messages": list(messages),
    }
    if statuses:
        value["statuses"] = list(statuses)
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [change]}]}


def text(body: str, n: int = 1) -> dict[str, Any]:
    return {"from": BUDI, "id": f"wamid.T{n}", "timestamp": AT, "type": "text",
            "text": {"body": body}}  # fmt: skip


def read(data: object) -> list[Any]:
    return [m.event for m in read_post(data, PHONE_ID, COMMAND_WORDS).messages]


def test_the_verification_challenge_is_answered_only_with_our_token() -> None:
    ok = {"hub.mode": "subscribe", "hub.verify_token": "token-1", "hub.challenge": "1158201444"}
    assert challenge(ok, "token-1") == "1158201444"
    assert challenge({**ok, "hub.verify_token": "token-2"}, "token-1") is None
    assert challenge({**ok, "hub.mode": "unsubscribe"}, "token-1") is None
    assert challenge(ok, "") is None  # not configured: nobody verifies
    assert challenge({**ok, "hub.challenge": ""}, "token-1") is None


def test_only_a_post_signed_with_the_app_secret_is_taken() -> None:
    body = json.dumps(post(text("jadwal"))).encode()
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert signed(body, good, SECRET)
    assert not signed(body + b" ", good, SECRET)  # tampered
    assert not signed(body, good, "another-secret")
    assert not signed(body, "", SECRET) and not signed(body, good.removeprefix("sha256="), SECRET)
    assert not signed(body, good, "")  # no secret configured: nothing is signed


def test_every_message_of_a_batched_post_in_order() -> None:
    found = read_post(post(text("jadwal", 1), text("Menu makan siang", 2), text("GABUNG ABC1", 3)),
                      PHONE_ID, COMMAND_WORDS)  # fmt: skip
    assert [m.message_id for m in found.messages] == ["wamid.T1", "wamid.T2", "wamid.T3"]
    assert found.messages[0].at == datetime(2025, 12, 3, tzinfo=UTC)
    first, second, third = (m.event for m in found.messages)
    assert isinstance(first, Command) and first.name == "jadwal"
    assert isinstance(second, Text) and second.text == "Menu makan siang"
    assert isinstance(third, Command) and (third.name, third.args) == ("start", ("ABC1",))
    assert first.sender.address == Address("whatsapp", BUDI)
    assert (first.sender.display_name, first.sender.first_name) == ("Budi Santoso", "Budi")


def test_a_number_answers_the_menu_shown_and_is_text_otherwise() -> None:
    menu = {1: "stf:rekap:1", 2: "stf:rekap:2", 12: "stf:rekap:12"}
    [typed] = read(post(text(" 2 ")))
    pressed = menu_press(typed, menu)
    assert isinstance(pressed, Press) and pressed.data == "stf:rekap:2"
    assert pressed.sender == typed.sender
    [twelve] = read(post(text("12")))
    assert getattr(menu_press(twelve, menu), "data", None) == "stf:rekap:12"
    [beyond] = read(post(text("7")))
    assert menu_press(beyond, menu) is beyond  # e.g. a number of pages read
    assert menu_press(typed, {}) is typed  # no menu shown: a number is text
    for odd in ("²", "٣", "2 halaman", "1234", "jadwal", "-1", "1.5"):  # not a menu's number
        [event] = read(post(text(odd)))
        assert menu_press(event, menu) is event, odd


def test_buttons_and_list_rows_are_presses_on_their_message() -> None:
    def reply(kind: str, data: str) -> dict[str, Any]:
        return {"from": BUDI, "id": f"wamid.{kind}", "timestamp": AT, "type": "interactive",
                "context": {"from": "6281100000000", "id": "wamid.SHOWN"},
                "interactive": {"type": kind, kind: {"id": data, "title": "Ya"}}}  # fmt: skip

    events = read(post(reply("button_reply", "ci:y:4.20251203"), reply("list_reply", "evl:a:9.4")))
    assert [(type(e), e.data, e.message) for e in events] == [
        (Press, "ci:y:4.20251203", MessageRef(Address("whatsapp", BUDI), "wamid.SHOWN")),
        (Press, "evl:a:9.4", MessageRef(Address("whatsapp", BUDI), "wamid.SHOWN")),
    ]
    quick = {"from": BUDI, "id": "wamid.Q", "timestamp": AT, "type": "button",
             "button": {"payload": "rem:stop", "text": "Berhenti"}}  # fmt: skip
    [template] = read(post(quick))
    assert isinstance(template, Press) and template.data == "rem:stop"


def test_pictures_and_documents_are_files_and_the_rest_other() -> None:
    picture = {"id": "MEDIA1", "mime_type": "image/jpeg", "caption": "Bukti apel"}
    image = {"from": BUDI, "id": "wamid.I", "timestamp": AT, "type": "image", "image": picture}
    csv_file = {"id": "MEDIA2", "mime_type": "text/csv", "filename": "peserta.csv"}
    document = {"from": BUDI, "id": "wamid.D", "timestamp": AT, "type": "document",
                "document": csv_file}  # fmt: skip
    sticker = {"from": BUDI, "id": "wamid.S", "timestamp": AT, "type": "sticker",
               "sticker": {"id": "MEDIA3"}}  # fmt: skip
    reaction = {"from": BUDI, "id": "wamid.R", "timestamp": AT, "type": "reaction",
                "reaction": {"message_id": "wamid.OUT1", "emoji": "👍"}}  # fmt: skip
    found = read_post(post(image, reaction, document, sticker), PHONE_ID, COMMAND_WORDS)
    assert (found.ignored, found.skipped) == (1, 0)  # a 👍 asks nothing: no answer to it
    photo, csv, other = (m.event for m in found.messages)
    assert isinstance(photo, FileIn) and (photo.file_id, photo.kind, photo.caption) == (
        "MEDIA1", "photo", "Bukti apel",
    )  # fmt: skip
    assert isinstance(csv, FileIn) and (csv.name, csv.mime_type, csv.kind) == (
        "peserta.csv", "text/csv", "document",
    )  # fmt: skip
    assert isinstance(other, Other) and other.kind == "sticker"


def test_statuses_with_their_error_codes() -> None:
    sent = {"id": "wamid.OUT1", "status": "delivered", "timestamp": AT, "recipient_id": BUDI}
    failed = {"id": "wamid.OUT2", "status": "failed", "timestamp": AT, "recipient_id": BUDI,
              "errors": [{"code": 131047, "title": "Re-engagement message"}]}  # fmt: skip
    odd = {"id": "wamid.OUT3", "status": "exploded", "timestamp": AT}
    found = read_post(post(statuses=(sent, failed, odd)), PHONE_ID, COMMAND_WORDS)
    assert [(s.message_id, s.status, s.error_code) for s in found.statuses] == [
        ("wamid.OUT1", "delivered", None), ("wamid.OUT2", "failed", 131047),
    ]  # fmt: skip
    assert found.skipped == 1


@pytest.mark.parametrize(
    "body",
    [None, [], "text", {"object": "page", "entry": []}, {"object": "whatsapp_business_account"}],
)
def test_what_is_not_a_webhook_is_refused(body: object) -> None:
    with pytest.raises(NotAWebhook):
        read_post(body, PHONE_ID, COMMAND_WORDS)


def test_another_numbers_messages_and_broken_messages_are_not_taken() -> None:
    assert read(post(text("jadwal"), phone_id="999")) == []
    broken = [
        {"id": "wamid.X", "timestamp": AT, "type": "text", "text": {"body": "tanpa pengirim"}},
        {"from": BUDI, "timestamp": AT, "type": "text", "text": {"body": "tanpa id"}},
        {"from": BUDI, "id": "wamid.Y", "timestamp": "kemarin", "type": "text"},
        {"from": BUDI, "id": "wamid.Z", "timestamp": AT, "type": "image", "image": {}},
        "not a message",
    ]
    found = read_post(post(*broken, text("jadwal", 9)), PHONE_ID, COMMAND_WORDS)  # type: ignore[arg-type]
    assert [m.message_id for m in found.messages] == ["wamid.T9"]  # the good one still taken
    assert found.skipped == 4
