"""Running the bot with long polling: migrate, start, serve until asked to stop, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import make_url
from telegram import Bot

from bot.app import AksiApplication, build_application, register_command_menus
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_request import AiohttpRequest, requests_closed
from bot.context import Services
from bot.jobs import first_delay, interval_of, job_terms, jobs
from bot.settings import Settings
from bot.webhook import Intake, Polling
from core.reminders import sync_missing
from core.shared_pace import SharedWindow
from handlers.announce_status import report_sender
from scheduler.broadcast import Broadcaster
from storage.db import create_engine, upgrade
from storage.leadership import Leadership

log = logging.getLogger("aksi")
SENDER_CONCURRENCY = 32  # announcements in flight at once (Telegram's round trip > one slot)


def describe_database(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def freeze_startup(_app: AksiApplication) -> None:
    """What start-up made (modules, PTB, SQLAlchemy's compiled statements) lives as long as the
    process: moved out of the garbage collector's reach, a full collection takes under 10 ms
    instead of 60-100 ms that every chat would wait out (measured with bench/broadcast.py's
    set-up). For `aksi run`'s own process only: one that starts bots again and again (the
    tests) would keep each one's leftovers."""
    gc.collect()
    gc.freeze()


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    application_class: type[Any] | None = None,
    clock: Callable[[], datetime] | None = None,
    on_ready: Callable[[AksiApplication], Awaitable[None]] | None = None,
    intake: Intake | None = None,
) -> None:
    """Run until `stop` is set, taking updates in by `intake` (long polling by default).
    Updates sent while the bot was down are kept, not dropped."""
    intake = intake or Polling()
    engine = create_engine(settings.database_url)
    leadership = Leadership(engine)
    try:
        await upgrade(engine)
        app = build_application(settings, engine, application_class=application_class, clock=clock)
        services = app.bot_data.services
        assert services is not None
        services.leadership = leadership
        # initialize() calls getMe: a bad token or no network fails here
        async with requests_closed(app.bot), app:
            await register_command_menus(app)
            await intake.start(app)
            await app.start()
            await leadership.start()
            pacer = services.pacer
            if leadership.shared and pacer.allowed:  # other workers' messages count too
                pacer.shared = SharedWindow(
                    services.db, pacer.allowed, pacer.window, pacer.per_chat_interval
                )
            sender = await start_sender(app)  # reminders go out on its bulk side too
            try:
                await start_reminders(app, settings)
                services.renderer.start()  # the drawing process loads matplotlib meanwhile
                log.info(
                    "Aksi is running as @%s (Bot API %s, database %s)",
                    app.bot.username,
                    settings.telegram_api_base_url,
                    describe_database(settings.database_url),
                )
                if on_ready is not None:
                    await on_ready(app)
                intake.ready()
                await stop.wait()
            finally:
                log.info("stopping: finishing the updates, reminders and announcements in hand")
                await intake.stop()
                scheduler = app.job_queue.scheduler if app.job_queue is not None else None
                if scheduler is not None and scheduler.running:
                    scheduler.pause()  # no tick starts while the one under way finishes
                # Waits for a tick under way (it sends on the sender's bot, closed next).
                await app.stop()
                await stop_sender(sender)
                await leadership.stop()
                services.renderer.close()
    finally:
        await leadership.stop()
        await engine.dispose()
    log.info("stopped")


async def start_reminders(app: AksiApplication, settings: Settings) -> None:
    """Give everyone their reminder rows, then run the reminder job every tick."""
    services = app.bot_data.services
    assert services is not None
    count = 0
    if services.leads():  # one of several workers is enough (two at once would race)
        async with services.db.begin() as session:
            count = await sync_missing(session, services.clock())
    if count:
        log.info("set up reminders for %d participants", count)
    interval = settings.aksi_reminder_tick_seconds
    if not interval or app.job_queue is None:
        log.info("reminders are off (AKSI_REMINDER_TICK_SECONDS=0)")
        return
    for name, job in jobs().items():
        every = interval_of(name, interval)
        app.job_queue.run_repeating(
            job,
            interval=every,
            first=first_delay(every),
            name=name,
            job_kwargs=job_terms(every),
        )


@dataclass
class RunningSender:
    broadcaster: Broadcaster
    bot: Bot
    task: asyncio.Task[None]


async def start_sender(app: AksiApplication) -> RunningSender:
    """Start draining the announcement outbox (scheduler.broadcast) in the background."""
    services = app.bot_data.services
    assert services is not None

    bot = bulk_bot(services, SENDER_CONCURRENCY)
    async with contextlib.AsyncExitStack() as failed:
        failed.push_async_callback(bot.request.shutdown)
        await bot.initialize()
        failed.pop_all()
    channel = TelegramChannel(bot)
    services.bulk_channels[channel.name] = channel  # reminders and digests (send_unprompted)
    broadcaster = Broadcaster(
        services,
        channel,
        services.pacer,
        report_sender(services),
        concurrency=SENDER_CONCURRENCY,
        # Several workers: an announcement confirmed on another one is seen within a second.
        idle_poll=1.0 if services.leadership is not None and services.leadership.shared else 5.0,
    )
    task = asyncio.create_task(broadcaster.run(), name="announcements")
    return RunningSender(broadcaster, bot, task)


def bulk_bot(services: Services, concurrency: int) -> Bot:
    """Announcements' own `Bot`: its own connection pool, and no rate limiter of its own (the
    sender takes the pacer's bulk slots)."""
    settings = services.settings
    return Bot(
        settings.token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_base_url.replace("/bot", "/file/bot", 1),
        request=AiohttpRequest(concurrency + 2, pool_timeout=10.0),
        get_updates_request=AiohttpRequest(1),  # never polls; opens nothing
    )


async def stop_sender(sender: RunningSender) -> None:
    """Stop taking new rows, let the messages in flight record their result, close."""
    sender.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sender.task
    await sender.broadcaster.drain()
    sender.broadcaster.services.bulk_channels.pop(TelegramChannel.name, None)
    await sender.bot.shutdown()


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop`, so the bot finishes what it is doing and exits."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
