"""Reminder benchmark: 100,000 participants' daily reminders as rows, found by one tick a minute,
against the same reminders as one APScheduler job per participant.

Part 1 (this process): a fresh SQLite file with 100,000 participants spread over WIB, WITA and
WIT, each with one daily reminder at a minute between 06:00 and 08:59 local time. Then 60
consecutive one-minute ticks from 06:00 WIT on, each doing what the reminder job does in the
database: find the due rows (`find`), and move each on to its next occurrence and claim its
delivery row (`tick`), committed. Peak resident memory of this process.

Part 2 (a child process, so its memory is its own): APScheduler 3's AsyncIOScheduler with the
same 100,000 reminders as one cron job each; time to schedule them and resident memory.

Ends with one line of key=value figures. Usage: .venv/bin/python bench/reminders.py [N]
"""

from __future__ import annotations

import asyncio
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from core import reminders as rules  # noqa: E402
from core.channel import TELEGRAM  # noqa: E402
from scheduler import reminders as rem  # noqa: E402
from storage.db import create_engine, sessionmaker, upgrade  # noqa: E402
from storage.models import Cohort, Contact, Participant, Person, Reminder  # noqa: E402

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
START = datetime(2021, 9, 2, 20, 0, tzinfo=UTC)  # 06:00 WIT on Friday 3 September 2021 is 21:00


def times_for(n: int) -> list[tuple[str, str]]:
    rng = random.Random(2021)
    return [(ZONES[i % 3], f"{rng.randint(6, 8):02d}:{rng.randint(0, 59):02d}") for i in range(n)]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def database_part(n: int, folder: Path) -> dict[str, float]:
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    await upgrade(engine)
    db = sessionmaker(engine)
    plan = times_for(n)
    started = time.perf_counter()
    async with db.begin() as session:
        cohort = Cohort(
            code="BENCH", name="Bench", timezone="Asia/Makassar",
            starts_on=date(2021, 9, 2), ends_on=date(2021, 10, 25),
        )  # fmt: skip
        session.add(cohort)
        await session.flush()
        await session.execute(
            insert(Person), [{"id": i + 1, "created_at": START} for i in range(n)]
        )
        await session.execute(
            insert(Contact),
            [
                {
                    "person_id": i + 1,
                    "channel": TELEGRAM,
                    "external_id": str(10_000 + i),
                    "last_inbound_at": START,
                    "created_at": START,
                }
                for i in range(n)
            ],
        )
        await session.execute(
            insert(Participant),
            [
                {
                    "cohort_id": cohort.id,
                    "person_id": i + 1,
                    "first_name": f"P{i}",
                    "timezone": tz,
                    "joined_at": START,
                }
                for i, (tz, _) in enumerate(plan)
            ],
        )
        ids = list(await session.scalars(select(Participant.id).order_by(Participant.id)))
        await session.execute(
            insert(Reminder),
            [
                {
                    "participant_id": pid,
                    "kind": rules.DAILY,
                    "local_time": t,
                    "next_due_at": rules.next_occurrence(t, tz, START, False),
                }
                for pid, (tz, t) in zip(ids, plan, strict=True)
            ],
        )
    setup_s = time.perf_counter() - started
    finds: list[float] = []
    ticks: list[float] = []
    handled = 0
    catch_up = timedelta(minutes=60)
    for minute in range(60):
        now = START + timedelta(minutes=minute + 60)  # 06:00 WIT .. 06:59 WIT, 05:.. WITA
        async with db() as session:
            t0 = time.perf_counter()
            found = (
                await session.execute(
                    select(Reminder.id).where(Reminder.next_due_at <= now)
                    .order_by(Reminder.next_due_at).limit(2000)
                )
            ).all()  # fmt: skip
            finds.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        async with db() as session:
            due = await rem.find_due(session, now, catch_up)
        async with db.begin() as session:
            for item in due:
                assert await rem.take(session, item)
                await rem.claim(
                    session, item.participant.id, item.reminder.kind, item.local_date,
                    item.reminder.local_time, "sent",
                )  # fmt: skip
        ticks.append((time.perf_counter() - t0) * 1000)
        assert len(due) == len(found)
        handled += len(due)
    await engine.dispose()
    return {
        "setup_s": setup_s,
        "find_ms_median": statistics.median(finds),
        "find_ms_max": max(finds),
        "tick_ms_median": statistics.median(ticks),
        "tick_ms_p95": sorted(ticks)[int(len(ticks) * 0.95) - 1],
        "due_per_minute": handled / len(ticks),
        "rss_mb": rss_mb(),
    }


APSCHEDULER_CHILD = r"""
import asyncio, random, resource, sys, time
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

n = int(sys.argv[1])
zones = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
rng = random.Random(2021)
plan = [(zones[i % 3], rng.randint(6, 8), rng.randint(0, 59)) for i in range(n)]

async def remind(participant: int) -> None:
    pass

async def main() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scheduler = AsyncIOScheduler(job_defaults={"misfire_grace_time": 60})
    scheduler.start()
    t0 = time.perf_counter()
    for i, (tz, hour, minute) in enumerate(plan):
        scheduler.add_job(remind, CronTrigger(hour=hour, minute=minute, timezone=tz), args=[i],
                          id=f"r{i}")
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    jobs = len(scheduler.get_jobs())
    print(f"{elapsed:.3f} {after / 1024:.1f} {(after - before) / 1024:.1f} {jobs}")
    scheduler.shutdown(wait=False)

asyncio.run(main())
"""


def apscheduler_part(n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", APSCHEDULER_CHILD, str(n)],
        capture_output=True, text=True, check=True, timeout=1800,
    ).stdout.split()  # fmt: skip
    seconds, rss, grown, jobs = float(out[0]), float(out[1]), float(out[2]), int(out[3])
    assert jobs == n
    return {"schedule_s": seconds, "rss_mb": rss, "rss_growth_mb": grown}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print("network: none (database only: no Bot API, no bot process)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        ours = asyncio.run(database_part(n, Path(tmp)))
    theirs = apscheduler_part(n)
    print(f"{n:,} participants, one daily reminder each (06:00-08:59 local, WIB/WITA/WIT)")
    print("Aksi: reminders as rows, one tick a minute (SQLite, WAL)")
    print(f"  write {n:,} participants + reminders: {ours['setup_s']:.1f} s")
    print(f"  find one minute's due rows: median {ours['find_ms_median']:.2f} ms, "
          f"max {ours['find_ms_max']:.2f} ms (indexed next_due_at)")  # fmt: skip
    print(
        f"  whole tick in the database (find, move on, claim; ~{ours['due_per_minute']:.0f} due a"
        f" minute): median {ours['tick_ms_median']:.1f} ms, p95 {ours['tick_ms_p95']:.1f} ms"
    )
    print(f"  peak resident memory: {ours['rss_mb']:.0f} MB")
    print("APScheduler 3: one cron job per participant (AsyncIOScheduler, memory job store)")
    print(f"  schedule {n:,} jobs: {theirs['schedule_s']:.1f} s; resident memory "
          f"{theirs['rss_mb']:.0f} MB ({theirs['rss_growth_mb']:.0f} MB for the jobs)")  # fmt: skip
    print(f"  ratio apscheduler/aksi: schedule time {theirs['schedule_s'] / ours['setup_s']:.1f}x, "
          f"memory {theirs['rss_mb'] / ours['rss_mb']:.2f}x")  # fmt: skip
    print(
        f"find_ms_median={ours['find_ms_median']:.2f} tick_ms_median={ours['tick_ms_median']:.1f} "
        f"tick_ms_p95={ours['tick_ms_p95']:.1f} rss_mb={ours['rss_mb']:.0f} "
        f"setup_s={ours['setup_s']:.1f} apscheduler_schedule_s={theirs['schedule_s']:.1f} "
        f"apscheduler_rss_mb={theirs['rss_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
