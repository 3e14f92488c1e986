"""WhatsApp's Cloud API as a channel of the contract (issue 15): messages rendered within
WhatsApp's limits (`whatsapp_render`) and sent with pywa's async client; its errors classified
as the engine's results.

- Reply buttons, lists and numbered menus as `whatsapp_render` decides; a numbered menu's
  numbers are kept for the person (`Menus`) and answer only their next message.
- No edits on WhatsApp: `Capabilities.edits` is off, so a feature's view is sent anew.
- A press needs no acknowledgement; a refusal shown as an alert on Telegram is sent as text.
- The 24-hour window: a message nobody asked for (`Outbound.kind`: a reminder, an
  announcement…) to a person whose last message is older than 24 hours (`LastInbound`, the
  database's word) goes as the approved template of its kind (`whatsapp_templates`), its text
  as the one parameter; with none configured it is not sent (`NeedsTemplate`). Meta's 131047
  (outside the window) on a free message of a kind falls back to its template the same way.
- Errors (Meta's codes): 131047 to an answer → failed; the throttling codes 130429, 131056,
  80007, 4, 131048, 133016 → retry after a wait (the whole number paused for all but the
  pair limit 131056); 131026 undeliverable → unreachable; anything else failed; a network
  error → retry.
- The Graph API's address is pywa's own (`https://graph.facebook.com`), redirected to
  `WHATSAPP_API_BASE_URL` by the HTTP client's transport (pywa has no setting for it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import PurePath
from typing import Any, Protocol

import httpx
from pywa.types.callback import Button, Section, SectionList, SectionRow
from pywa.types.sent_update import RecipientType
from pywa.types.templates import TemplateLanguage
from pywa_async.client import WhatsApp
from pywa_async.errors import WhatsAppError

from bot.channels import whatsapp_render
from bot.channels.whatsapp_inbound import WHATSAPP
from bot.channels.whatsapp_templates import Templates
from core import held
from core.channel import (
    Address,
    Capabilities,
    DownloadFailed,
    Failed,
    FileIn,
    MessageRef,
    NeedsTemplate,
    Outbound,
    Press,
    RetryLater,
    SendResult,
    Sent,
    Unreachable,
    within_window,
)
from core.markup import to_whatsapp
from core.pacing import Pacer, chat_key

log = logging.getLogger("aksi.whatsapp")

# The document types the Cloud API takes (Meta's "supported media types"; a CSV goes as plain
# text; a ZIP, HEIC or WebP is none of them). A JPEG or PNG sent as a document goes as a picture.
_DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".ppt": "application/vnd.ms-powerpoint",
    ".csv": "text/plain",
    ".txt": "text/plain",
}
_PICTURE_ENDINGS = frozenset({".jpg", ".jpeg", ".png"})

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
    documents=frozenset(_DOCUMENT_TYPES) | _PICTURE_ENDINGS,
)
OUTSIDE_WINDOW = 131047
UNDELIVERABLE = 131026
PAIR_LIMIT = 131056  # this person, too fast: wait, the others go on
THROTTLED = frozenset({130429, 80007, 4, 131048, 133016})
PAIR_WAIT_S = 6.0
THROTTLE_WAIT_S = 30.0
NETWORK_WAIT_S = 5.0
CLOSED = "outside the 24-hour window"
MAX_DOWNLOAD = 20 * 1024 * 1024  # as Telegram's bot API fetches at most


# The words a choice needs (`whatsapp_render.Words`) in a language: (language, key) → text.
Words = Callable[[str, str], str]
# When the person at an address last wrote (None: never), as the database knows it.
LastInbound = Callable[[Address], Awaitable[datetime | None]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MenuStore(Protocol):
    """Where the numbered menu last shown to each person is kept: it answers their next message
    only (`take` takes it away). The database's (`core.menus`) on a server; `Menus` otherwise."""

    async def show(self, who: Address, menu: Mapping[int, str]) -> None: ...

    async def take(self, who: Address) -> dict[int, str]: ...


class Menus:
    """The numbered menus in this process's memory (tests, a channel without a database)."""

    def __init__(self) -> None:
        self._shown: dict[Address, dict[int, str]] = {}

    async def show(self, who: Address, menu: Mapping[int, str]) -> None:
        if menu:
            self._shown[who] = dict(menu)
        else:
            self._shown.pop(who, None)

    async def take(self, who: Address) -> dict[int, str]:
        return self._shown.pop(who, {})


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
    *,
    templates: Templates | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> WhatsAppChannel:
    """The channel on pywa's async client for our number (no server of its own:
    `bot.whatsapp_web` serves the webhook and `attach`es it to the services, the database's
    last inbound times included), talking to `base_url`; `close` it at the end."""
    transport = None if base_url == "https://graph.facebook.com" else _Redirect(base_url)
    session = httpx.AsyncClient(transport=transport, timeout=timeout)
    wa = WhatsApp(phone_id=phone_number_id, token=token, session=session, server=None)
    return WhatsAppChannel(
        wa, words, display_number, session,
        templates=templates, clock=clock,
    )  # fmt: skip


class UnsupportedDocument(Exception):
    """A document of a kind WhatsApp does not carry (a ZIP)."""


def sendable(to: str) -> bool:
    """Whether `to` is a person pywa sends to: a number, or a business-scoped user id (pywa
    sends anything else to a group, which Aksi never writes to)."""
    people = (RecipientType.WA_ID, RecipientType.BSUID, RecipientType.PARENT_BSUID)
    return bool(to) and RecipientType.from_recipient(to) in people


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
        return Failed(CLOSED)
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
        *,
        templates: Templates | None = None,
        last_inbound: LastInbound | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.wa = wa
        self.words = words  # the few words of a choice, in a language ("" the default)
        self.display_number = display_number
        self.menus: MenuStore = Menus()
        self.templates = templates or Templates()
        # The number's pace (messages a second, seconds between bulk messages to one person):
        # answers and unprompted messages alike take their slot here, the latter only once
        # they are known to go (`Services.self_paced`); None: not paced.
        self.pacer: Pacer | None = None
        # None: every window taken as open (Meta's 131047 still falls back to a template).
        self.last_inbound = last_inbound
        self.clock = clock
        self._session = session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.aclose()

    async def window_open(self, address: Address) -> bool:
        """Whether the person at `address` wrote within the last 24 hours (taken as open when
        the database cannot say: Meta's 131047 then falls back to the template)."""
        if self.last_inbound is None:
            return True
        try:
            last = await self.last_inbound(address)
        except Exception:
            log.exception("could not read when …%s last wrote", address.external_id[-4:])
            return True
        return within_window(self.capabilities, last, self.clock())

    async def send(self, address: Address, message: Outbound) -> SendResult:
        to = address.external_id
        if not sendable(to):  # pywa sends anything else to a group
            return Failed("not a WhatsApp number or user id")
        if message.poll is not None:
            return Failed("this channel has no polls")
        if message.kind and not await self.window_open(address):
            return await self._template(address, message)
        result = await self._free(address, message)
        if message.kind and isinstance(result, Failed) and result.reason == CLOSED:
            return await self._template(address, message)
        return result

    async def _template(self, address: Address, message: Outbound) -> SendResult:
        """`message` outside the window: the approved template of its kind, in the reader's
        language, its text the one parameter; not sent without one."""
        to = address.external_id
        chosen = self.templates.pick(message.kind, message.lang)
        if chosen is None:
            log.info("a %s to …%s needs a template: none configured", message.kind, to[-4:])
            return NeedsTemplate(message.kind)
        name, code = chosen
        text = message.text or (message.attachment.caption if message.attachment else "")
        # Its buttons cannot go: a kept message is shown whole when they reply (`core.held`).
        kept = bool(message.rows) and message.kind in held.KEPT_KINDS
        tail = self.words(message.lang, "whatsapp.reply_for_choices") if kept else ""
        param = {"type": "text", "text": whatsapp_render.template_param(text, tail) or "-"}
        await self._paced(address, message, True)
        try:
            sent = await self.wa.send_template(
                to, name, TemplateLanguage(code),
                params=[{"type": "body", "parameters": [param]}],
            )  # fmt: skip
        except Exception as exc:
            return self._not_sent(to, exc)
        return Sent(MessageRef(address, str(sent.id)), template=True)

    async def _paced(self, address: Address, message: Outbound, first: bool) -> None:
        """Take the number's pace for one message, once it is known to go: an answer (and the
        rest of anything) at the next slot, ahead of any bulk send; an unprompted message at
        a bulk slot, at least the pair interval after the person's last message."""
        if self.pacer is None:
            return
        if message.kind and first:
            await self.pacer.bulk(chat_key(address))
        else:
            await self.pacer.interactive(chat_key(address))

    async def _free(self, address: Address, message: Outbound) -> SendResult:
        to = address.external_id
        try:
            if message.attachment is not None:
                await self._paced(address, message, True)
                return Sent(MessageRef(address, await self._attachment(to, message)))
        except Exception as exc:  # pywa's errors and the network's: the engine's results
            return self._not_sent(to, exc)
        rendered = whatsapp_render.render(message, partial(self.words, message.lang))
        last = ""
        for n, payload in enumerate(rendered.payloads):
            await self._paced(address, message, n == 0)
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
            try:
                await self.menus.show(address, rendered.menu)
            except Exception:
                log.exception("could not keep the menu shown to …%s", to[-4:])
        return Sent(MessageRef(address, last))

    def _not_sent(self, to: str, error: Exception) -> SendResult:
        result = classify(error)
        if isinstance(result, RetryLater) and result.pause_all and self.pacer is not None:
            self.pacer.pause(result.seconds + 0.1)  # the number throttled: everything waits
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
        name = attached.filename.lower()
        if attached.kind == "photo" or PurePath(name).suffix in _PICTURE_ENDINGS:
            sent = await self.wa.send_image(
                to, attached.data, caption=caption, mime_type=_picture_type(attached.data)
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
        """The media's bytes; one larger than MAX_DOWNLOAD is not fetched at all (Meta says
        its size first; WhatsApp carries documents up to 100 MB)."""
        try:
            found = await self.wa.get_media_url(file.file_id)
        except Exception as exc:
            raise DownloadFailed(f"media {file.file_id[:20]}: {exc.__class__.__name__}") from None
        if (found.file_size or 0) > MAX_DOWNLOAD:
            raise DownloadFailed(f"media {file.file_id[:20]}: {found.file_size} bytes")
        try:
            return bytes(await self.wa.get_media_bytes(found.url))
        except Exception as exc:
            raise DownloadFailed(f"media {file.file_id[:20]}: {exc.__class__.__name__}") from None

    def join_link(self, token: str) -> str:
        return f"https://wa.me/{self.display_number}?text=GABUNG%20{token}"


def _mime(filename: str) -> str | None:
    return _DOCUMENT_TYPES.get(PurePath(filename.lower()).suffix)


def _picture_type(data: bytes) -> str:
    """A picture's type by its first bytes (Aksi's charts are PNG; a participant's photo,
    fetched again, is usually JPEG)."""
    return "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
