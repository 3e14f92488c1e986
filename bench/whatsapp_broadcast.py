"""An announcement on WhatsApp at Meta's limits (issue 15's benchmark), run by
`bench/broadcast.py --channel whatsapp`.

The real `aksi serve` process (WhatsApp configured: its webhook on Aksi's HTTP server, its
messages to the Cloud API stand-in on loopback; Telegram's side on the Bot API stand-in, where
the facilitator is) on a fresh SQLite file. The stand-in counts as Meta does
(`CloudApiStandIn.limit_rate`): more than 80 messages arriving in any one second is answered
130429, a second message to one person within 6 s 131056.

Set-up (not timed): the cohort BENCH with RECIPIENTS participants on WhatsApp; one in every
CLOSED_EVERY last wrote 25 hours ago (their 24-hour window is closed, and no announcement
template is configured: each must be counted as "needs template", not sent, not lost); the
others wrote just now. A facilitator on Telegram, whose announcement is due at once.

Measured: the messages a second that reached the stand-in, from the first to the last, as a
fraction of 80 (`rate_fraction`); the 130429 and 131056 answers (`rate_limited`); lost (an open
window without its message, or a closed one neither sent nor counted), duplicated (anyone with
two); the closed windows counted as needing a template; the time to the facilitator's report.
With --rtt-ms/--jitter-ms the stand-in answers like a server that far away (Aksi is told the
jitter, AKSI_NETWORK_JITTER_MS, as on Telegram).

Ends with one key=value line; exits 1 if anything was lost or duplicated."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.common import bench_cohort, start_aksi, stop_process, wait_for  # noqa: E402
from bench.webhook import free_port  # noqa: E402
from bot.standin import BotApiStandIn  # noqa: E402
from bot.standin.records import Network  # noqa: E402
from bot.standin.whatsapp import CloudApiStandIn, serving  # noqa: E402
from core.channel import TELEGRAM, Address  # noqa: E402
from core.contacts import person_for  # noqa: E402
from core.staff import add_facilitator  # noqa: E402
from storage.db import create_engine, sessionmaker  # noqa: E402
from storage.models import Announcement, OutboxMessage, Participant  # noqa: E402

PHONE_ID = "106540352242922"
TOKEN = "EAAG-bench-token"
SECRET = "bench-app-secret"
VERIFY = "bench-verify-token"
WEBHOOK_SECRET = "bench-webhook-secret-0123456789"
FACILITATOR = 9001
PER_SECOND = 80
CLOSED_EVERY = 10


def number(n: int) -> str:
    return f"62812{n:08d}"


async def build(db: Path, recipients: int) -> None:
    now = datetime.now(UTC)
    today = date.today()
    async with bench_cohort(
        db, name="Angkatan Benchmark", timezone="Asia/Jakarta",
        starts=today - timedelta(days=7), ends=today + timedelta(days=40),
    ) as (session, cohort):  # fmt: skip
        author = await person_for(session, Address(TELEGRAM, str(FACILITATOR)), now)
        await add_facilitator(session, cohort, author.person_id)
        for n in range(recipients):
            contact = await person_for(session, Address("whatsapp", number(n)), now)
            if n % CLOSED_EVERY == 0:
                contact.last_inbound_at = now - timedelta(hours=25)
            session.add(
                Participant(
                    cohort=cohort, person_id=contact.person_id, first_name=f"P{n}",
                    full_name=f"Peserta {n}", unit="OPD Uji", language="id",
                )
            )  # fmt: skip
        session.add(
            Announcement(
                cohort_id=cohort.id, author_id=author.person_id, author_contact_id=author.id,
                author_language="id", body="<b>Pengumuman</b>: sesi besok pukul 09.00 WIB.",
                audience="all", state="scheduled", send_at=now, created_at=now,
            )
        )  # fmt: skip


async def outbox_statuses(db: Path) -> Counter[str]:
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with sessionmaker(engine)() as session:
            rows = await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            return Counter({str(s): int(n) for s, n in rows.all()})
    finally:
        await engine.dispose()


async def run(recipients: int, rtt_ms: float, jitter_ms: float) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="aksi-bench-whatsapp-"))
    db = workdir / "aksi.db"
    await build(db, recipients)
    gc.collect()
    gc.freeze()
    cloud = CloudApiStandIn(PHONE_ID, TOKEN)
    cloud.limit_rate(PER_SECOND, 6.0)
    if rtt_ms:
        cloud.network = Network(rtt_ms / 1000, jitter_ms / 1000)
    received: Counter[str] = Counter()

    def count(data: dict[str, Any]) -> None:
        received[str(data.get("to"))] += 1

    cloud.listeners.append(count)
    async with serving(cloud.app()) as cloud_url, BotApiStandIn() as telegram:
        cloud.base_url = cloud_url
        port = free_port()
        settings = {
            "AKSI_REMINDER_TICK_SECONDS": "0",
            "AKSI_NETWORK_JITTER_MS": str(int(jitter_ms)),
            "AKSI_HTTP_PORT": str(port),
            "AKSI_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/bench",
            "AKSI_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "WHATSAPP_ACCESS_TOKEN": TOKEN,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": VERIFY,
            "WHATSAPP_DISPLAY_NUMBER": "6281100000000",
            "WHATSAPP_API_BASE_URL": cloud_url,
            "WHATSAPP_MESSAGES_PER_SECOND": str(PER_SECOND),
        }
        started = time.monotonic()
        with (workdir / "aksi.log").open("wb") as log:
            process = await start_aksi(telegram, db, log, command="serve", **settings)
            try:
                await wait_for(
                    lambda: any(
                        m.chat_id == FACILITATOR and "Laporan pengumuman" in (m.text or "")
                        for m in telegram.outbox
                    ),
                    "the facilitator's report",
                    timeout=recipients / PER_SECOND * 3 + 120,
                )
                report_s = time.monotonic() - started
                report = next(
                    m.text or "" for m in telegram.outbox if "Laporan pengumuman" in (m.text or "")
                )
            finally:
                await stop_process(process)
    statuses = await outbox_statuses(db)
    closed = {number(n) for n in range(recipients) if n % CLOSED_EVERY == 0}
    open_ = {number(n) for n in range(recipients)} - closed
    lost = sum(1 for n in open_ if received[n] == 0)
    lost += max(len(closed) - statuses["needs_template"] - sum(received[n] for n in closed), 0)
    duplicated = sum(c - 1 for c in received.values() if c > 1)
    arrivals = cloud.arrivals
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    rate = (len(arrivals) - 1) / span if span else 0.0
    limited = cloud.throttled + cloud.pair_limited
    where = f"round trip {rtt_ms:g} ± {jitter_ms:g} ms" if rtt_ms else "loopback, no delay added"
    print(f"network: Cloud API stand-in, {where}")
    print(f"recipients: {recipients} on WhatsApp ({len(closed)} with the window closed)")
    print(f"delivered {len(arrivals)} in {span:.1f} s: {rate:.1f} messages/s of {PER_SECOND}")
    print(f"outbox: {dict(sorted(statuses.items()))}")
    print(f"130429 answered: {cloud.throttled}, 131056 answered: {cloud.pair_limited}")
    print(f"the report reached the facilitator {report_s:.1f} s after the start:")
    print("  " + report.replace("\n", "\n  "))
    print(
        f"rate_fraction={rate / PER_SECOND:.3f} rate_limited={limited} lost={lost} "
        f"duplicated={duplicated} needs_template={statuses['needs_template']} "
        f"messages_per_s={rate:.1f} report_s={report_s:.1f}"
    )
    return 1 if lost or duplicated else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipients", type=int, nargs="?", default=2000)
    parser.add_argument("--rtt-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.recipients < CLOSED_EVERY:
        parser.error(f"at least {CLOSED_EVERY} recipients")
    return asyncio.run(run(args.recipients, args.rtt_ms, args.jitter_ms))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
