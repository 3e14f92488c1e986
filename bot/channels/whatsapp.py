"""WhatsApp's Cloud API as a channel of the contract (issue 15): messages rendered within
WhatsApp's limits (`whatsapp_render`) and sent with pywa's async client; its errors classified
as the engine's results.

- Reply buttons, lists and numbered menus as `whatsapp_render` decides; a numbered menu's
  numbers are kept for the person (`Menus`) and answer only their next message.
- No edits on WhatsApp: `Capabilities.edits` is off, so a feature's view is sent anew.
- A press needs no acknowledgement; a refusal shown as an alert on Telegram is sent as text.
- Errors (Meta's codes): 131047 outside the 24-hour window → failed (templates come next);
  the throttling codes 130429, 131056, 80007, 4, 131048, 133016 → retry after a wait (the whole
  number paused for all but the pair limit 131056); 131026 undeliverable → unreachable;
  anything else failed; a network error → retry.
- The Graph API's address is pywa's own (`https://graph.facebook.com`), redirected to
  `WHATSAPP_API_BASE_URL` by the HTTP client's transport (pywa has no setting for it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
from pywa.types.callback import Button, Section, SectionList, SectionRow
from pywa_async.client import WhatsApp
from pywa_async.errors import WhatsAppError

from bot.channels import whatsapp_render
from bot.channels.whatsapp_inbound import WHATSAPP
from core.channel import (
    Address,
    Capabilities,
    DownloadFailed,
    Failed,
    FileIn,
    MessageRef,
    Outbound,
    Press,
    RetryLater,
    SendResult,
    Sent,
    Unreachable,
)
from core.markup import to_whatsapp

log = logging.getLogger("aksi.whatsapp")

CAPABILITIES = Capabilities(
    max_buttons=100,  # more than a list holds become a numbered menu
    max_button_row=3,
    max_text=4096,
    max_caption=1024,
    max_action_bytes=64,  # Aksi's own limit (WhatsApp allows 256)
    formatting=True,
    native_polls=False,
    command_menu=False,
    edits=False,
    service_window=timedelta(hours=24),
)
OUTSIDE_WINDOW = 131047
UNDELIVERABLE = 131026
PAIR_LIMIT = 131056  # this person, too fast: wait, the others go on
THROTTLED = frozenset({130429, 80007, 4, 131048, 133016})
PAIR_WAIT_S = 6.0
THROTTLE_WAIT_S = 30.0
NETWORK_WAIT_S = 5.0


# The words a choice needs (`whatsapp_render.Words`) in a language: (language, key) → text.
Words = Callable[[str, str], str]


class Menus:
    """The numbered menu last shown to each person: it answers their next message only."""

    def __init__(self) -> None:
        self._shown: dict[str, dict[int, str]] = {}

    def show(self, who: str, menu: dict[int, str]) -> None:
        if menu:
            self._shown[who] = menu
        else:
            self._shown.pop(who, None)

    def choice(self, who: str, number: int) -> str | None:
        return self._shown.pop(who, {}).get(number)

    def forget(self, who: str) -> None:
        self._shown.pop(who, None)


class _Redirect(httpx.AsyncBaseTransport):
    """Every request pywa makes goes to `base` (scheme, host and port) instead."""

    def __init__(self, base: str) -> None:
        self._base = httpx.URL(base)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        base = self._base
        request.url = request.url.copy_with(scheme=base.scheme, host=base.host, port=base.port)
        request.headers["host"] = base.netloc.decode()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def open_channel(
    phone_number_id: str,
    token: str,
    base_url: str,
    words: Words,
    display_number: str = "",
    timeout: float = 15.0,
) -> WhatsAppChannel:
    """The channel on pywa's async client for our number (no server of its own:
    `bot.whatsapp_web` serves the webhook), talking to `base_url`; `close` it at the end."""
    transport = None if base_url == "https://graph.facebook.com" else _Redirect(base_url)
    session = httpx.AsyncClient(transport=transport, timeout=timeout)
    wa = WhatsApp(phone_id=phone_number_id, token=token, session=session, server=None)
    return WhatsAppChannel(wa, words, display_number, session)


class UnsupportedDocument(Exception):
    """A document of a kind WhatsApp does not carry (a ZIP)."""


def classify(error: Exception) -> SendResult:
    """The engine's result for an error pywa raised."""
    if isinstance(error, UnsupportedDocument):
        return Failed(f"WhatsApp does not carry {str(error)[-20:]!r}")
    if isinstance(error, httpx.HTTPError):
        return RetryLater(NETWORK_WAIT_S, f"network: {error.__class__.__name__}")
    if not isinstance(error, WhatsAppError):
        return Failed(error.__class__.__name__)
    code = error.code
    if code == OUTSIDE_WINDOW:
        return Failed("outside the 24-hour window")
    if code == PAIR_LIMIT:
        return RetryLater(PAIR_WAIT_S, "too many to this person")
    if code in THROTTLED:
        return RetryLater(THROTTLE_WAIT_S, f"throttled ({code})", pause_all=True)
    if code == UNDELIVERABLE:
        return Unreachable("undeliverable")
    return Failed(f"{code}: {str(error.message)[:80]}")


class WhatsAppChannel:
    name = WHATSAPP
    capabilities = CAPABILITIES

    def __init__(
        self,
        wa: WhatsApp,
        words: Words,
        display_number: str = "",
        session: httpx.AsyncClient | None = None,
    ) -> None:
        self.wa = wa
        self.words = words  # the few words of a choice, in a language ("" the default)
        self.display_number = display_number
        self.menus = Menus()
        self._session = session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.aclose()

    async def send(self, address: Address, message: Outbound) -> SendResult:
        to = address.external_id
        if not to.isdigit():  # pywa sends anything else to a group
            return Failed("not a WhatsApp number")
        if message.poll is not None:
            return Failed("this channel has no polls")
        try:
            if message.attachment is not None:
                return Sent(MessageRef(address, await self._attachment(to, message)))
        except Exception as exc:  # pywa's errors and the network's: the engine's results
            return self._not_sent(to, exc)
        rendered = whatsapp_render.render(message, partial(self.words, message.lang))
        last = ""
        for payload in rendered.payloads:
            try:
                last = await self._payload(to, payload)
            except Exception as exc:
                result = classify(exc)
                if not (isinstance(result, RetryLater) and result.seconds <= PAIR_WAIT_S):
                    return self._not_sent(to, exc)
                # Too fast for this person, or the network: the rest of a reply (its choice
                # after a long text) waits once rather than being lost.
                await asyncio.sleep(result.seconds)
                try:
                    last = await self._payload(to, payload)
                except Exception as again:
                    return self._not_sent(to, again)
        if message.rows:  # a new choice replaces an older menu; a plain message leaves it
            self.menus.show(to, rendered.menu)
        return Sent(MessageRef(address, last))

    def _not_sent(self, to: str, error: Exception) -> SendResult:
        result = classify(error)
        log.info("a message to …%s was not sent: %s", to[-4:], result)
        return result

    async def _payload(self, to: str, payload: dict[str, Any]) -> str:
        if payload["type"] == "text":
            body = payload["text"]
            sent = await self.wa.send_message(to, body["body"], preview_url=body["preview_url"])
            return str(sent.id)
        interactive = payload["interactive"]
        text = interactive["body"]["text"]
        action = interactive["action"]
        if interactive["type"] == "button":
            choices: Any = [
                Button(b["reply"]["title"], b["reply"]["id"]) for b in action["buttons"]
            ]
        else:
            rows = [
                SectionRow(r["title"], r["id"], r.get("description"))
                for s in action["sections"]
                for r in s["rows"]
            ]
            choices = SectionList(action["button"], [Section(action["button"], rows)])
        sent = await self.wa.send_message(to, text, buttons=choices)
        return str(sent.id)

    async def _attachment(self, to: str, message: Outbound) -> str:
        attached = message.attachment
        assert attached is not None
        caption = to_whatsapp(attached.caption)[: self.capabilities.max_caption] or None
        if attached.kind == "photo":
            sent = await self.wa.send_image(
                to, attached.data, caption=caption, mime_type="image/png"
            )
        else:
            kind = _mime(attached.filename)
            if kind is None:
                raise UnsupportedDocument(attached.filename)
            sent = await self.wa.send_document(
                to, attached.data, filename=attached.filename, caption=caption, mime_type=kind
            )
        return str(sent.id)

    async def edit(self, ref: MessageRef, message: Outbound) -> SendResult:
        return await self.send(ref.address, message)  # no edits on WhatsApp: sent anew

    async def acknowledge(self, press: Press, notice: str = "", alert: bool = False) -> None:
        if alert and notice:  # a refusal: said in the chat (there is no pop-up)
            await self.send(press.sender.address, Outbound(notice))

    async def drop_actions(self, ref: MessageRef) -> None:
        """A sent message cannot be changed on WhatsApp; its buttons stay (a stale press is
        refused by the features, as on Telegram)."""

    async def stop_poll(self, ref: MessageRef) -> SendResult:
        return Failed("this channel has no polls")

    async def download(self, file: FileIn) -> bytes:
        try:
            found = await self.wa.get_media_url(file.file_id)
            return bytes(await self.wa.get_media_bytes(found.url))
        except Exception as exc:
            raise DownloadFailed(f"media {file.file_id[:20]}: {exc.__class__.__name__}") from None

    def join_link(self, token: str) -> str:
        return f"https://wa.me/{self.display_number}?text=GABUNG%20{token}"


# The document types the Cloud API takes (a CSV goes as plain text; a ZIP is none of them).
_DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/plain",
    ".txt": "text/plain",
}


def _mime(filename: str) -> str | None:
    return next((t for end, t in _DOCUMENT_TYPES.items() if filename.lower().endswith(end)), None)
