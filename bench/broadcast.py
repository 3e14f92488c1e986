"""Announcement delivery under Telegram's limits: 2,000 recipients, commands during, a crash.

Runs the real `aksi run` process against the Bot API stand-in on loopback, with the stand-in
behaving like Telegram's limits (`BotApiStandIn.limit_rate`): more than 30 messages in any one
second overall, or more than one a second to a chat (a bucket of 3: short bursts allowed), is
answered `429 Too Many Requests` with `retry_after`.

Set-up (not timed): a fresh SQLite file with a cohort (BENCH, Asia/Makassar), RECIPIENTS
participants who finished onboarding, and one facilitator. Aksi's reminder job is off
(AKSI_REMINDER_TICK_SECONDS=0) so nothing else is sent.

Run 1: the facilitator types /umumkan, the text, and presses "send now" (over the stand-in, as a
person would). While it drains, CHATTERS participants each type /jadwal every 5-15 s (about
2 commands a second in all) and the time from their message to the bot's answer is measured.
Measured: the messages per second the bot sent while the announcement drained (announcement and
replies; both count against Telegram's limit) as a fraction of 30, the announcement alone, the
429s received, lost (a recipient without it) and duplicated deliveries, the 95th percentile of
the command latency, and the time to the facilitator's report.

Run 2: a second announcement; when half of it is delivered the process is killed (SIGKILL: no
chance to tidy up), started again on the same database, and the losses and duplicates are
counted again once the report arrives.

With --postgresql the database is PostgreSQL (a throwaway server, as the tests start one)
instead of a SQLite file. With --workers N (N > 1; PostgreSQL) N `aksi serve` processes share
the database behind a stand-in reverse proxy (the stand-in posts each update to the next
worker in turn, and a post a dead worker does not take to the next one): one leads and sends
the announcement (storage.leadership), any answers the commands; run 2 kills the *leader*
with SIGKILL half way and does not restart it — another worker takes over — and prints how long
the announcement stood still.

Ends with one key=value line. Exits 1 if anything was lost.
Usage: .venv/bin/python bench/broadcast.py [RECIPIENTS] [--channel telegram|whatsapp]
[--rtt-ms 150 --jitter-ms 50]
[--retry-after 5] [--stall 10] [--postgresql] [--workers 3]
(default 2000 recipients on loopback; with a round trip the
stand-in adds it to every call, and the bot is told the jitter: AKSI_NETWORK_JITTER_MS; with
--stall, that many announcement messages of run 1 are delivered but never answered, as when
Telegram's answer is lost: the bot's read timeout cannot tell, and `timeout_duplicated` counts the
second copies that follow)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import aiohttp
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    bench_cohort,
    chatter,
    network_options,
    percentile,
    start_aksi,
    stop_process,
    telegram_person,
)
from bench.common import wait_for as common_wait_for  # noqa: E402
from bot.standin import BotApiStandIn, Outgoing  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.models import Participant, Staff  # noqa: E402
from tests.pgserver import PostgresServer, free_port  # noqa: E402


def arguments() -> argparse.Namespace:
    if "--channel" in sys.argv:  # --channel whatsapp: bench/whatsapp_broadcast.py
        at = sys.argv.index("--channel")
        channel = sys.argv[at + 1] if at + 1 < len(sys.argv) else ""
        if channel == "whatsapp":
            from bench.whatsapp_broadcast import main as whatsapp_main

            sys.exit(whatsapp_main(sys.argv[1:at] + sys.argv[at + 2 :]))
        if channel != "telegram":
            sys.exit(f"--channel: telegram or whatsapp, not {channel!r}")
        del sys.argv[at : at + 2]
    parser = argparse.ArgumentParser(description="Announcement delivery under Telegram's limits")
    parser.add_argument("recipients", type=int, nargs="?", default=2000)
    network_options(parser)
    parser.add_argument("--retry-after", type=int, default=None, help="what a 429 asks (s)")
    parser.add_argument("--postgresql", action="store_true", help="on PostgreSQL, not SQLite")
    parser.add_argument(
        "--workers", type=int, default=1, help="`aksi serve` workers (more than 1: PostgreSQL)"
    )
    parser.add_argument(
        "--stall",
        type=int,
        default=0,
        help="announcement messages the stand-in delivers but never answers (a read timeout)",
    )
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    if args.workers > 1:
        args.postgresql = True  # several workers share a PostgreSQL database
    return args


ARGS = arguments()
RECIPIENTS = ARGS.recipients
CHATTERS = int(os.environ.get("BENCH_CHATTERS", "20"))
CHAT_EVERY = (5.0, 15.0)  # seconds between one chatter's commands
FIRST_USER = 100_000
FACILITATOR = 900_001
LIMIT = 30
WAIT_SECONDS = 600.0
MARKS = ("UJI-SATU", "UJI-DUA")
USERS = range(FIRST_USER, FIRST_USER + RECIPIENTS)


async def build_database(path: Path, url: str | None) -> None:
    async with bench_cohort(
        path,
        url=url,
        name="Angkatan Benchmark",
        timezone="Asia/Makassar",
        starts=date(2020, 1, 1),
        ends=date(2040, 12, 31),
    ) as (session, cohort):
        for uid in USERS:
            session.add(
                Participant(
                    cohort_id=cohort.id,
                    person_id=await telegram_person(session, uid),
                    first_name=f"P{uid}",
                    full_name=f"Peserta {uid}",
                    unit="OPD Uji",
                )
            )
        staff = await telegram_person(session, FACILITATOR)
        session.add(Staff(cohort_id=cohort.id, person_id=staff))


@dataclass
class Watch:
    """Everything the bot sends, with the time it reached the stand-in. Kept cheap (no scans
    while the run is on): the stand-in shares this process, and a busy process would delay
    the stand-in's reading of requests and blur its one-second windows."""

    records: list[tuple[float, Outgoing]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MARKS, 0))
    reports: dict[str, str] = field(default_factory=dict)
    waiting: dict[int, asyncio.Future[float]] = field(default_factory=dict)

    def __call__(self, record: Outgoing) -> None:
        at = time.monotonic()
        self.records.append((at, record))
        body = record.text or ""
        mark = next((m for m in MARKS if m in body), None)
        if record.chat_id == FACILITATOR and "Laporan pengumuman" in body and mark:
            self.reports[mark] = body
        elif mark and record.method == "sendMessage":
            self.counts[mark] += 1
        elif record.method == "sendMessage" and record.chat_id in self.waiting:
            future = self.waiting.pop(record.chat_id)
            if not future.done():
                future.set_result(at)

    def deliveries(self, mark: str) -> list[tuple[float, int]]:
        return [
            (at, r.chat_id)
            for at, r in self.records
            if r.method == "sendMessage" and mark in (r.text or "") and r.chat_id in USERS
        ]

    def report(self, mark: str) -> str | None:
        return self.reports.get(mark)


class Workers:
    """The bot's processes: `aksi run`, or `--workers` `aksi serve` behind the stand-in's
    stand-in reverse proxy."""

    def __init__(self, standin: BotApiStandIn, db: Path, url: str | None, log: IO[bytes]):
        self.standin, self.db, self.url, self.log = standin, db, url, log
        self.processes: dict[int, asyncio.subprocess.Process] = {}  # by HTTP port (0: run)
        self.settings = {
            "AKSI_MAX_MESSAGES_PER_SECOND": str(LIMIT),
            "AKSI_REMINDER_TICK_SECONDS": "0",
            # The pacer leaves room for the jitter the network has (none on loopback).
            "AKSI_NETWORK_JITTER_MS": str(ARGS.jitter_ms),
        }
        if url is not None:
            self.settings["DATABASE_URL"] = url

    async def start(self) -> None:
        if ARGS.workers == 1:
            self.processes[0] = await start_aksi(self.standin, self.db, self.log, **self.settings)
            return
        ports = [free_port() for _ in range(ARGS.workers)]
        for port in ports:
            self.processes[port] = await self._serve(port, ports[0])
        self.standin.spread_webhook([f"http://127.0.0.1:{p}" for p in ports], connections=8)

    async def _serve(self, port: int, first: int) -> asyncio.subprocess.Process:
        """One worker, once it says it is ready (each sets the same webhook, as behind one
        public address)."""
        process = await start_aksi(
            self.standin, self.db, self.log, command="serve", **self.settings,
            AKSI_HTTP_PORT=str(port), AKSI_WEBHOOK_SECRET="bench-secret-0123456789",
            AKSI_WEBHOOK_URL=f"http://127.0.0.1:{first}/telegram/bench",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not await _is_ready(port):
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker on port {port} did not become ready")
            await asyncio.sleep(0.1)
        return process

    async def leader(self) -> int:
        """The port of the worker that leads (its /metrics says so)."""
        for port in self.processes:
            if "aksi_leader 1.0" in await _get(port, "/metrics"):
                return port
        raise RuntimeError("no worker leads")

    async def kill(self, port: int) -> None:
        process = self.processes.pop(port)
        process.kill()  # SIGKILL: no clean-up at all
        await process.wait()

    async def stop(self) -> None:
        for process in self.processes.values():
            await stop_process(process, timeout=30)


async def _get(port: int, path: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{path}") as answer,
    ):
        return await answer.text()


async def _is_ready(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/readyz") as answer,
        ):
            return answer.status == 200
    except aiohttp.ClientError:
        return False


async def wait_for(
    predicate: Callable[[], object], what: str, timeout: float = WAIT_SECONDS
) -> None:
    await common_wait_for(predicate, what, timeout)


async def announce(standin: BotApiStandIn, watch: Watch, text: str) -> float:
    """The facilitator writes the announcement and presses "send now"; returns that moment."""
    seen = len(watch.records)
    standin.push_message(FACILITATOR, "/umumkan", first_name="Fasilitator")
    await wait_for(lambda: len(watch.records) > seen, "the question for the text", 30)
    seen = len(watch.records)
    standin.push_message(FACILITATOR, text, first_name="Fasilitator")

    def control() -> Outgoing | None:
        for _, r in watch.records[seen:]:
            markup = r.reply_markup or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if str(button.get("callback_data", "")).startswith("ann:send:"):
                        return r
        return None

    await wait_for(lambda: control() is not None, "the preview", 30)
    record = control()
    assert record is not None and record.message_id is not None
    data = next(
        b["callback_data"]
        for row in (record.reply_markup or {})["inline_keyboard"]
        for b in row
        if str(b.get("callback_data", "")).startswith("ann:send:")
    )
    pressed = time.monotonic()
    standin.push_callback(FACILITATOR, record.message_id, data, first_name="Fasilitator")
    return pressed


def count(watch: Watch, mark: str) -> tuple[int, int, Counter[int]]:
    per_chat = Counter(chat for _, chat in watch.deliveries(mark))
    lost = sum(1 for uid in USERS if per_chat[uid] == 0)
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    return lost, duplicated, per_chat


async def outbox_statuses(url: str, announcement: int) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT status, count(*) FROM outbox WHERE announcement_id = :a"
                        " GROUP BY status"
                    ),
                    {"a": announcement},
                )
            ).all()
    finally:
        await engine.dispose()
    return {str(s): int(n) for s, n in rows}


async def main() -> int:
    if not ARGS.postgresql:
        return await measure(None)
    server = PostgresServer()
    try:
        server.start()
        return await measure(await server.new_database())
    finally:
        server.stop()


async def measure(url: str | None) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="aksi-bench-broadcast-"))
    db = workdir / "aksi.db"
    await build_database(db, url)
    url = url or f"sqlite+aiosqlite:///{db}"
    # The stand-in shares this process: a full garbage collection here (60 ms once the set-up's
    # objects are on the heap) holds its reading of requests, which then arrive bunched and
    # overfill its one-second window — a pause of the measuring side, not of the bot. What the
    # set-up made is frozen out of the collector's reach.
    gc.collect()
    gc.freeze()
    log_path = workdir / "aksi.log"
    log = log_path.open("wb")
    print(
        f"recipients={RECIPIENTS} chatters={CHATTERS} limit={LIMIT}/s overall, 1/s per chat; "
        f"{'PostgreSQL' if ARGS.postgresql else 'SQLite'}, "
        + (f"{ARGS.workers} workers (aksi serve)" if ARGS.workers > 1 else "aksi run")
    )
    async with BotApiStandIn() as standin:
        standin.limit_rate(
            overall_per_second=LIMIT,
            per_chat_per_second=1.0,
            per_chat_burst=3.0,
            retry_after=ARGS.retry_after,
        )
        standin.network(ARGS.rtt_ms, ARGS.jitter_ms, seed=1)
        print(f"network: {standin.network_settings}")
        watch = Watch()
        standin.add_listener(watch)
        workers = Workers(standin, db, url if ARGS.postgresql else None, log)
        stood_still = 0.0
        await workers.start()
        try:
            # Run 1: the whole announcement, with participants' commands during it.
            first = f"{MARKS[0]}: sesi Kamis pindah ke pukul 09.00 WITA. Mohon hadir tepat."
            chat_users = random.Random(7).sample(list(USERS), CHATTERS)
            # Delivered, never answered: the bot's read timeout cannot tell it went out. From
            # the first half, so the retries land before the announcement's end.
            stalled = random.Random(8).sample(
                sorted(set(USERS[: RECIPIENTS // 2]) - set(chat_users)), ARGS.stall
            )
            for uid in stalled:
                standin.stall("sendMessage", times=1, chat_id=uid)
            pressed = await announce(standin, watch, first)
            done = asyncio.Event()
            latencies: list[float] = []
            chatters = [
                asyncio.create_task(
                    chatter(standin, watch.waiting, uid, done, latencies, CHAT_EVERY)
                )
                for uid in chat_users
            ]
            await wait_for(lambda: watch.report(MARKS[0]) is not None, "the report")
            report_at = time.monotonic()
            done.set()
            await asyncio.gather(*chatters)
            times = sorted(at for at, _ in watch.deliveries(MARKS[0]))
            first_at, last_at = times[0], times[-1]
            span = last_at - first_at
            all_sent = [
                at
                for at, r in watch.records
                if r.method in ("sendMessage", "sendPhoto", "sendDocument")
                and first_at <= at <= last_at
            ]
            rate_total = (len(all_sent) - 1) / span
            rate_announcement = (len(times) - 1) / span
            lost, duplicated, per_chat = count(watch, MARKS[0])
            timeout_duplicated = sum(per_chat[uid] - 1 for uid in stalled if per_chat[uid] > 1)
            http_429 = standin.too_many_requests
            p95 = percentile(latencies, 95)
            print("\nRun 1: announcement to everyone, commands during it")
            print(
                f"  delivered {len(times)} in {span:.1f} s "
                f"(press -> report {report_at - pressed:.1f} s)"
            )
            print(
                f"  messages/s while draining: {rate_total:.2f} "
                f"(announcement {rate_announcement:.2f}, "
                f"replies {rate_total - rate_announcement:.2f})"
            )
            print(
                f"  fraction of {LIMIT}/s: {rate_total / LIMIT:.3f} "
                f"(announcement alone {rate_announcement / LIMIT:.3f})"
            )
            print(f"  429 received: {http_429}; lost: {lost}; duplicated: {duplicated}")
            if stalled:
                print(
                    f"  delivered but never answered: {len(standin.stalled)} of {len(stalled)}"
                    f" asked; sent again after the read timeout: {timeout_duplicated}"
                )
            if standin.rate_limited:
                print(f"  429s: {standin.rate_limited}")
            print(
                f"  commands during it: {len(latencies)}, latency p50 "
                f"{percentile(latencies, 50):.0f} ms, p95 {p95:.0f} ms, "
                f"max {max(latencies, default=float('nan')):.0f} ms"
            )
            print(f"  outbox: {await outbox_statuses(url, 1)}")

            # Run 2: killed half way, started again.
            second = f"{MARKS[1]}: tugas refleksi dikumpulkan Jumat."
            await announce(standin, watch, second)
            await wait_for(lambda: watch.counts[MARKS[1]] >= RECIPIENTS // 2, "half")
            victim = await workers.leader() if ARGS.workers > 1 else 0
            await workers.kill(victim)
            killed_at = time.monotonic()
            at_kill = len(watch.deliveries(MARKS[1]))
            if ARGS.workers == 1:
                await workers.start()
            restarted = time.monotonic()
            await wait_for(lambda: watch.report(MARKS[1]) is not None, "the second report")
            crash_lost, crash_duplicated, _ = count(watch, MARKS[1])
            # The longest the announcement stood still around the kill (the new leader taking
            # over, or the restart): the widest gap between deliveries from the kill on.
            times2 = sorted(at for at, _ in watch.deliveries(MARKS[1]))
            before = [t for t in times2 if t <= killed_at][-1:]
            around = before + [t for t in times2 if t > killed_at]
            stood_still = max((b - a for a, b in itertools.pairwise(around)), default=0.0)
            if ARGS.workers == 1:
                print("\nRun 2: killed (SIGKILL) half way, started again")
            else:
                print("\nRun 2: the leading worker killed (SIGKILL) half way, not restarted")
            print(
                f"  delivered before the kill: {at_kill}; after it: "
                f"{len(watch.deliveries(MARKS[1])) - at_kill} "
                f"(restart -> report {time.monotonic() - restarted:.1f} s; "
                f"the longest pause in its deliveries from the kill on: {stood_still:.1f} s)"
            )
            print(f"  lost: {crash_lost}; duplicated: {crash_duplicated}")
            print(f"  outbox: {await outbox_statuses(url, 2)}")
            if standin.rate_limited:
                print(f"  429s over both runs (why, chat): {standin.rate_limited}")
            http_429 = standin.too_many_requests
        except Exception:
            log.flush()
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            await workers.stop()
            log.close()
    print(
        f"\nrate_fraction={rate_total / LIMIT:.3f} "
        f"announcement_fraction={rate_announcement / LIMIT:.3f} http_429={http_429} "
        f"lost={lost} duplicated={duplicated} p95_command_ms={p95:.0f} "
        f"crash_lost={crash_lost} crash_duplicated={crash_duplicated} "
        f"stalled={len(stalled)} timeout_duplicated={timeout_duplicated} "
        f"crash_stood_still_s={stood_still:.1f}"
    )
    return 1 if lost or crash_lost else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
