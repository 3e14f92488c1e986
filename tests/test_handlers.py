"""Handlers through `Application.process_update`: no polling, real Update objects, the real
Application, replies recorded by the Bot API stand-in on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Update

from bot.app import AksiApplication, build_application
from bot.standin import BotApiStandIn
from tests.conftest import make_cohort
from tests.harness import settings_for

NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
_update_id = 0


def message(text: str, user_id: int = 501, language: str = "id") -> dict[str, Any]:
    global _update_id
    _update_id += 1
    entities = (
        [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if text.startswith("/")
        else []
    )
    user = {"id": user_id, "is_bot": False, "first_name": "Nur", "language_code": language}
    return {
        "update_id": _update_id,
        "message": {
            "message_id": _update_id,
            "date": int(NOW.timestamp()),
            "chat": {"id": user_id, "type": "private", "first_name": "Nur"},
            "from": user,
            "text": text,
            "entities": entities,
        },
    }


@pytest.fixture
async def app(
    db_url: str, engine: AsyncEngine, db: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[AksiApplication, BotApiStandIn]]:
    await make_cohort(db)
    async with BotApiStandIn() as standin:
        application = build_application(settings_for(standin, db_url), engine, clock=lambda: NOW)
        async with application:
            yield application, standin


async def handle(app: tuple[AksiApplication, BotApiStandIn], payload: dict[str, Any]) -> list[str]:
    application, standin = app
    mark = standin.mark()
    await application.process_update(Update.de_json(payload, application.bot))
    return [o.text or "" for o in standin.outbox[mark:] if o.method == "sendMessage"]


async def test_start_with_code_then_schedule(app: tuple[AksiApplication, BotApiStandIn]) -> None:
    greeting, question = await handle(app, message("/start REVMEN1"))
    assert "Halo, Nur!" in greeting
    assert "nama lengkap" in question
    [schedule] = await handle(app, message("/jadwal"))
    assert "Jadwal <b>Angkatan I</b> belum tersedia" in schedule


async def test_english_client_and_unknown_command(
    app: tuple[AksiApplication, BotApiStandIn],
) -> None:
    [ask] = await handle(app, message("/jadwal", user_id=502, language="en"))
    assert "type your <b>cohort code</b>" in ask
    await handle(app, message("/start REVMEN1", user_id=502, language="en"))
    [unknown] = await handle(app, message("/bogus", user_id=502, language="en"))
    assert "I don't know the command /bogus" in unknown and "Did you mean" not in unknown
    # A command mistyped: the one it looks like is named (either language's word).
    [near] = await handle(app, message("/evaluation", user_id=502, language="en"))
    assert "I don't know the command /evaluation. Did you mean /evaluate?" in near
    [near] = await handle(app, message("/Jadwl", user_id=502, language="en"))
    assert "I don't know the command /Jadwl. Did you mean /jadwal?" in near


async def test_cancel_with_nothing_in_progress(app: tuple[AksiApplication, BotApiStandIn]) -> None:
    await handle(app, message("/start REVMEN1"))
    [first] = await handle(app, message("/batal"))
    assert first == "Dibatalkan."  # the name question was pending
    [second] = await handle(app, message("/batal"))
    assert "Tidak ada yang sedang berjalan" in second
