"""WhatsApp with several workers (issue 12's rule for issue 15's channel): Meta's posts reach
whichever worker, and one person's messages are still handled one at a time, in the order they
were written (`core.chat_turns`, the queue Telegram's updates use). Two workers here are two
intakes with their own engine and channel on one database and one Cloud API stand-in, each
served on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from bot.channels.whatsapp import open_channel
from bot.standin.whatsapp import serving
from bot.whatsapp_web import WhatsAppIntake, chat_of
from core import inbound
from core.channel import Address
from core.chat_turns import ChatTurns, wall_clock
from core.i18n import Catalogs
from handlers import COMMAND_WORDS
from storage.messaging import InboundSeen
from tests.harness_memory import engine_on
from tests.test_whatsapp_inbound import BUDI, PHONE_ID
from tests.test_whatsapp_inbound import post as webhook
from tests.whatsapp_world import SECRET, TOKEN, VERIFY, World, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.databases("sqlite", "postgresql")

CHAT = chat_of(Address("whatsapp", BUDI))


def message(n: int, at: int, text: str) -> dict[str, Any]:
    return {"from": BUDI, "id": f"wamid.W{n}", "timestamp": str(at), "type": "text",
            "text": {"body": text}}  # fmt: skip


async def post(http: httpx.AsyncClient, url: str, data: dict[str, Any]) -> int:
    body = json.dumps(webhook(data)).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = await http.post(f"{url}/whatsapp", content=body,
                             headers={"X-Hub-Signature-256": signature})  # fmt: skip
    return answer.status_code


def turns_for(intake: WhatsAppIntake, engine: AsyncEngine, holder: str) -> ChatTurns:
    async def handle(payload: str) -> None:
        await intake.handle_queued(json.loads(payload))

    turns = ChatTurns(intake.engine.services.db, handle, holder=holder, stranded_after=timedelta(0))
    intake.turns = turns
    return turns


@pytest.fixture
async def second(
    world: World, engine: AsyncEngine, db_url: str
) -> AsyncIterator[tuple[str, WhatsAppIntake]]:
    """Worker B beside the world's worker A: its own channel and engine, the same stand-in."""
    catalogs = Catalogs()
    channel = open_channel(
        PHONE_ID, TOKEN, world.standin.base_url,
        lambda lang, key: catalogs.plain(lang or "id", key),
    )  # fmt: skip
    intake = WhatsAppIntake(
        engine_on(channel, engine, db_url, world.clock), channel, phone_number_id=PHONE_ID,
        app_secret=SECRET, verify_token=VERIFY, commands=COMMAND_WORDS,
    )  # fmt: skip
    async with serving(Starlette(routes=intake.routes())) as url:
        yield url, intake
    await channel.close()


async def test_one_persons_messages_in_order_whichever_worker_took_them(
    world: World,
    second: tuple[str, WhatsAppIntake],
    engine: AsyncEngine,
    db: async_sessionmaker[AsyncSession],
) -> None:
    url_b, intake_b = second
    turns_a = turns_for(world.intake, engine, "worker-a")
    turns_b = turns_for(intake_b, engine, "worker-b")
    # A third worker is busy with Budi's chat while both posts arrive, the later message
    # first and at the other worker: both wait in the chat's queue.
    async with db.begin() as session:
        assert await inbound.take_turn(session, CHAT, "worker-c", wall_clock(),
                                       timedelta(minutes=1))  # fmt: skip
    assert await post(world.http, url_b, message(2, 1630633260, "jadwal")) == 200
    assert await post(world.http, world.url, message(1, 1630633200, "GABUNG REVMEN1")) == 200
    await asyncio.sleep(0.2)
    assert world.standin.texts(BUDI) == []  # nobody else takes a chat whose turn runs
    async with db.begin() as session:
        await inbound.end_turn(session, CHAT, "worker-c")
    await turns_b.sweep()  # worker C is gone: B takes its chat over
    for _ in range(200):
        if len(world.standin.texts(BUDI)) >= 3:
            break
        await asyncio.sleep(0.05)
    shown = world.standin.texts(BUDI)
    assert "Selamat bergabung di *Angkatan I*" in shown[0]  # joined first …
    assert any("Jadwal *Angkatan I* belum tersedia" in s for s in shown[1:])  # … then asked
    assert not any("kode angkatan" in s for s in shown)
    # Meta posts the first message again, to the other worker: dropped.
    sent = len(world.standin.sent)
    assert await post(world.http, world.url, message(1, 1630633200, "GABUNG REVMEN1")) == 200
    await asyncio.sleep(0.2)
    assert len(world.standin.sent) == sent and world.intake.duplicates == 1
    async with db() as session:
        waiting = await session.scalar(
            select(func.count()).select_from(InboundSeen).where(InboundSeen.handled_at.is_(None))
        )
    assert waiting == 0
    await turns_a.stop()
    await turns_b.stop()
