"""Check-in throughput: 1,000 participants each pressing "done", through the whole stack.

Runs the real `aksi run` process against the Bot API stand-in on loopback (stand-in -> PTB ->
SQLite -> answerCallbackQuery + editMessageText) and, as the yardstick, `bench/echo_bot.py`: a
bare PTB bot built with the same ApplicationBuilder options that answers the same press the same
way on the wire, without a database. Telegram's overall 30 msg/s cap
(AKSI_MAX_MESSAGES_PER_SECOND) is switched off for both, so the figures are the stack's own.

Set-up (not timed): a fresh SQLite file with a cohort (BENCH, Asia/Makassar) and 1,000
participants who finished onboarding, each with an action plan of one yes/no daily habit.
Warm-up (not timed; its rate is shown too): every participant sends /lapor and gets the
check-in sheet. Aksi's reminder job is switched off (AKSI_REMINDER_TICK_SECONDS=0). Timed: all
1,000 presses of `ci:y:<habit_id>.<local today>` are queued at once; the clock stops at the
1,000th editMessageText. Afterwards the database must hold exactly one "done" check-in per
participant and every sheet must show the habit as done. Each bot is measured three times,
alternating; the medians are reported, ending with one key=value line. Exits 1 if a press was
lost or counted twice.
Usage: .venv/bin/python bench/checkin.py [PARTICIPANTS [RUNS]] [--rtt-ms 150 --jitter-ms 50]
(defaults: 1000 participants, 3 runs, loopback)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    aksi_environment,
    bench_cohort,
    network_options,
    percentile,
    stop_process,
    telegram_person,
)
from bot.chats import RUNNING  # noqa: E402
from bot.standin import BotApiStandIn, Outgoing  # noqa: E402
from core.habits import Kind, Schedule  # noqa: E402
from storage.models import ActionPlan, Habit, Participant  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Check-in throughput against a bare PTB bot")
    parser.add_argument("participants", type=int, nargs="?", default=1000)
    parser.add_argument("runs", type=int, nargs="?", default=3)
    network_options(
        parser,
        rtt_help="a round trip to the stand-in (0: loopback); with one, the production pacer is "
        "on and the echo bot handles as many updates at once as Aksi",
    )
    return parser.parse_args()


# The figures of record use the defaults.
ARGS = arguments()
PARTICIPANTS = ARGS.participants
RUNS = ARGS.runs
NETWORK = ARGS.rtt_ms > 0
# On loopback Telegram's cap is off, so the stack is measured; on a network it is on, as in
# production (Aksi leaves room for the jitter; the echo bot's AIORateLimiter knows none).
CAP = "30" if NETWORK else "0"
FIRST_USER = 10_000
ZONE = "Asia/Makassar"
HABIT_NAME = "Membaca 10 menit"
DONE_LINE = f"1. {HABIT_NAME} — ✅ selesai"  # the habit's line; the legend also says "✅ selesai"
ECHO_BOT = ROOT / "bench" / "echo_bot.py"
WAIT_SECONDS = 300.0  # at most, for one phase
QUIET_SECONDS = 15.0  # a phase with nothing new for this long is over

USERS = range(FIRST_USER, FIRST_USER + PARTICIPANTS)


def local_today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


# --------------------------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------------------------


async def build_database(path: Path, today: date) -> dict[int, int]:
    """Migrate a fresh SQLite file and fill it; returns telegram user id -> habit id."""
    async with bench_cohort(
        path,
        name="Bench",
        timezone=ZONE,
        starts=today - timedelta(days=14),
        ends=today + timedelta(days=30),
    ) as (session, cohort):
        participants = [
            Participant(
                cohort=cohort,
                person_id=await telegram_person(session, uid),
                first_name=f"P{uid}",
                full_name=f"Peserta {uid}",
                unit="Unit Bench",
                awaiting=None,  # onboarding finished
            )
            for uid in USERS
        ]
        session.add_all(participants)
        await session.flush()
        habits: dict[int, Habit] = {}
        for uid, participant in zip(USERS, participants, strict=True):
            habit = Habit(
                position=0,
                name=HABIT_NAME,
                kind=Kind.YESNO.value,
                schedule=Schedule.daily().encode(),
                created_on=today,
            )
            session.add(
                ActionPlan(
                    participant_id=participant.id,
                    title="Budaya membaca di unit",
                    habits=[habit],
                )
            )
            habits[uid] = habit
        await session.flush()
        return {uid: habit.id for uid, habit in habits.items()}


def copy_database(template: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{target}{suffix}")


def read_check_ins(path: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT habit_id, day, status FROM check_ins").fetchall()
    connection.close()
    return [(int(h), str(d), str(s)) for h, d, s in rows]


def open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def carries_sheet(record: Outgoing) -> bool:
    """Whether the record carries a check-in sheet's keyboard (a "done" button, or the "change"
    button a logged habit has instead)."""
    rows = (record.reply_markup or {}).get("inline_keyboard", [])
    marks = ("ci:y:", "ci:e:")
    return any(str(b.get("callback_data", "")).startswith(marks) for row in rows for b in row)


class Collector:
    """An outbox listener that keeps one method's sheet records and wakes a waiter at `count`.

    Anything else (e.g. a reminder) is only counted in `others`; a sendMessage that carries a
    sheet while edits are expected (the bot re-sending instead of editing) in `resent`."""

    def __init__(self, method: str, count: int) -> None:
        self.method = method
        self.count = count
        self.records: list[Outgoing] = []
        self.others: Counter[str] = Counter()
        self.resent = 0
        self.enough = asyncio.Event()

    def __call__(self, record: Outgoing) -> None:
        if record.method != self.method or not carries_sheet(record):
            self.others[record.method] += 1
            if record.method == "sendMessage" and carries_sheet(record):
                self.resent += 1
            return
        self.records.append(record)
        if len(self.records) >= self.count:
            self.enough.set()

    async def wait(self, process: asyncio.subprocess.Process) -> bool:
        """Wait for `count` records: True when they came, False when none came for
        QUIET_SECONDS (or WAIT_SECONDS passed). Raises RuntimeError if the bot exits."""
        deadline = time.monotonic() + WAIT_SECONDS
        seen = -1
        while not self.enough.is_set():
            if process.returncode is not None:
                raise RuntimeError(
                    f"the bot exited ({process.returncode}) after {len(self.records)} of "
                    f"{self.count} {self.method}"
                )
            if len(self.records) == seen or time.monotonic() > deadline:
                return False
            seen = len(self.records)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(QUIET_SECONDS):
                    await self.enough.wait()
        return True


@dataclass
class Run:
    bot: str
    index: int
    warm_up: float
    elapsed: float
    gaps_ms: list[float]
    lost: int
    duplicated: int
    notes: list[str] = field(default_factory=list)

    @property
    def ups(self) -> float:
        return PARTICIPANTS / self.elapsed

    @property
    def lapor_ups(self) -> float:
        return PARTICIPANTS / self.warm_up


def stand_in(seed: int = 0) -> BotApiStandIn:
    """The stand-in of a run (not started): on loopback, or ARGS.rtt_ms ± ARGS.jitter_ms away."""
    standin = BotApiStandIn()
    standin.network(ARGS.rtt_ms, ARGS.jitter_ms, seed=seed)
    return standin


async def one_run(
    bot: str,
    index: int,
    workdir: Path,
    template: Path,
    habit_ids: dict[int, int],
    today: date,
) -> Run:
    db = workdir / f"{bot}-{index}.db"
    if bot == "aksi":
        await asyncio.to_thread(copy_database, template, db)
        command = [sys.executable, "-m", "bot", "run"]
    else:
        command = [sys.executable, str(ECHO_BOT)]
        habit_ids = {uid: uid for uid in USERS}  # the echo bot uses the chat id as habit id
    log_path = workdir / f"{bot}-{index}.log"
    log = await asyncio.to_thread(open_log, log_path)
    async with stand_in(seed=index) as standin:
        env = aksi_environment(
            standin,
            db,
            AKSI_MAX_MESSAGES_PER_SECOND=CAP,
            AKSI_NETWORK_JITTER_MS=str(ARGS.jitter_ms),
            AKSI_REMINDER_TICK_SECONDS="0",  # no reminder job firing into the measurement
            ECHO_CONCURRENCY=str(RUNNING) if NETWORK else "0",
        )
        process = await asyncio.create_subprocess_exec(
            *command, cwd=workdir, env=env, stdout=log, stderr=log
        )
        try:
            await standin.wait_first_get_updates(timeout=60)

            # Warm-up: every participant asks for the sheet.
            sheets = Collector("sendMessage", PARTICIPANTS)
            standin.add_listener(sheets)
            for uid in USERS:
                standin.push_message(uid, "/lapor", first_name=f"P{uid}")
            pushed = time.monotonic()
            if not await sheets.wait(process):
                raise RuntimeError(
                    f"{bot} warm-up: {len(sheets.records)} of {PARTICIPANTS} sheets "
                    f"(other records: {dict(sheets.others)})"
                )
            warm_up = sheets.records[PARTICIPANTS - 1].at - pushed
            standin.remove_listener(sheets)
            sheet_of = {r.chat_id: r.message_id for r in sheets.records}
            if sorted(sheet_of) != list(USERS):
                raise RuntimeError(f"{bot} warm-up: not one sheet per participant")
            await asyncio.sleep(0.2)  # let the bot go back to its long poll

            # Timed: all presses queued at once; stop at the last edit.
            edits = Collector("editMessageText", PARTICIPANTS)
            standin.add_listener(edits)
            stamp = f"{today:%Y%m%d}"
            for uid in USERS:
                message_id = sheet_of[uid]
                assert message_id is not None
                standin.push_callback(uid, message_id, f"ci:y:{habit_ids[uid]}.{stamp}")
            started = time.monotonic()
            await edits.wait(process)  # fewer than all: counted as lost below
            last = edits.records[:PARTICIPANTS][-1].at if edits.records else time.monotonic()
            elapsed = last - started
            await asyncio.sleep(0.5)  # a late duplicate would arrive now
            standin.remove_listener(edits)
        except Exception:
            await stop_process(process)
            await asyncio.to_thread(log.close)
            tail = (await asyncio.to_thread(log_path.read_text, errors="replace"))[-3000:]
            print(f"{bot} run {index + 1} failed; its log ends with:\n{tail}", file=sys.stderr)
            raise
        await stop_process(process)
        await asyncio.to_thread(log.close)

        times = [r.at for r in edits.records[:PARTICIPANTS]]
        gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
        lost, duplicated, notes = await verify(bot, standin, edits, sheet_of, habit_ids, today, db)
    if lost or duplicated:
        tail = (await asyncio.to_thread(log_path.read_text, errors="replace"))[-2000:]
        notes.append(f"{bot} log tail:\n{tail}" if tail.strip() else f"{bot} log: empty")
    return Run(bot, index, warm_up, elapsed, gaps, lost, duplicated, notes)


async def verify(
    bot: str,
    standin: BotApiStandIn,
    edits: Collector,
    sheet_of: dict[int, int | None],
    habit_ids: dict[int, int],
    today: date,
    db: Path,
) -> tuple[int, int, list[str]]:
    """(participants whose press went missing, presses that counted more than once, notes)."""
    notes: list[str] = []
    edits_per_chat = Counter(r.chat_id for r in edits.records)
    answers = Counter(
        r.chat_id
        for r in standin.outbox
        if r.method == "answerCallbackQuery" and r.text == "Tersimpan ✅"
    )
    missing: set[int] = set()
    extra = 0
    for uid in USERS:
        final = standin.message(uid, sheet_of[uid] or 0)
        if final is None or DONE_LINE not in (final.text or ""):
            missing.add(uid)
        if edits_per_chat[uid] == 0 or answers[uid] == 0:
            missing.add(uid)
        extra += max(0, edits_per_chat[uid] - 1) + max(0, answers[uid] - 1)
    if edits.resent:
        notes.append(f"{bot}: {edits.resent} sheets sent anew instead of edited")
        extra += edits.resent
    unexpected = {k: v for k, v in edits.others.items() if k != "answerCallbackQuery"}
    if unexpected:
        notes.append(f"{bot}: other records during the timed phase: {unexpected}")
    if bot == "aksi":
        rows = await asyncio.to_thread(read_check_ins, db)
        per_habit = Counter(h for h, _, _ in rows)
        done = {h for h, d, s in rows if s == "done" and d == today.isoformat()}
        for uid in USERS:
            if habit_ids[uid] not in done:
                missing.add(uid)
        extra += sum(n - 1 for n in per_habit.values() if n > 1)
        extra += len(set(per_habit) - set(habit_ids.values()))
        notes.append(f"aksi database: {len(rows)} check-ins, {len(done)} done for {today}")
    return len(missing), extra, notes


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def table(runs: list[Run]) -> list[str]:
    lines = [
        f"{'run':>3}  {'bot':<4}  {'check-ins/s':>11}  {'elapsed s':>9}  {'gap p50 ms':>10}  "
        f"{'gap p95 ms':>10}  {'lost':>4}  {'dup':>3}  {'/lapor/s (warm-up)':>18}"
    ]
    for run in runs:
        lines.append(
            f"{run.index + 1:>3}  {run.bot:<4}  {run.ups:>11.0f}  {run.elapsed:>9.2f}  "
            f"{percentile(run.gaps_ms, 50):>10.2f}  {percentile(run.gaps_ms, 95):>10.2f}  "
            f"{run.lost:>4}  {run.duplicated:>3}  {run.lapor_ups:>18.0f}"
        )
    return lines


async def main() -> int:
    began = time.monotonic()
    today = local_today()
    runs: list[Run] = []
    print(
        f"Check-in benchmark: {PARTICIPANTS} participants each press 'done' once "
        f"(local day {today} in {ZONE}); Aksi against a bare PTB echo bot, {RUNS} runs each."
    )
    print(f"network: {stand_in().network_settings}", flush=True)
    if NETWORK:
        print(
            f"The production pacer on (30 messages/s) and both bots handle {RUNNING} updates "
            "at once."
        )
    print(
        "On loopback Telegram's overall cap of 30 messages a second is switched off for BOTH "
        "bots\n"
        "(AKSI_MAX_MESSAGES_PER_SECOND=0), so this measures the stack (Bot API stand-in on "
        "loopback -> PTB ->\nhandler [-> SQLite] -> answerCallbackQuery + editMessageText), "
        "not the cap. Aksi's reminder job is off\n(AKSI_REMINDER_TICK_SECONDS=0) so that no "
        "tick lands in the measurement."
    )
    with tempfile.TemporaryDirectory(prefix="aksi-bench-") as tmp:
        workdir = Path(tmp)
        template = workdir / "template.db"
        habit_ids = await build_database(template, today)
        print(
            f"set-up: {PARTICIPANTS} participants, plans and habits written in "
            f"{time.monotonic() - began:.1f}s (not timed)"
        )
        for index in range(RUNS):
            for bot in ("aksi", "echo"):
                run = await one_run(bot, index, workdir, template, habit_ids, today)
                runs.append(run)
                print(
                    f"  run {index + 1} {bot}: {run.ups:.0f} check-ins/s "
                    f"({run.elapsed:.2f}s for {PARTICIPANTS})",
                    flush=True,
                )
    print()
    for line in table(runs):
        print(line)
    print("gap = time between consecutive edits in the timed phase: the per-update service time")
    for run in runs:
        for note in run.notes:
            if run.index == 0 or run.lost or run.duplicated:
                print(note)
    aksi = statistics.median(r.ups for r in runs if r.bot == "aksi")
    echo = statistics.median(r.ups for r in runs if r.bot == "echo")
    gaps = {bot: [g for r in runs if r.bot == bot for g in r.gaps_ms] for bot in ("aksi", "echo")}
    lost = sum(r.lost for r in runs)
    duplicated = sum(r.duplicated for r in runs)
    ratio = aksi / echo
    print()
    print(f"median of {RUNS} runs (gaps over all runs):")
    for bot, ups in (("aksi", aksi), ("echo", echo)):
        print(
            f"  {bot}: {ups:5.0f} check-ins/s, gap p50 {percentile(gaps[bot], 50):6.2f} ms, "
            f"p95 {percentile(gaps[bot], 95):6.2f} ms"
        )
    verdict = "meets" if ratio >= 0.5 else "MISSES"
    print(f"  ratio aksi/echo = {ratio:.2f} ({verdict} the target of 0.5)")
    print(
        f"  lost={lost} duplicated={duplicated} over all runs; "
        f"total time {time.monotonic() - began:.0f}s"
    )
    print(
        f"ratio={ratio:.2f} aksi_ups={aksi:.0f} echo_ups={echo:.0f} rtt_ms={ARGS.rtt_ms:.0f} "
        f"lost={lost} duplicated={duplicated}"
    )
    return 0 if lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
