"""What the benchmarks share: a fresh database with the bench cohort, the environment of an
`aksi run` process against the Bot API stand-in, starting and stopping that process, waiting
for a condition, and percentiles."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession

from bot.standin import BotApiStandIn
from core.channel import TELEGRAM, Address
from core.cohorts import create_cohort
from core.contacts import person_for
from storage.db import create_engine, sessionmaker, upgrade
from storage.models import Cohort


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux's /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def telegram_person(session: AsyncSession, user_id: int) -> int:
    """The person (with a Telegram contact) of a bench user id."""
    contact = await person_for(session, Address(TELEGRAM, str(user_id)), datetime.now(UTC))
    return contact.person_id


@asynccontextmanager
async def bench_cohort(
    path: Path, *, name: str, timezone: str, starts: date, ends: date, url: str | None = None
) -> AsyncIterator[tuple[AsyncSession, Cohort]]:
    """Migrate a fresh SQLite file at `path` (or the empty database at `url`) and create the
    cohort BENCH in it; the write transaction (committed at the end) and the cohort, to fill
    it."""
    engine = create_engine(url or f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
        async with sessionmaker(engine).begin() as session:
            cohort = await create_cohort(
                session, code="BENCH", name=name, timezone=timezone, starts=starts, ends=ends
            )
            yield session, cohort
    finally:
        await engine.dispose()


def _foreign(name: str) -> bool:
    """A variable a bench's bot process must not inherit: a setting of Aksi's (Telegram's and
    WhatsApp's included), or a proxy."""
    name = name.upper()
    return (
        name.startswith(("TELEGRAM_", "AKSI_", "WHATSAPP_"))
        or name == "DATABASE_URL"
        or name.endswith("_PROXY")  # HTTPS_PROXY and friends, as urllib's getproxies reads them
    )


def aksi_environment(standin: BotApiStandIn, db: Path, **settings: str) -> dict[str, str]:
    """The environment for a bot process talking to `standin` with the SQLite file `db`: none
    of the caller's TELEGRAM_* / AKSI_* / DATABASE_URL variables in any case (Aksi's settings
    ignore case, so a `telegram_bot_token` would count too) and no proxy (the stand-in is on
    loopback), logging at WARNING, then `settings`. Nothing the caller has set can point the
    bot at the real Telegram."""
    env = {k: v for k, v in os.environ.items() if not _foreign(k)}
    env.update(
        TELEGRAM_BOT_TOKEN=standin.token,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{db}",
        AKSI_LOG_LEVEL="WARNING",
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),  # this checkout's Aksi
    )
    env.update(settings)
    return env


LOOPWATCH = str(Path(__file__).resolve().parent / "loopwatch.py")
NOT_SEEN = {"n": 0, "p50_ms": 0.0, "p95_ms": 0.0, "max_ms": 0.0}


def loop_held(path: Path, shown: int = 6) -> dict[str, dict[str, float]]:
    """Print how long the bot's event loop was held at a time (`bench/loopwatch.py` wrote
    `path` at the bot's exit): the longest holders by source. Returns every source's figures
    (n, p50_ms, p95_ms, max_ms)."""
    found = json.loads(path.read_text())
    sources: dict[str, dict[str, float]] = found["sources"]
    print(
        f"event loop: {found['callbacks']} callbacks, longest {found['longest_ms']} ms; "
        f"held over {found['threshold_ms']} ms at a time, by source (n, p50, p95, max ms):"
    )
    for name, f in sorted(sources.items(), key=lambda item: -item[1]["max_ms"])[:shown]:
        print(f"  {name}: {f['n']:.0f}, {f['p50_ms']}, {f['p95_ms']}, {f['max_ms']}")
    return sources


async def start_aksi(
    standin: BotApiStandIn,
    db: Path,
    log: IO[bytes],
    *,
    loop_watch: Path | None = None,
    command: str = "run",
    **settings: str,
) -> asyncio.subprocess.Process:
    """`aksi run` (or `command`: "serve") on `db` against `standin` (`settings` as in
    `aksi_environment`), once it polls for updates (or has set its webhook). With
    `loop_watch`, its event loop's callbacks are timed and the figures written there at exit
    (`bench/loopwatch.py`)."""
    calls = standin.get_updates_calls
    watch = [] if loop_watch is None else [LOOPWATCH, str(loop_watch)]
    if os.environ.get("BENCH_PROFILE"):  # a cProfile of the bot written there at its exit
        watch = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]]
    process = await asyncio.create_subprocess_exec(
        sys.executable, *watch, "-m", "bot", command,
        cwd=db.parent, env=aksi_environment(standin, db, **settings), stdout=log, stderr=log,
    )  # fmt: skip

    def started() -> bool:
        return (
            standin.webhook is not None
            if command == "serve"
            else standin.get_updates_calls != calls
        )

    deadline = time.monotonic() + 60
    while not started():
        if process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError("aksi run did not start; see the log")
        await asyncio.sleep(0.05)
    return process


async def wait_for(predicate: Callable[[], object], what: str, timeout: float) -> None:
    """Poll `predicate` every 10 ms until it is true; RuntimeError naming `what` after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def chatter(
    standin: BotApiStandIn,
    waiting: dict[int, asyncio.Future[float]],
    uid: int,
    done: asyncio.Event,
    latencies: list[float],
    every: tuple[float, float],
    now: Callable[[], float] = time.monotonic,
) -> None:
    """One participant typing /jadwal every `every` seconds until `done`; the time from each
    message to the bot's answer (ms) goes to `latencies`. The caller's watch of the outbox
    resolves `waiting[uid]` with the answer's time (on the clock `now`)."""
    rng = random.Random(uid)
    await asyncio.sleep(rng.uniform(0, every[1]))
    while not done.is_set():
        answered: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        waiting[uid] = answered
        sent = now()
        standin.push_message(uid, "/jadwal", first_name=f"P{uid}")
        with contextlib.suppress(TimeoutError):
            latencies.append((await asyncio.wait_for(answered, 30) - sent) * 1000)
        await asyncio.sleep(rng.uniform(*every))


async def stop_process(process: asyncio.subprocess.Process, timeout: float = 20.0) -> None:
    """SIGTERM (the bot finishes what it has in hand), then SIGKILL after `timeout` seconds."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


def network_options(
    parser: argparse.ArgumentParser, rtt_ms: float = 0.0, jitter_ms: float = 0.0, rtt_help: str = ""
) -> None:
    """`--rtt-ms` and `--jitter-ms`: how far away the stand-in is (0: loopback)."""
    parser.add_argument(
        "--rtt-ms", type=float, default=rtt_ms, help=rtt_help or "round trip (0: loopback)"
    )
    parser.add_argument("--jitter-ms", type=float, default=jitter_ms, help="± on the round trip")


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
