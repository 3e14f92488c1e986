"""`aksi serve`: Telegram's webhook posts into Aksi's own HTTP server (real HTTP on loopback,
the Bot API stand-in posting as Telegram does), the secret checked, re-deliveries dropped also
after a restart, and /healthz, /readyz, /metrics — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.runner import serve
from bot.settings import Settings
from bot.standin import BotApiStandIn
from bot.standin.whatsapp import CloudApiStandIn, serving
from bot.webhook import Webhook
from storage.db import create_engine, downgrade, upgrade
from tests.announcing import wait_until
from tests.harness import settings_for
from tests.test_whatsapp_inbound import BUDI as WA_BUDI
from tests.test_whatsapp_inbound import PHONE_ID as WA_PHONE_ID
from tests.test_whatsapp_inbound import post as wa_post

pytestmark = pytest.mark.databases("sqlite", "postgresql")

SECRET = "s3cret-webhook-token_for-tests"
PATH = "/telegram/hook-5f1c2a"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """`aksi serve` in this process (its HTTP server on a free loopback port)."""

    settings: Settings
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.settings.aksi_http_port}"

    async def start(self) -> None:
        self.stop = asyncio.Event()
        started = asyncio.Event()

        async def ready(_app: Any) -> None:
            started.set()

        self.task = asyncio.create_task(
            serve(self.settings, self.stop, on_ready=ready, intake=Webhook(self.settings))
        )
        waiting = asyncio.create_task(started.wait())
        done, _ = await asyncio.wait(
            {self.task, waiting}, timeout=20, return_when="FIRST_COMPLETED"
        )
        if self.task in done:
            waiting.cancel()
            await self.task
        assert waiting in done, "aksi serve did not start within 20 s"

    async def halt(self) -> None:
        self.stop.set()
        assert self.task is not None
        await self.task


@pytest.fixture
async def served(standin: BotApiStandIn, db_url: str) -> AsyncIterator[Served]:
    port = free_port()
    settings = settings_for(
        standin,
        db_url,
        aksi_http_port=port,
        aksi_webhook_url=f"http://127.0.0.1:{port}{PATH}",
        aksi_webhook_secret=SECRET,
    )
    running = Served(settings)
    await running.start()
    yield running
    if running.task is not None and not running.task.done():
        await running.halt()


async def replies_to(
    standin: BotApiStandIn, chat: int, count: int, within: float = 10
) -> list[str]:
    deadline = time.monotonic() + within
    while True:
        found = [o.text or "" for o in standin.outbox if o.chat_id == chat and o.text]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.02)


async def post(base: str, path: str, body: object, secret: str | None = SECRET) -> tuple[int, str]:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with (
        aiohttp.ClientSession() as http,
        http.post(base + path, data=json.dumps(body), headers=headers) as answer,
    ):
        return answer.status, await answer.text()


async def get(base: str, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(base + path) as answer:
        return answer.status, await answer.text()


def start_update(update_id: int, user: int, text: str = "/bantuan") -> dict[str, Any]:
    who = {"id": user, "is_bot": False, "first_name": "Budi", "language_code": "id"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": "Budi"},
            "from": who,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_telegram_posts_updates_and_the_bot_answers(
    served: Served, standin: BotApiStandIn
) -> None:
    hook = standin.webhook
    assert hook is not None and hook["url"] == served.settings.aksi_webhook_url
    assert hook["secret_token"] == SECRET
    assert {"message", "callback_query"} <= set(hook["allowed_updates"])
    standin.push_message(7001, "/bantuan")
    standin.push_message(7002, "/jadwal")
    assert await replies_to(standin, 7001, 1) and await replies_to(standin, 7002, 1)
    assert standin.webhook_posts == 2 and standin.webhook_refusals == []
    assert standin.get_updates_calls == 0  # nothing polled


async def test_a_wrong_or_missing_secret_is_refused_and_never_logged(
    served: Served, standin: BotApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for secret in ("wrong-secret-of-the-same-length!", None, SECRET[:-1]):
        status, _ = await post(served.base, PATH, start_update(50, 7003), secret)
        assert status == 403
    status, _ = await post(served.base, PATH, {"update_id": "x"})
    assert status == 400
    status, _ = await post(served.base, PATH, "not json at all")
    assert status == 400
    await asyncio.sleep(0.2)  # what a wrongly accepted update would have drawn
    assert await replies_to(standin, 7003, 1, within=0.3) == []
    assert SECRET not in caplog.text and "wrong secret" in caplog.text
    _, metrics = await get(served.base, "/metrics")
    assert 'aksi_webhook_refused_total{why="secret"} 3.0' in metrics
    assert 'aksi_webhook_refused_total{why="body"} 2.0' in metrics


async def test_a_redelivered_update_is_dropped_also_after_a_restart(
    served: Served, standin: BotApiStandIn
) -> None:
    update = start_update(900, 7004)
    assert await post(served.base, PATH, update) == (200, "ok")
    assert len(await replies_to(standin, 7004, 1)) == 1
    assert await post(served.base, PATH, update) == (200, "ok")  # Telegram timed out: again
    await served.halt()
    await served.start()
    assert await post(served.base, PATH, update) == (200, "ok")  # after the restart
    fresh = start_update(901, 7004)
    assert await post(served.base, PATH, fresh) == (200, "ok")
    assert len(await replies_to(standin, 7004, 2)) == 2  # the new one only
    await asyncio.sleep(0.2)
    assert len(await replies_to(standin, 7004, 3, within=0.3)) == 2
    _, metrics = await get(served.base, "/metrics")
    assert "aksi_updates_redelivered_total 1.0" in metrics  # since this process started


async def test_health_readiness_and_metrics(
    served: Served, standin: BotApiStandIn, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert await get(served.base, "/healthz") == (200, "ok")
    with caplog.at_level(logging.INFO):
        for _ in range(3):  # a probe every few seconds: nothing logged for it
            status, body = await get(served.base, "/readyz")
            assert status == 200 and json.loads(body) == {"ready": True}
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []
    standin.push_message(7005, "/bantuan")
    assert await replies_to(standin, 7005, 1)
    await asyncio.sleep(0.1)  # the handling's end is observed after the reply went
    status, metrics = await get(served.base, "/metrics")
    assert status == 200
    assert 'aksi_updates_total{kind="message"} 1.0' in metrics
    assert 'aksi_update_seconds_count{kind="message"} 1.0' in metrics
    assert 'aksi_messages_total{kind="reply",result="sent"} 1.0' in metrics
    for name in (
        "aksi_outbox_backlog 0.0",
        "aksi_outbox_oldest_pending_seconds 0.0",
        "aksi_reminders_overdue",
        "aksi_telegram_429 0.0",
        "aksi_leader 1.0",  # the only worker leads
    ):
        assert name in metrics, name
    # A database behind this release's migrations: not ready, and says why.
    engine = create_engine(db_url)
    try:
        await downgrade(engine, "0008")
        status, body = await get(served.base, "/readyz")
        assert status == 503
        assert "migration 0008" in json.loads(body)["reason"]
        await upgrade(engine)
    finally:
        await engine.dispose()
    assert (await get(served.base, "/readyz"))[0] == 200
    assert (await get(served.base, "/nothing-here"))[0] == 404
    assert (await get(served.base, PATH))[0] == 405  # Telegram only posts


@pytest.mark.expected_errors  # the reply to someone who blocked the bot fails on purpose
async def test_sends_are_counted_by_result(served: Served, standin: BotApiStandIn) -> None:
    standin.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=7006)
    standin.push_message(7006, "/bantuan")
    pattern = re.compile(r'^aksi_messages_total\{kind="reply",result="unreachable"\} (\d+)', re.M)
    for _ in range(200):
        _, metrics = await get(served.base, "/metrics")
        if pattern.search(metrics):
            break
        await asyncio.sleep(0.05)
    found = pattern.search(metrics)
    assert found and int(found.group(1)) >= 1  # the answer (and the apology after it)
    assert 'result="sent"' not in metrics  # nothing reached them


@pytest.mark.databases("sqlite")
@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({}, "AKSI_WEBHOOK_URL is not set"),
        ({"AKSI_WEBHOOK_URL": "https://bot.example.go.id/tg/x"}, "AKSI_WEBHOOK_SECRET is not set"),
        ({"AKSI_WEBHOOK_URL": "http://bot.example.go.id/tg/x"}, "only to https:// URLs"),
        ({"AKSI_WEBHOOK_URL": "https://bot.example.go.id/"}, "needs a path of its own"),
        ({"AKSI_WEBHOOK_URL": "https://bot.example.go.id:8080/tg/x"}, "ports 443, 80, 88 or 8443"),
        ({"AKSI_WEBHOOK_SECRET": "short"}, "16-256 characters"),
        ({"AKSI_HTTP_PORT": "99999"}, "AKSI_HTTP_PORT"),
    ],
)
def test_serve_refuses_bad_settings_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, env: dict[str, str], said: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("AKSI_WEBHOOK_URL", "AKSI_WEBHOOK_SECRET", "AKSI_HTTP_PORT", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:" + "A" * 30)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and said in lines[0], result.output
    assert "short" not in lines[0]  # a secret is never echoed


async def test_whatsapp_beside_telegram_on_the_same_server(
    standin: BotApiStandIn, db_url: str
) -> None:
    """With WHATSAPP_* set, `aksi serve` answers Meta's verification and signed posts at
    /whatsapp on its one server, replies through the Cloud API (a stand-in here), and still
    takes Telegram's posts."""
    cloud = CloudApiStandIn(WA_PHONE_ID, "EAAG-serve-token")
    async with serving(cloud.app()) as cloud_url:
        cloud.base_url = cloud_url
        port = free_port()
        running = Served(
            settings_for(
                standin, db_url, aksi_http_port=port,
                aksi_webhook_url=f"http://127.0.0.1:{port}{PATH}", aksi_webhook_secret=SECRET,
                whatsapp_phone_number_id=WA_PHONE_ID, whatsapp_access_token="EAAG-serve-token",
                whatsapp_app_secret="serve-app-secret", whatsapp_verify_token="serve-verify-1",
                whatsapp_api_base_url=cloud_url, whatsapp_display_number="6281100000000",
            )
        )  # fmt: skip
        await running.start()
        try:
            query = "?hub.mode=subscribe&hub.verify_token=serve-verify-1&hub.challenge=77"
            assert await get(running.base, "/whatsapp" + query) == (200, "77")
            body = json.dumps(wa_post({"from": WA_BUDI, "id": "wamid.S1", "type": "text",
                                       "timestamp": "1630633200",
                                       "text": {"body": "bantuan"}})).encode()  # fmt: skip
            signature = hmac.new(b"serve-app-secret", body, hashlib.sha256).hexdigest()
            async with (
                aiohttp.ClientSession() as http,
                http.post(running.base + "/whatsapp", data=body,
                          headers={"X-Hub-Signature-256": "sha256=" + signature}) as answer,
            ):  # fmt: skip
                assert answer.status == 200
            await wait_until(lambda: bool(cloud.texts(WA_BUDI)), timeout=10)
            assert any("kode angkatan" in t for t in cloud.texts(WA_BUDI))  # not joined yet
            status, _ = await post(running.base, PATH, start_update(7001, 4242))
            assert status == 200 and await replies_to(standin, 4242, 1)
        finally:
            await running.halt()
