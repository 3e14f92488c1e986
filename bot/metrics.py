"""What `GET /metrics` shows, in Prometheus's format (prometheus-client): updates handled by
kind and how long each took, messages sent by side and result, 429s received, re-delivered
updates dropped, webhook posts refused; and, read from the database at each scrape, the outbox
backlog, how long its longest-waiting message has waited, reminders overdue and the last day's
reminder deliveries by kind and outcome; whether this worker leads (`storage.leadership`).

One registry per bot (tests run many bots in one process), never the global one."""

from __future__ import annotations

import logging
from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select
from telegram import Update

from core.channel import Failed, RetryLater, SendResult, Sent, Unreachable
from core.services import Services
from storage.models import Delivery, OutboxMessage, Reminder

log = logging.getLogger("aksi.metrics")
UPDATE_KINDS = tuple(Update.ALL_TYPES)
RESULTS: dict[type, str] = {
    Sent: "sent",
    RetryLater: "retry",
    Unreachable: "unreachable",
    Failed: "failed",
}


def update_kind(update: object) -> str:
    """`message`, `callback_query`, … (the update's one field), or `other`."""
    if isinstance(update, Update):
        for kind in UPDATE_KINDS:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("aksi_updates", "Updates handled, by kind", ["kind"], registry=r)
        self.handling = Histogram(
            "aksi_update_seconds",
            "Time from an update being handed over to the end of its handling",
            ["kind"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=r,
        )
        self.messages = Counter(
            "aksi_messages",
            "Messages sent, by side (reply: answers; bulk: reminders, digests, announcements) "
            "and result (sent, retry, unreachable, failed)",
            ["kind", "result"],
            registry=r,
        )
        self.duplicates = Counter(
            "aksi_updates_redelivered", "Updates delivered again and dropped", registry=r
        )
        self.refused = Counter(
            "aksi_webhook_refused", "Webhook posts refused (wrong secret, bad body)", ["why"],
            registry=r,
        )  # fmt: skip
        self.database_errors = Counter(
            "aksi_metrics_database_errors", "Scrapes that could not read the database", registry=r
        )
        self.told_to_wait = Gauge(
            "aksi_telegram_429", "429 (retry after) answers received since start", registry=r
        )
        self.outbox_backlog = Gauge(
            "aksi_outbox_backlog", "Announcement messages waiting to be sent", registry=r
        )
        self.outbox_oldest = Gauge(
            "aksi_outbox_oldest_pending_seconds",
            "How long the longest-waiting due announcement message has waited (0: none)",
            registry=r,
        )
        self.leading = Gauge(
            "aksi_leader",
            "1 when this worker sends the announcements, reminders and digests (it leads)",
            registry=r,
        )
        self.reminders_overdue = Gauge(
            "aksi_reminders_overdue", "Reminder rows whose time has come, not yet taken", registry=r
        )
        self.deliveries = Gauge(
            "aksi_reminder_deliveries_24h",
            "Reminder deliveries claimed in the last 24 hours, by kind and outcome",
            ["kind", "status"],
            registry=r,
        )

    async def _read_database(self, services: Services) -> None:
        now = services.clock()
        async with services.db() as session:
            backlog = await session.scalar(
                select(func.count()).where(OutboxMessage.status == "pending")
            )
            oldest = await session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now
                )
            )
            overdue = await session.scalar(
                select(func.count()).select_from(Reminder).where(Reminder.next_due_at <= now)
            )
            recent = (
                await session.execute(
                    select(Delivery.kind, Delivery.status, func.count())
                    .where(Delivery.created_at >= now - timedelta(hours=24))
                    .group_by(Delivery.kind, Delivery.status)
                )
            ).all()
        self.outbox_backlog.set(backlog or 0)
        self.outbox_oldest.set((now - oldest).total_seconds() if oldest is not None else 0)
        self.reminders_overdue.set(overdue or 0)
        self.deliveries.clear()
        for kind, status, count in recent:
            self.deliveries.labels(kind, status).set(count)

    def sent(self, kind: str, result: SendResult) -> None:
        """One message sent (or not) on the channel's `kind` of side: reply or bulk."""
        self.messages.labels(kind, RESULTS.get(type(result), "failed")).inc()

    def observe(self, update: object, seconds: float) -> None:
        kind = update_kind(update)
        self.updates.labels(kind).inc()
        self.handling.labels(kind).observe(seconds)

    async def render(self, services: Services) -> bytes:
        """The exposition text, with the database's figures read now."""
        self.told_to_wait.set(services.pacer.told_to_wait)
        self.leading.set(1 if services.leads() else 0)
        try:
            await self._read_database(services)
        except Exception as exc:  # the process's own counters are still worth a scrape
            log.warning("metrics: could not read the database: %s", exc.__class__.__name__)
            self.database_errors.inc()
        return generate_latest(self.registry)
