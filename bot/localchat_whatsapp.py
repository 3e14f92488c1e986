"""`aksi chat --channel whatsapp`: the local chat as a WhatsApp participant sees Aksi, with no
Meta account. The engine runs in this process on the real WhatsApp channel (pywa's client),
which sends to the Cloud API stand-in on loopback; what the person types is posted, signed, to
the real `/whatsapp` webhook routes on loopback, as Meta posts it. So the terminal shows what
WhatsApp would: reply buttons (3 at most, short titles), lists, numbered menus answered by a
bare number, `*bold*`, templates outside the 24-hour window, keywords instead of commands."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from starlette.applications import Starlette

import handlers
from bot.channels.whatsapp import open_channel
from bot.inprocess import InProcess
from bot.localchat_links import Shown, Who
from bot.settings import Settings
from bot.standin.whatsapp import CloudApiStandIn, serving
from bot.whatsapp_web import WhatsAppIntake, attach
from core.i18n import Catalogs, escape
from core.rendering import Renderer

PHONE_ID = "100000000000001"
TOKEN = "local-chat-token"
SECRET = "local-chat-app-secret"
VERIFY = "local-chat-verify-token"
DISPLAY_NUMBER = "6281100000000"


class WhatsAppLink:
    """The engine on the WhatsApp channel, against the Cloud API stand-in (see the module)."""

    channel = "whatsapp"

    def __init__(self) -> None:
        self.standin = CloudApiStandIn(PHONE_ID, TOKEN)
        self.running: InProcess | None = None
        self.intake: WhatsAppIntake | None = None
        self._exits = contextlib.AsyncExitStack()
        self._http: httpx.AsyncClient | None = None
        self._url = ""
        self._ids = itertools.count(1)

    async def start(self, settings: Settings) -> None:
        exits = self._exits
        standin_url = await exits.enter_async_context(serving(self.standin.app()))
        self.standin.base_url = standin_url
        catalogs = Catalogs()
        lang = settings.aksi_default_language
        channel = open_channel(
            PHONE_ID, TOKEN, standin_url, lambda reader, key: catalogs.plain(reader or lang, key),
            DISPLAY_NUMBER, templates=settings.whatsapp_template_set,
        )  # fmt: skip
        exits.push_async_callback(channel.close)
        renderer = Renderer(settings.aksi_render_processes)
        running = self.running = InProcess(settings, channel, renderer=renderer)
        services = await running.start(migrate=True)
        exits.push_async_callback(running.stop)
        attach(channel, services, settings)
        assert running.engine is not None
        self.intake = WhatsAppIntake(
            running.engine, channel, phone_number_id=PHONE_ID, app_secret=SECRET,
            verify_token=VERIFY, commands=handlers.COMMAND_WORDS,
        )  # fmt: skip
        self._url = await exits.enter_async_context(serving(Starlette(routes=self.intake.routes())))
        self._http = await exits.enter_async_context(httpx.AsyncClient(timeout=30))

    async def stop(self) -> None:
        await self._exits.aclose()

    async def _post(self, who: Who, message: dict[str, Any]) -> None:
        """`message` from `who`, as Meta posts it: signed, with their profile name."""
        assert self._http is not None and self.intake is not None
        number = str(who.user_id)
        message = {"from": number, "id": f"wamid.LOCAL{next(self._ids)}",
                   "timestamp": str(int(datetime.now(UTC).timestamp())), **message}  # fmt: skip
        name = " ".join(p for p in (who.first_name, who.last_name) if p)
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": name}, "wa_id": number}],
            "messages": [message],
        }
        change = {"field": "messages", "value": value}
        body = json.dumps(
            {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [change]}]}
        ).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        answer = await self._http.post(
            f"{self._url}/whatsapp", content=body, headers={"X-Hub-Signature-256": signature}
        )
        answer.raise_for_status()
        await self.intake.drain()

    async def type(self, who: Who, text: str) -> None:
        await self._post(who, {"type": "text", "text": {"body": text}})

    async def press(self, who: Who, message_id: int, data: str) -> None:
        sent = self.standin.sent[message_id - 1]
        kind = sent.get("interactive", {}).get("type")
        title = next((label for label, d in _options(sent) if d == data), data)
        reply: dict[str, Any] = {"id": data, "title": title}
        if kind == "list":
            interactive = {"type": "list_reply", "list_reply": reply}
        else:
            interactive = {"type": "button_reply", "button_reply": reply}
        await self._post(who, {"type": "interactive", "interactive": interactive})

    async def send_file(
        self, who: Who, data: bytes, name: str, mime: str, caption: str | None
    ) -> None:
        media_id = f"LOCALMEDIA{next(self._ids)}"
        self.standin.media[media_id] = data
        document = {"id": media_id, "filename": name, "mime_type": mime, "sha256": "x"}
        if caption:
            document["caption"] = caption
        kind = "image" if mime.startswith("image/") else "document"
        await self._post(who, {"type": kind, kind: document})

    def shown(self) -> list[Shown]:
        media = self.standin.media
        return [_shown(n, data, media) for n, data in enumerate(self.standin.sent, 1)]

    def on_shown(self, listener: Callable[[], None]) -> None:
        self.standin.listeners.append(lambda _data: listener())


def _options(sent: dict[str, Any]) -> list[tuple[str, str]]:
    """A reply-button or list message's options: (title, id); a list row's description joins
    its title."""
    action = sent.get("interactive", {}).get("action", {})
    found = [(b["reply"]["title"], b["reply"]["id"]) for b in action.get("buttons", [])]
    for section in action.get("sections", []):
        for row in section["rows"]:
            label = row["title"] + (f" — {row['description']}" if row.get("description") else "")
            found.append((label, row["id"]))
    return found


def _shown(message_id: int, sent: dict[str, Any], media: dict[str, bytes]) -> Shown:
    """What the stand-in took, as the terminal shows it: WhatsApp's text (its `*bold*` kept,
    escaped for the terminal's reader of Aksi's markup), options as buttons."""
    chat = int(sent.get("to") or 0)
    kind = sent.get("type")
    if kind == "text":
        return Shown(chat, "send", message_id, escape(sent["text"]["body"]))
    if kind == "interactive":
        interactive = sent["interactive"]
        text = interactive["body"]["text"]
        if interactive["type"] == "list":
            text += f"\n[{interactive['action']['button']}]"
        rows = tuple((option,) for option in _options(sent))
        return Shown(chat, "send", message_id, escape(text), rows)
    if kind == "template":
        template = sent["template"]
        params = [p["text"] for c in template.get("components", []) for p in c["parameters"]]
        text = f"(template {template['name']}, {template['language']['code']}) " + " ".join(params)
        return Shown(chat, "send", message_id, escape(text))
    file_kind: Literal["photo", "document"] = "photo" if kind == "image" else "document"
    body = sent.get(str(kind), {})
    caption = escape(body.get("caption") or "")
    data = media.get(str(body.get("id")), b"")
    name = body.get("filename") or ("gambar.png" if file_kind == "photo" else "berkas")
    return Shown(chat, "send", message_id, caption, (), file_kind, name, data)
