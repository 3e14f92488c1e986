"""A reminder peak on a real network: 2,000 daily reminders due in the same minute.

Runs the real `aksi run` process (its reminder job on, every 60 s) against the Bot API stand-in
behaving like Telegram from Indonesia: a round trip of RTT_MS ± JITTER_MS (each way half,
drawn afresh: `BotApiStandIn.network`) and Telegram's limits as a strict sliding one-second
window (30 messages overall, one a second to a chat with bursts of 3: `limit_rate`), a 429
asking to wait until a slot frees.

Set-up (not timed): a fresh SQLite file with a cohort (BENCH, WITA) of PARTICIPANTS
participants, each with a one-habit plan and a daily reminder due at the same minute (the first
whole minute at least LEAD_SECONDS after the set-up). CHATTERS of them type /jadwal every 5-15 s
from a little before the minute until the last reminder is out; the time from their message to
the bot's answer is measured.

Measured: when the last reminder reached the stand-in, from the due minute (`peak_s`), against
1.2 x PARTICIPANTS/30 s (`peak_limit_s`: Telegram's 30 a second with a fifth to spare); reminders
lost (a participant without one) and duplicated; the 429s received; the chatters' p95.
The bot's event loop is watched (`bench/loopwatch.py`): how long the reminder job's claims
held it at a time (reading what is due, composing, the claiming transaction), and the longest
holders. Last line: `peak_s=… peak_limit_s=… lost=… duplicated=… http_429=… p95_command_ms=…
claim_hold_p95_ms=… claim_hold_max_ms=…`.
Usage: .venv/bin/python bench/peak.py [PARTICIPANTS]   (BENCH_RTT_MS, BENCH_JITTER_MS)
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    NOT_SEEN,
    bench_cohort,
    chatter,
    loop_held,
    percentile,
    start_aksi,
    stop_process,
    telegram_person,
    wait_for,
)
from bot.standin import BotApiStandIn, Outgoing  # noqa: E402
from core.habits import Kind, Schedule  # noqa: E402
from scheduler.reminder_job import prepare  # noqa: E402
from storage.models import ActionPlan, Habit, Participant, Reminder  # noqa: E402

PARTICIPANTS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
CHATTERS = 20
CHAT_EVERY = (5.0, 15.0)  # as in bench/broadcast.py: about 2 commands a second in all
RTT_MS = float(os.environ.get("BENCH_RTT_MS", "150"))
JITTER_MS = float(os.environ.get("BENCH_JITTER_MS", "50"))
LIMIT = 30
LEAD_SECONDS = 25.0  # from the end of the set-up to the due minute: the bot starts meanwhile
FIRST_USER = 300_000
USERS = range(FIRST_USER, FIRST_USER + PARTICIPANTS)
ZONE = "Asia/Makassar"
REMINDER_MARK = "Pengingat"  # in the daily reminder's text, not in /jadwal's answer


def due_minute(after: datetime) -> datetime:
    """The first whole minute at least LEAD_SECONDS after `after`."""
    at = after + timedelta(seconds=LEAD_SECONDS + 59)
    return at.replace(second=0, microsecond=0)


async def build_database(path: Path, due: datetime) -> None:
    today = due.astimezone(ZoneInfo(ZONE)).date()
    local_time = due.astimezone(ZoneInfo(ZONE)).strftime("%H:%M")
    async with bench_cohort(
        path,
        name="Angkatan Benchmark",
        timezone=ZONE,
        starts=today - timedelta(days=7),
        ends=today + timedelta(days=40),
    ) as (session, cohort):
        for uid in USERS:
            participant = Participant(
                cohort=cohort,
                person_id=await telegram_person(session, uid),
                first_name=f"P{uid}",
                full_name=f"Peserta {uid}",
                unit="OPD Uji",
                joined_at=datetime.now(UTC) - timedelta(days=7),
            )
            session.add(participant)
            await session.flush()
            habit = Habit(
                position=0,
                name="Apel pagi tepat waktu",
                kind=Kind.YESNO.value,
                schedule=Schedule.daily().encode(),
                created_on=today - timedelta(days=7),
            )
            session.add(
                ActionPlan(participant_id=participant.id, title="Pelayanan prima", habits=[habit])
            )
            session.add(
                Reminder(
                    participant_id=participant.id,
                    kind="daily",
                    local_time=local_time,
                    next_due_at=due,
                )
            )


@dataclass
class Watch:
    """Every message the bot sends, with the wall time it reached the stand-in."""

    reminders: list[tuple[float, int]] = field(default_factory=list)
    waiting: dict[int, asyncio.Future[float]] = field(default_factory=dict)
    sent: int = 0

    def __call__(self, record: Outgoing) -> None:
        if record.method != "sendMessage" or record.chat_id is None:
            return
        self.sent += 1
        at = time.time()
        if REMINDER_MARK in (record.text or ""):
            self.reminders.append((at, record.chat_id))
        elif record.chat_id in self.waiting:
            answered = self.waiting.pop(record.chat_id)
            if not answered.done():
                answered.set_result(at)


async def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="aksi-bench-peak-"))
    db = workdir / "aksi.db"
    began = datetime.now(UTC)
    # The set-up takes a while for thousands: aim past it.
    due = due_minute(began + timedelta(seconds=PARTICIPANTS * 0.004))
    await build_database(db, due)
    if datetime.now(UTC) > due - timedelta(seconds=10):
        print("the set-up ran past the due minute; run again", file=sys.stderr)
        return 2
    gc.collect()
    gc.freeze()  # the set-up's objects, out of the collector's way (see bench/broadcast.py)
    log_path = workdir / "aksi.log"
    loop_path = workdir / "loop.json"
    limit_s = 1.2 * PARTICIPANTS / LIMIT
    async with BotApiStandIn() as standin:
        standin.network(RTT_MS, JITTER_MS, seed=1)
        standin.limit_rate(LIMIT, per_chat_per_second=1.0, per_chat_burst=3.0, window="sliding")
        print(f"participants={PARTICIPANTS} chatters={CHATTERS}")
        print(f"network: {standin.network_settings}")
        watch = Watch()
        standin.add_listener(watch)
        with log_path.open("wb") as log:
            process = await start_aksi(
                standin, db, log, loop_watch=loop_path,
                AKSI_MAX_MESSAGES_PER_SECOND=str(LIMIT), AKSI_REMINDER_TICK_SECONDS="60",
            )  # fmt: skip
            try:
                done = asyncio.Event()
                latencies: list[float] = []
                chat_users = random.Random(7).sample(list(USERS), CHATTERS)
                await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 5))
                chatters = [
                    asyncio.create_task(
                        chatter(standin, watch.waiting, uid, done, latencies, CHAT_EVERY, time.time)
                    )
                    for uid in chat_users
                ]
                await wait_for(
                    lambda: len({chat for _, chat in watch.reminders}) >= PARTICIPANTS,
                    "every reminder",
                    timeout=(due - datetime.now(UTC)).total_seconds() + 4 * limit_s + 60,
                )
                await asyncio.sleep(2.0)  # any duplicate on its way
                done.set()
                await asyncio.gather(*chatters)
            except Exception:
                print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
                raise
            finally:
                await stop_process(process, timeout=30)
    times = sorted(at for at, _ in watch.reminders)
    per_chat = Counter(chat for _, chat in watch.reminders)
    lost = sum(1 for uid in USERS if per_chat[uid] == 0)
    duplicated = sum(n - 1 for n in per_chat.values() if n > 1)
    first_s = times[0] - due.timestamp()
    peak_s = times[-1] - due.timestamp()
    rate = (len(times) - 1) / (times[-1] - times[0])
    p95 = percentile(latencies, 95)
    print(f"reminders: first {first_s:.1f} s after the due minute, last {peak_s:.1f} s")
    print(f"  {rate:.1f} reminders/s while they went out ({rate / LIMIT:.3f} of {LIMIT}/s)")
    print(f"  lost {lost}, duplicated {duplicated}, 429 received {standin.too_many_requests}")
    if standin.rate_limited:
        print(f"  429s (why, chat): {standin.rate_limited[:10]}")
    print(
        f"chatters: {len(latencies)} commands, p50 {percentile(latencies, 50):.0f} ms, "
        f"p95 {p95:.0f} ms, max {max(latencies, default=float('nan')):.0f} ms"
    )
    holders = loop_held(loop_path)
    claims = holders.get(f"scheduler/reminder_job.py:{prepare.__qualname__}", NOT_SEEN)
    print(
        f"  the claiming transactions (scheduler/reminder_job.py:prepare): {claims['n']:.0f} "
        f"held the loop over the threshold, p50 {claims['p50_ms']} ms, p95 {claims['p95_ms']} "
        f"ms, max {claims['max_ms']} ms"
    )
    print(
        f"peak_s={peak_s:.1f} peak_limit_s={limit_s:.1f} lost={lost} duplicated={duplicated} "
        f"http_429={standin.too_many_requests} p95_command_ms={p95:.0f} "
        f"claim_hold_p95_ms={claims['p95_ms']} claim_hold_max_ms={claims['max_ms']}"
    )
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
