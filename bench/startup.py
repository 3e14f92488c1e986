"""Start-up benchmark: time from launching `aksi run` to its first getUpdates, and its memory.

Runs the real `aksi run` process against the Bot API stand-in on loopback with a fresh SQLite
file (migrations included), five times; then has 200 participants join and ask for /jadwal
and reads the process's resident memory. Prints the figures, ending with one key=value line.
Usage: .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import aksi_environment  # noqa: E402
from bot.standin import BotApiStandIn  # noqa: E402

RUNS = 5
PARTICIPANTS = 200


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one_run(workdir: Path, index: int, load: bool) -> tuple[float, float, float]:
    db = workdir / f"bench-{index}.db"
    async with BotApiStandIn() as standin:
        if index == 0:
            print(f"network: {standin.network_settings}", flush=True)
        env = aksi_environment(standin, db)
        if load:
            await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "bot", "cohort", "create", "--code", "BENCH", "--name",
                 "Bench", "--starts", "2026-01-01", "--ends", "2026-12-31"],
                env=env, cwd=workdir, check=True, capture_output=True,
            )  # fmt: skip
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=workdir, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            first = await standin.wait_first_get_updates(timeout=60)
            to_first_poll = first - started
            idle_rss = rss_mb(process.pid)
            loaded_rss = idle_rss
            if load:
                for uid in range(10_000, 10_000 + PARTICIPANTS):
                    standin.push_message(uid, "/start BENCH", first_name=f"P{uid}")
                    standin.push_message(uid, "/jadwal", first_name=f"P{uid}")
                # each /start sends a greeting and a question; /jadwal one answer
                await standin.wait_for_outgoing(None, PARTICIPANTS * 3, timeout=300)
                loaded_rss = rss_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    return to_first_poll, idle_rss, loaded_rss


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = [await one_run(Path(tmp), i, load=(i == RUNS - 1)) for i in range(RUNS)]
    polls = [r[0] * 1000 for r in results]
    idle = statistics.median(r[1] for r in results)
    loaded = results[-1][2]
    print(f"aksi run -> first getUpdates (fresh SQLite, migrations), {RUNS} runs:")
    print("  ms: " + ", ".join(f"{p:.0f}" for p in polls))
    print(f"resident memory after start-up (median): {idle:.1f} MB")
    print(
        f"resident memory after {PARTICIPANTS} participants joined and asked /jadwal: "
        f"{loaded:.1f} MB"
    )
    print(
        f"first_poll_ms_median={statistics.median(polls):.0f} first_poll_ms_max={max(polls):.0f} "
        f"rss_idle_mb={idle:.1f} rss_loaded_mb={loaded:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
