"""Aksi on a channel served inside this process (the in-memory one): the engine for what people
write, the announcements' sender and the repeating jobs every AKSI_REMINDER_TICK_SECONDS (off at
0) — what `aksi run` runs around PTB for Telegram. The local chat and the feature tests run it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.engine import Engine
from bot.jobs import start_jobs
from bot.settings import Settings
from core.channel import Channel, Inbound, SendResult
from core.i18n import Catalogs
from core.pacing import Pacer
from core.reminders import sync_missing
from core.rendering import Renderer
from core.services import Services, utc_now
from handlers.announce_status import report_sender
from scheduler.broadcast import Broadcaster
from storage.db import Database, create_engine, upgrade


@dataclass
class InProcess:
    """Start it, hand it each inbound event (`handle`), stop it."""

    settings: Settings
    channel: Channel
    clock: Callable[[], datetime] | None = None
    renderer: Renderer = field(default_factory=lambda: Renderer(0))
    # Announcements: how often the sender looks for due rows when nothing woke it.
    idle_poll: float = 5.0
    services: Services | None = None
    engine: Engine | None = None
    _sender: Broadcaster | None = None
    _sender_task: asyncio.Task[None] | None = None
    _jobs: AsyncIOScheduler | None = None

    async def start(self, *, migrate: bool = False) -> Services:
        db_engine = create_engine(self.settings.database_url)
        if migrate:
            await upgrade(db_engine)
        services = self.services = Services(
            settings=self.settings,
            engine=db_engine,
            db=Database(db_engine),
            i18n=Catalogs(),
            clock=self.clock or utc_now,
            renderer=self.renderer,
            channels={self.channel.name: self.channel},
        )
        self.engine = Engine(services)
        # Announcements go out as with `aksi run`, on this channel (no pacing: nothing to pace).
        self._sender = Broadcaster(
            services, self.channel, Pacer(0), report_sender(services), idle_poll=self.idle_poll
        )
        self._sender_task = asyncio.create_task(self._sender.run(), name="announcements")
        # As `aksi run` starts: everyone's reminder rows first, then the jobs.
        async with services.db.begin() as session:
            await sync_missing(session, services.clock())
        self._jobs = start_jobs(services, self.settings.aksi_reminder_tick_seconds)
        return services

    async def handle(self, event: Inbound) -> list[SendResult]:
        assert self.engine is not None, "not started"
        return await self.engine.handle(self.channel, event)

    async def stop(self) -> None:
        if self._jobs is not None:
            self._jobs.shutdown(wait=False)
        if self._sender_task is not None:
            self._sender_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender_task
        if self._sender is not None:
            await self._sender.drain()
        if self.services is not None:
            self.services.renderer.close()
            await self.services.engine.dispose()
