"""Joining on a real network: 300 people sending `/start BENCH` within 6 s, all answered.

Runs the real `aksi run` process against the Bot API stand-in behaving like Telegram from
Indonesia: a round trip of RTT_MS ± JITTER_MS (each way half, drawn afresh:
`BotApiStandIn.network`) and Telegram's limits as a strict sliding one-second window (30
messages overall, one a second to a chat with bursts of 3: `limit_rate`), a 429 asking to wait
until a slot frees. Aksi's reminder job is off (AKSI_REMINDER_TICK_SECONDS=0) so nothing else
is sent, and the pacer is told the jitter (AKSI_NETWORK_JITTER_MS).

Set-up (not timed): a fresh SQLite file with one cohort (BENCH, Asia/Makassar, begun yesterday,
40 days to go) and nobody in it. Joining needs nothing more: the code is what people type.
Then PEOPLE people new to the bot (user ids it has never seen) each send `/start BENCH` at a
moment drawn (seeded) within the first SPREAD seconds. A newcomer is answered with two
messages (handlers.onboarding.join_answer): the welcome ("Selamat bergabung di …", with what the
bot can do) and the first profile question, the full name ("… nama lengkap …", with buttons).

Measured, for each person, from their /start to the moment the bot's message reached the
stand-in: the first message (`first`) and the second (`done`: the whole answer); p50, p95 and
max of both. The physical floor is for everyone together: 2 x PEOPLE messages through
Telegram's 30 a second take `floor_s` = 2 x PEOPLE / 30 s, so the last answer reaches the
stand-in no sooner than that after the first /start (`last_s`); a person who wrote late in the
SPREAD waits up to about SPREAD less. Also: the messages per second while answering, the 429s
received, people not fully answered, answers in the wrong order or with the wrong text, and
messages beyond the two. Afterwards the database must hold PEOPLE participants of BENCH
(`joined`).
Last line: `joined=… p95_first_s=… p95_done_s=… max_done_s=… last_s=… floor_s=… http_429=…
unanswered=…`. Exits 1 if someone was not fully answered (within a generous timeout; the bot's
log tail is printed then), an answer was wrong, or someone is missing from the cohort.
Usage: .venv/bin/python bench/joining.py [PEOPLE] [--rtt-ms 150 --jitter-ms 50]
(default 300 people)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    bench_cohort,
    network_options,
    percentile,
    start_aksi,
    stop_process,
    wait_for,
)
from bot.standin import BotApiStandIn, Outgoing  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Many people joining with /start CODE at once")
    parser.add_argument("people", type=int, nargs="?", default=300)
    network_options(parser, rtt_ms=150.0, jitter_ms=50.0)
    return parser.parse_args()


ARGS = arguments()
PEOPLE = ARGS.people
SPREAD = 6.0  # seconds over which the /start messages arrive
LIMIT = 30
MESSAGES = 2  # the welcome, then the question for the full name
# What each of the two messages says (Indonesian: the stand-in's users speak "id").
EXPECTED = ("Selamat bergabung di", "nama lengkap")
FIRST_USER = 500_000  # ids the bot has never seen: a fresh database
USERS = range(FIRST_USER, FIRST_USER + PEOPLE)
NAMES = ("Siti", "Budi", "Ayu", "Made", "Rahmat", "Dewi", "Andi", "Nur", "Yohanes", "Wayan")
ZONE = "Asia/Makassar"
EXTRA_WAIT = 2.0  # after the last answer: any message beyond the two on its way


async def build_database(path: Path) -> None:
    today = datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()
    async with bench_cohort(
        path,
        name="Angkatan Benchmark",
        timezone=ZONE,
        starts=today - timedelta(days=1),
        ends=today + timedelta(days=40),
    ):
        pass  # the cohort alone: the people join over the stand-in


@dataclass
class Watch:
    """Every message the bot sends to a joiner, with the time (monotonic) it reached the
    stand-in. Kept cheap: the stand-in shares this process (see bench/broadcast.py)."""

    answers: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)
    complete: int = 0

    def __call__(self, record: Outgoing) -> None:
        if record.method != "sendMessage" or record.chat_id not in USERS:
            return
        at = time.monotonic()
        self.times.append(at)
        got = self.answers.setdefault(record.chat_id, [])
        got.append((at, record.text or ""))
        if len(got) == MESSAGES:
            self.complete += 1


async def send_starts(standin: BotApiStandIn, offsets: dict[int, float]) -> dict[int, float]:
    """Each person's /start at their moment (seconds from now); when each was sent."""
    sent: dict[int, float] = {}
    began = time.monotonic()
    for uid, offset in sorted(offsets.items(), key=lambda item: item[1]):
        await asyncio.sleep(max(0.0, began + offset - time.monotonic()))
        sent[uid] = time.monotonic()
        standin.push_message(uid, "/start BENCH", first_name=NAMES[uid % len(NAMES)])
    return sent


def participants(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM participants p JOIN cohorts c ON c.id = p.cohort_id "
            "WHERE c.code = 'BENCH'"
        ).fetchone()
    return int(row[0])


async def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="aksi-bench-joining-"))
    db = workdir / "aksi.db"
    await build_database(db)
    gc.collect()
    gc.freeze()  # the set-up's objects, out of the collector's way (see bench/broadcast.py)
    rng = random.Random(1)
    offsets = {uid: rng.uniform(0, SPREAD) for uid in USERS}
    floor_s = MESSAGES * PEOPLE / LIMIT
    timeout = SPREAD + 4 * floor_s + 60
    log_path = workdir / "aksi.log"
    timed_out = False
    print(f"people={PEOPLE} spread={SPREAD:g} s messages_each={MESSAGES} limit={LIMIT}/s")
    async with BotApiStandIn() as standin:
        standin.network(ARGS.rtt_ms, ARGS.jitter_ms, seed=1)
        standin.limit_rate(LIMIT, per_chat_per_second=1.0, per_chat_burst=3.0, window="sliding")
        print(f"network: {standin.network_settings}")
        watch = Watch()
        standin.add_listener(watch)
        with log_path.open("wb") as log:
            process = await start_aksi(
                standin, db, log,
                AKSI_MAX_MESSAGES_PER_SECOND=str(LIMIT), AKSI_REMINDER_TICK_SECONDS="0",
                AKSI_NETWORK_JITTER_MS=str(ARGS.jitter_ms),
            )  # fmt: skip
            try:
                sent = await send_starts(standin, offsets)
                try:
                    await wait_for(lambda: watch.complete >= PEOPLE, "every answer", timeout)
                except RuntimeError as exc:
                    timed_out = True
                    print(f"{exc} ({timeout:.0f} s)", file=sys.stderr)
                await asyncio.sleep(EXTRA_WAIT)
            finally:
                await stop_process(process, timeout=30)
        if timed_out:
            print(f"the bot's log ({log_path}), its end:", file=sys.stderr)
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
    first = [got[0][0] - sent[uid] for uid, got in watch.answers.items() if got]
    done = [
        got[MESSAGES - 1][0] - sent[uid]
        for uid, got in watch.answers.items()
        if len(got) >= MESSAGES
    ]
    gaps = [
        got[MESSAGES - 1][0] - got[0][0] for got in watch.answers.values() if len(got) >= MESSAGES
    ]
    unanswered = PEOPLE - len(done)
    silent = PEOPLE - len(first)
    extra = sum(max(0, len(got) - MESSAGES) for got in watch.answers.values())
    wrong = sum(
        1
        for got in watch.answers.values()
        if any(mark not in body for (_, body), mark in zip(got, EXPECTED, strict=False))
    )
    max_done = max(done, default=float("nan"))
    joined = participants(db)
    times = sorted(watch.times)
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    first_start = min(sent.values())
    last_start = max(sent.values()) - first_start
    last_s = times[-1] - first_start if times else float("nan")
    print(f"/start sent over {last_start:.1f} s; {joined} joined the cohort")
    print(
        f"answered: {len(done)} of {PEOPLE} fully, {PEOPLE - silent} with a first message; "
        f"{unanswered} not fully answered, {silent} not at all"
    )
    print(
        f"  first message: p50 {percentile(first, 50):.1f} s, p95 {percentile(first, 95):.1f} s, "
        f"max {max(first, default=float('nan')):.1f} s"
    )
    print(
        f"  whole answer ({MESSAGES} messages): p50 {percentile(done, 50):.1f} s, "
        f"p95 {percentile(done, 95):.1f} s, max {max_done:.1f} s "
        f"(a person's second message {percentile(gaps, 50):.1f} s after the first, p50)"
    )
    print(
        f"  last answer {last_s:.1f} s after the first /start "
        f"(floor {floor_s:.1f} s: {MESSAGES} x {PEOPLE} messages at {LIMIT}/s)"
    )
    if times:
        print(
            f"  {len(times)} messages in {times[-1] - times[0]:.1f} s: {rate:.1f}/s while "
            f"answering ({rate / LIMIT:.3f} of {LIMIT}/s)"
        )
    print(
        f"  429 received {standin.too_many_requests}; wrong text or order {wrong}; "
        f"messages beyond the {MESSAGES} {extra}"
    )
    if standin.rate_limited:
        print(f"  429s (why, chat): {standin.rate_limited[:10]}")
    print(
        f"joined={joined} p95_first_s={percentile(first, 95):.1f} "
        f"p95_done_s={percentile(done, 95):.1f} max_done_s={max_done:.1f} last_s={last_s:.1f} "
        f"floor_s={floor_s:.1f} http_429={standin.too_many_requests} unanswered={unanswered}"
    )
    return 1 if timed_out or unanswered or wrong or joined != PEOPLE else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
