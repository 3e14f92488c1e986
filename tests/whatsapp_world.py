"""The WhatsApp world of the end-to-end tests: Aksi's `/whatsapp` routes served on loopback,
Meta's side played by signed webhook posts (`World.write`) and a Cloud API stand-in receiving
what pywa sends; the engine's clock is `World.clock` (a test moves it)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from bot.channels.whatsapp import WhatsAppChannel, open_channel
from bot.channels.whatsapp_templates import Templates
from bot.standin.whatsapp import CloudApiStandIn, serving
from bot.whatsapp_web import StoredMenus, WhatsAppIntake, last_inbound
from core.i18n import Catalogs
from handlers import COMMAND_WORDS
from tests.conftest import NOW, make_cohort
from tests.harness_memory import engine_on
from tests.test_whatsapp_inbound import BUDI, PHONE_ID
from tests.test_whatsapp_inbound import post as webhook

TOKEN = "EAAG-test-token"
SECRET = "app-secret-for-tests"
VERIFY = "verify-token-for-tests"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


DISPLAY_NUMBER = "6281100000000"  # the number participants write to (wa.me links)

# The templates the world's organiser configured (and Meta approved, in the stand-in).
TEMPLATES = Templates({"reminder": "aksi_pengingat", "announcement": "aksi_pengumuman"},
                      ("id", "en"))  # fmt: skip


@dataclass
class World:
    standin: CloudApiStandIn
    intake: WhatsAppIntake
    channel: WhatsAppChannel
    url: str
    http: httpx.AsyncClient
    clock: Clock = field(default_factory=Clock)
    sent_ids: int = 0
    names: dict[str, str] = field(default_factory=dict)  # profile names of others than Budi

    async def post(self, body: bytes, signature: str | None = None) -> httpx.Response:
        if signature is None:
            signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        return await self.http.post(f"{self.url}/whatsapp", content=body,
                                    headers={"X-Hub-Signature-256": signature})  # fmt: skip

    async def write(self, message: dict[str, Any], who: str = BUDI) -> list[str]:
        """A message from `who` (Budi) posted as Meta posts it (their window opens); what Aksi
        sent back to them."""
        self.standin.closed.discard(who)
        before = len(self.standin.texts(who))
        self.sent_ids += 1
        message = {"from": who, "id": f"wamid.IN{self.sent_ids}", "timestamp": "1630633200",
                   **message}  # fmt: skip
        posted = webhook(message)
        if who in self.names:  # Meta names each sender's WhatsApp profile
            value = posted["entry"][0]["changes"][0]["value"]
            value["contacts"].append({"profile": {"name": self.names[who]}, "wa_id": who})
        response = await self.post(json.dumps(posted).encode())
        assert response.status_code == 200, response.text
        await self.intake.drain()
        return self.standin.texts(who)[before:]

    async def say(self, text: str, who: str = BUDI) -> list[str]:
        return await self.write({"type": "text", "text": {"body": text}}, who)

    async def join(self) -> None:
        """Budi joins REVMEN1: his WhatsApp name as his name (a reply button), no unit."""
        await self.say("GABUNG REVMEN1")
        await self.press("Pakai «Budi Santoso»")
        await self.press("Lewati")

    async def write_plan(self) -> list[str]:
        """Budi writes and saves a plan of one yes/no daily habit; what "Simpan" brought."""
        await self.say("rencana")
        await self.say("Pelayanan izin selesai dalam satu hari")
        await self.say("Apel pagi tepat waktu")
        await self.press("Ya / tidak")
        await self.press("Setiap hari")
        return await self.press("Simpan")

    async def press(self, title: str, who: str = BUDI) -> list[str]:
        """Press the option whose title has `title` in it (a reply button, or a list's row: its
        title or its description) on the latest choice Aksi sent `who` that has one."""
        for data in reversed(self.standin.sent):
            if data.get("to") != who:
                continue
            action = data.get("interactive", {}).get("action", {})
            for b in action.get("buttons", []):
                if title in b["reply"]["title"]:
                    reply = {"type": "button_reply", "button_reply": b["reply"]}
                    return await self.write({"type": "interactive", "interactive": reply}, who)
            for row in (r for s in action.get("sections", []) for r in s["rows"]):
                if title in row["title"] or title in (row.get("description") or ""):
                    picked = {"id": row["id"], "title": row["title"]}
                    reply = {"type": "list_reply", "list_reply": picked}
                    return await self.write({"type": "interactive", "interactive": reply}, who)
        raise AssertionError(f"no option {title!r}")


@pytest.fixture
async def world(
    engine: AsyncEngine, db: async_sessionmaker[AsyncSession], db_url: str
) -> AsyncIterator[World]:
    await make_cohort(db)
    standin = CloudApiStandIn(PHONE_ID, TOKEN)
    standin.approved = {name: {"id", "en"} for name in TEMPLATES.names.values()}
    catalogs = Catalogs()
    clock = Clock()
    async with serving(standin.app()) as standin_url:
        standin.base_url = standin_url
        channel = open_channel(
            PHONE_ID, TOKEN, standin_url, lambda lang, key: catalogs.plain(lang or "id", key),
            DISPLAY_NUMBER, templates=TEMPLATES, clock=clock,
        )  # fmt: skip
        engine_ = engine_on(channel, engine, db_url, clock)
        channel.last_inbound = partial(last_inbound, engine_.services)
        channel.menus = StoredMenus(engine_.services)  # as `aksi serve` has them: in the database
        intake = WhatsAppIntake(
            engine_, channel, phone_number_id=PHONE_ID,
            app_secret=SECRET, verify_token=VERIFY, commands=COMMAND_WORDS,
        )  # fmt: skip
        async with serving(Starlette(routes=intake.routes())) as url, httpx.AsyncClient() as http:
            yield World(standin, intake, channel, url, http, clock)
        await channel.close()
