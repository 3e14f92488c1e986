"""Updates a second through `aksi serve` (Telegram's webhook posting into Aksi's HTTP server)
against `aksi run` (long polling), on SQLite, and through `aksi serve` on PostgreSQL.

Each run: the real bot process against the Bot API stand-in on loopback (no delay added;
Telegram's 30 msg/s pacing switched off, AKSI_MAX_MESSAGES_PER_SECOND=0, so the figures are
the stack's own). Set-up (not timed): a cohort with PARTICIPANTS joined participants. After a
warm-up of WARM_UP updates (not counted), UPDATES `/jadwal` messages from them are queued at
once; measured from then until every answer has reached the stand-in. With the webhook the
stand-in posts the updates WEBHOOK_CONNECTIONS at a time, as Telegram does (its
`max_connections` defaults to 40); with long polling the bot takes up to 100 per getUpdates.

The PostgreSQL run needs PostgreSQL's server programs (a throwaway cluster is started, as the
tests do); `--no-postgresql` leaves it out (then `pg_webhook_ups=skipped`).
Also the bot process's CPU time an update in each mode (from /proc): the stand-in runs in this
process on the same cores, and posting updates costs it more than answering getUpdates.
Last line: `webhook_ups=… polling_ups=… pg_webhook_ups=… webhook_cpu_ms=… polling_cpu_ms=…`.
Usage: .venv/bin/python bench/webhook.py [--updates N] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import socket
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    bench_cohort,
    cpu_seconds,
    start_aksi,
    stop_process,
    telegram_person,
)
from bot.standin import BotApiStandIn, Outgoing  # noqa: E402
from storage.models import Participant  # noqa: E402

PARTICIPANTS = 300
WARM_UP = 200
WEBHOOK_CONNECTIONS = 40
FIRST_USER = 500_000
USERS = range(FIRST_USER, FIRST_USER + PARTICIPANTS)
SECRET = "bench-webhook-secret-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def build_database(path: Path, url: str | None) -> None:
    today = date.today()
    async with bench_cohort(
        path,
        url=url,
        name="Angkatan Benchmark",
        timezone="Asia/Makassar",
        starts=today - timedelta(days=7),
        ends=today + timedelta(days=40),
    ) as (session, cohort):
        for uid in USERS:
            session.add(
                Participant(
                    cohort=cohort,
                    person_id=await telegram_person(session, uid),
                    first_name=f"P{uid}",
                    full_name=f"Peserta {uid}",
                    unit="OPD Uji",
                )
            )


class Answers:
    """Counts the bot's messages as they reach the stand-in."""

    def __init__(self) -> None:
        self.count = 0
        self.per_chat: Counter[int] = Counter()
        self.changed = asyncio.Event()

    def __call__(self, out: Outgoing) -> None:
        if out.method == "sendMessage" and out.chat_id is not None:
            self.count += 1
            self.per_chat[out.chat_id] += 1
            self.changed.set()

    async def reach(self, total: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count < total:
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"only {self.count} of {total} answers arrived")
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                continue


async def run_one(mode: str, updates: int, url: str | None) -> tuple[float, float]:
    workdir = Path(tempfile.mkdtemp(prefix=f"aksi-bench-webhook-{mode}-"))
    db = workdir / "aksi.db"
    await build_database(db, url)
    gc.collect()
    gc.freeze()
    port = free_port()
    settings = {
        "AKSI_MAX_MESSAGES_PER_SECOND": "0",
        "AKSI_REMINDER_TICK_SECONDS": "0",
        "AKSI_NETWORK_JITTER_MS": "0",
    }
    if url is not None:
        settings["DATABASE_URL"] = url
    if mode != "polling":
        settings.update(
            AKSI_HTTP_PORT=str(port),
            AKSI_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/bench",
            AKSI_WEBHOOK_SECRET=SECRET,
        )
    async with BotApiStandIn() as standin:
        standin.webhook_connections = WEBHOOK_CONNECTIONS
        answers = Answers()
        standin.add_listener(answers)
        with (workdir / "aksi.log").open("wb") as log:
            process = await start_aksi(
                standin, db, log, command="run" if mode == "polling" else "serve", **settings
            )
            try:
                for i in range(WARM_UP):
                    standin.push_message(USERS[i % PARTICIPANTS], "/jadwal")
                await answers.reach(WARM_UP, 60)
                started, cpu = time.perf_counter(), cpu_seconds(process.pid)
                for i in range(updates):
                    standin.push_message(USERS[i % PARTICIPANTS], "/jadwal")
                await answers.reach(WARM_UP + updates, 300)
                elapsed = time.perf_counter() - started
                cpu_ms = (cpu_seconds(process.pid) - cpu) * 1000 / updates
            except Exception:
                print((workdir / "aksi.log").read_text(errors="replace")[-3000:], file=sys.stderr)
                raise
            finally:
                await stop_process(process, timeout=30)
        refused = len(standin.webhook_refusals)
    ups = updates / elapsed
    database = "PostgreSQL" if url else "SQLite"
    print(
        f"  {mode:>8} on {database:<10}: {updates} updates in {elapsed:.2f} s = {ups:.0f}/s; "
        f"the bot's CPU {cpu_ms:.2f} ms an update"
        + (f"; webhook posts refused: {refused}" if mode != "polling" else "")
    )
    return ups, cpu_ms


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000, help="updates measured per run")
    parser.add_argument("--no-postgresql", action="store_true", help="leave PostgreSQL out")
    args = parser.parse_args()
    print(
        f"participants={PARTICIPANTS} updates={args.updates} (each /jadwal); "
        f"webhook posts {WEBHOOK_CONNECTIONS} at a time; pacing off"
    )
    print("network: loopback (no delay added); no rate limit")
    webhook, webhook_cpu = await run_one("webhook", args.updates, None)
    polling, polling_cpu = await run_one("polling", args.updates, None)
    pg = "skipped"
    if not args.no_postgresql:
        from tests.pgserver import PostgresServer

        server = PostgresServer()
        server.start()
        try:
            pg = f"{(await run_one('webhook', args.updates, await server.new_database()))[0]:.0f}"
        finally:
            server.stop()
    print(
        "  (the stand-in, in this process, shares the 2 cores: posting 40 at a time costs it "
        "more than answering 20 getUpdates, so compare the bot's CPU an update too)"
    )
    print(
        f"webhook_ups={webhook:.0f} polling_ups={polling:.0f} pg_webhook_ups={pg} "
        f"webhook_cpu_ms={webhook_cpu:.2f} polling_cpu_ms={polling_cpu:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
