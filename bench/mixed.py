"""Light commands while heavy ones run: does a slow answer for one person delay the others?

Runs the real `aksi run` process against the Bot API stand-in on loopback (no delay added;
Telegram's 30 msg/s pacing switched off, AKSI_MAX_MESSAGES_PER_SECOND=0, so the figures are
the stack's own). Set-up (not timed): a fresh SQLite file with a cohort (BENCH, WITA) of
PARTICIPANTS participants, each with an action plan of three daily habits and 60 days of
check-ins, 20 sessions, and two facilitators.

After a warm-up of WARM_UP_SECONDS of light load (not counted):
Phase 1, idle (IDLE_SECONDS): LIGHT participants each do a light thing every 0.5-1.5 s, in
turn /jadwal and a check-in press on their sheet (logging, then
undoing, a habit), waiting for the answer before
the next; the time from the message to the bot's answer (the schedule's sendMessage, the
sheet's editMessageText) is measured.
Phase 2, mixed (MIXED_SECONDS): the same light load, while HEAVY participants keep asking for
/progres (a summary and a heatmap picture) and the facilitators for /rekap (a table and a
bar chart), each asking again as soon as the picture has arrived.

Prints p50/p95 of the light answers in both phases and how many heavy answers (pictures) a
second were completed; ends with one key=value line:
`light_p95_ms=… light_p95_idle_ms=… heavy_per_s=…`.
Usage: .venv/bin/python bench/mixed.py   (BENCH_IDLE_S / BENCH_MIXED_S change the phases)
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    bench_cohort,
    loop_held,
    percentile,
    start_aksi,
    stop_process,
    telegram_person,
)
from bot.standin import BotApiStandIn, Outgoing  # noqa: E402
from core.habits import Kind, Schedule, Status  # noqa: E402
from storage.models import ActionPlan, CheckIn, Habit, Participant, Session, Staff  # noqa: E402

PARTICIPANTS = 50
HEAVY = 10  # of the participants, those who keep asking for /progres
LIGHT = PARTICIPANTS - HEAVY
FACILITATORS = (900_001, 900_002)
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_S", "20"))
MIXED_SECONDS = float(os.environ.get("BENCH_MIXED_S", "30"))
WARM_UP_SECONDS = 5.0
FIRST_USER = 200_000
ZONE = "Asia/Makassar"
USERS = list(range(FIRST_USER, FIRST_USER + PARTICIPANTS))
HEAVY_USERS, LIGHT_USERS = USERS[:HEAVY], USERS[HEAVY:]
TURNS: dict[int, int] = {}  # each light participant's next turn
HABITS = ("Apel pagi tepat waktu", "Membaca regulasi", "Menyapa warga di loket")


def local_today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


async def build_database(path: Path, today: date) -> dict[int, int]:
    """A cohort with its people, plans, history and schedule; returns user id -> a habit id."""
    rng = random.Random(1)
    async with bench_cohort(
        path,
        name="Angkatan Benchmark",
        timezone=ZONE,
        starts=today - timedelta(days=60),
        ends=today + timedelta(days=30),
    ) as (session, cohort):
        for i in range(20):
            starts = datetime.combine(today + timedelta(days=i - 5), datetime.min.time())
            at = starts.replace(hour=1, tzinfo=ZoneInfo("UTC"))
            session.add(
                Session(
                    cohort_id=cohort.id,
                    starts_at=at,
                    ends_at=at + timedelta(hours=2),
                    title=f"Sesi {i + 1}: Revolusi Mental dan pelayanan publik",
                    speaker="Dr. Widyaiswara",
                    link=f"https://zoom.example/j/{i}",
                )
            )
        for f in FACILITATORS:
            session.add(Staff(cohort_id=cohort.id, person_id=await telegram_person(session, f)))
        first_habit: dict[int, int] = {}
        for uid in USERS:
            participant = Participant(
                cohort=cohort,
                person_id=await telegram_person(session, uid),
                first_name=f"P{uid}",
                full_name=f"Peserta {uid}",
                unit="OPD Uji",
            )
            session.add(participant)
            await session.flush()
            habits = [
                Habit(
                    position=i,
                    name=name,
                    kind=Kind.YESNO.value,
                    schedule=Schedule.daily().encode(),
                    created_on=today - timedelta(days=60),
                )
                for i, name in enumerate(HABITS)
            ]
            session.add(
                ActionPlan(participant_id=participant.id, title="Pelayanan prima", habits=habits)
            )
            await session.flush()
            first_habit[uid] = habits[0].id
            for habit in habits:
                for back in range(1, 61):
                    if rng.random() < 0.7:
                        session.add(
                            CheckIn(
                                habit_id=habit.id,
                                participant_id=participant.id,
                                day=today - timedelta(days=back),
                                status=Status.DONE.value,
                            )
                        )
        return first_habit


@dataclass
class Answers:
    """Resolves each chat's pending wait when the bot sends the awaited method there."""

    waiting: dict[int, tuple[frozenset[str], asyncio.Future[Outgoing]]] = field(
        default_factory=dict
    )

    def __call__(self, record: Outgoing) -> None:
        if record.chat_id is None or record.chat_id not in self.waiting:
            return
        methods, future = self.waiting[record.chat_id]
        if record.method in methods and not future.done():
            del self.waiting[record.chat_id]
            future.set_result(record)

    def expect(self, chat: int, *methods: str) -> asyncio.Future[Outgoing]:
        future: asyncio.Future[Outgoing] = asyncio.get_running_loop().create_future()
        self.waiting[chat] = (frozenset(methods), future)
        return future


async def light(
    standin: BotApiStandIn,
    answers: Answers,
    uid: int,
    habit: int,
    today: date,
    stop: asyncio.Event,
    latencies: list[float],
) -> None:
    """One participant: /jadwal, then a check-in press on their sheet, and again."""
    rng = random.Random(uid)
    sheet = answers.expect(uid, "sendMessage")
    standin.push_message(uid, "/lapor", first_name=f"P{uid}")
    message = await asyncio.wait_for(sheet, 60)
    assert message.message_id is not None
    # log the habit, then undo it: each press changes the sheet, so each is answered by an edit
    presses = [f"ci:{verb}:{habit}.{today:%Y%m%d}" for verb in ("y", "u")]
    await asyncio.sleep(rng.uniform(0, 1.5))
    turn = TURNS.get(uid, 0)  # go on where the last phase stopped (log, then undo)
    while not stop.is_set():
        if turn % 2 == 0:
            answered = answers.expect(uid, "sendMessage")
            sent = time.monotonic()
            standin.push_message(uid, "/jadwal", first_name=f"P{uid}")
        else:
            answered = answers.expect(uid, "editMessageText")
            sent = time.monotonic()
            data = presses[turn // 2 % 2]
            standin.push_callback(uid, message.message_id, data, first_name=f"P{uid}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(answered, 60)
            latencies.append((time.monotonic() - sent) * 1000)
        turn += 1
        TURNS[uid] = turn
        await asyncio.sleep(rng.uniform(0.5, 1.5))


async def heavy(
    standin: BotApiStandIn,
    answers: Answers,
    uid: int,
    command: str,
    stop: asyncio.Event,
    waits: list[float],
) -> int:
    """Someone asking for a picture (/progres, /rekap) again as soon as it has come."""
    done = 0
    while not stop.is_set():
        picture = answers.expect(uid, "sendPhoto")
        sent = time.monotonic()
        standin.push_message(uid, command, first_name=f"P{uid}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(picture, 120)
            waits.append((time.monotonic() - sent) * 1000)
            done += 1
    return done


async def phase(
    standin: BotApiStandIn,
    answers: Answers,
    habits: dict[int, int],
    today: date,
    seconds: float,
    with_heavy: bool,
) -> tuple[list[float], int, float]:
    # What this process made so far (the data set-up, the stand-in's records of the last
    # phase) out of the collector's reach: a full collection of it here held the measuring
    # loop for up to 120 ms, counted as the bot's.
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    latencies: list[float] = []
    waits: list[float] = []
    lights = [
        asyncio.create_task(light(standin, answers, u, habits[u], today, stop, latencies))
        for u in LIGHT_USERS
    ]
    heavies = []
    if with_heavy:
        heavies = [
            asyncio.create_task(heavy(standin, answers, u, "/progres", stop, waits))
            for u in HEAVY_USERS
        ]
        heavies += [
            asyncio.create_task(heavy(standin, answers, f, "/rekap", stop, waits))
            for f in FACILITATORS
        ]
    started = time.monotonic()
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*lights)
    done = sum(await asyncio.gather(*heavies))
    if waits:
        print(
            f"  pictures: {len(waits)}, p50 {percentile(waits, 50):.0f} ms, "
            f"p95 {percentile(waits, 95):.0f} ms, max {max(waits):.0f} ms from asking"
        )
    return latencies, done, time.monotonic() - started


async def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="aksi-bench-mixed-"))
    db = workdir / "aksi.db"
    today = local_today()
    habits = await build_database(db, today)
    log = (workdir / "aksi.log").open("wb")
    print(
        f"participants={PARTICIPANTS} (light {LIGHT}, heavy {HEAVY}) facilitators="
        f"{len(FACILITATORS)}; stand-in on loopback, no delay; pacing off"
    )
    async with BotApiStandIn() as standin:
        print(f"network: {standin.network_settings}", flush=True)
        answers = Answers()
        standin.add_listener(answers)
        process = await start_aksi(
            standin, db, log, loop_watch=workdir / "loop.json",
            AKSI_MAX_MESSAGES_PER_SECOND="0", AKSI_REMINDER_TICK_SECONDS="0",
        )  # fmt: skip
        try:
            # Warm-up, not counted: the first answers load what the bot loads lazily (catalogs,
            # the database's pages), which would otherwise count as the idle phase's tail.
            await phase(standin, answers, habits, today, WARM_UP_SECONDS, False)
            idle, _, _ = await phase(standin, answers, habits, today, IDLE_SECONDS, False)
            mixed, pictures, span = await phase(
                standin, answers, habits, today, MIXED_SECONDS, True
            )
        finally:
            await stop_process(process, timeout=30)
            log.close()
    for name, values in (("idle", idle), ("with heavy", mixed)):
        print(
            f"  light answers {name}: {len(values)}, p50 {percentile(values, 50):.0f} ms, "
            f"p95 {percentile(values, 95):.0f} ms, max {max(values, default=float('nan')):.0f} ms"
        )
    loop_held(workdir / "loop.json")  # over all phases: what kept the light answers waiting
    heavy_per_s = pictures / span
    print(f"  heavy answers (pictures) completed: {pictures} in {span:.1f} s")
    p95, p95_idle = percentile(mixed, 95), percentile(idle, 95)
    print(f"  ratio p95 with heavy / idle: {p95 / p95_idle:.2f}")
    print(f"light_p95_ms={p95:.0f} light_p95_idle_ms={p95_idle:.0f} heavy_per_s={heavy_per_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
