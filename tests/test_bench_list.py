"""`make bench` runs exactly the benchmarks, each says what network it used, and none can be
pointed at the real Telegram by the caller's environment. Nothing here runs a benchmark."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import aksi_environment
from bot.standin import BotApiStandIn

ROOT = Path(__file__).resolve().parent.parent
HELPERS = {"common", "echo_bot", "loopwatch"}  # modules the benchmarks use, not benchmarks


def listed_benches() -> list[str]:
    match = re.search(r"^BENCHES\s*:=\s*(.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile has no BENCHES list"
    return match.group(1).split()


def test_make_bench_lists_every_benchmark_and_no_helper() -> None:
    listed = listed_benches()
    assert len(listed) == len(set(listed)), listed
    assert not HELPERS & set(listed)
    for name in listed:
        assert (ROOT / "bench" / f"{name}.py").is_file(), f"bench/{name}.py is listed but missing"
    on_disk = {p.stem for p in (ROOT / "bench").glob("*.py")} - HELPERS - {"__init__"}
    assert set(listed) == on_disk


@pytest.mark.parametrize("name", listed_benches())
def test_each_benchmark_prints_its_network(name: str) -> None:
    source = (ROOT / "bench" / f"{name}.py").read_text()
    assert re.search(r'print\(\s*f?"network: ', source), f"bench/{name}.py prints no network line"


def test_bench_bot_environment_ignores_the_callers_telegram(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:real-token-real-token-real")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot")
    monkeypatch.setenv("telegram_api_base_url", "https://api.telegram.org/bot")
    monkeypatch.setenv("Database_Url", "sqlite+aiosqlite:///real.db")
    monkeypatch.setenv("AKSI_ADMIN_IDS", "1")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("WHATSAPP_API_BASE_URL", "https://graph.facebook.com")
    monkeypatch.setenv("whatsapp_access_token", "EAAG-real-token")
    standin = BotApiStandIn(port=18081)  # not started: only its token and address are read
    env = aksi_environment(standin, Path("/tmp/bench.db"), AKSI_REMINDER_TICK_SECONDS="0")
    upper = {k.upper() for k in env}
    assert len(upper) == len(env), "a setting twice in different case"
    assert env["TELEGRAM_BOT_TOKEN"] == standin.token
    assert env["TELEGRAM_API_BASE_URL"] == standin.base_url
    assert env["TELEGRAM_API_BASE_URL"].startswith("http://127.0.0.1:18081/")
    assert env["DATABASE_URL"] == "sqlite+aiosqlite:////tmp/bench.db"
    assert "AKSI_ADMIN_IDS" not in upper
    assert not any(k.endswith("_PROXY") for k in upper)
    assert not any(k.startswith("WHATSAPP_") for k in upper)  # never Meta's real API
    assert env["AKSI_REMINDER_TICK_SECONDS"] == "0"


def test_the_loop_watch_times_the_bots_callbacks(tmp_path: Path) -> None:
    """`bench/loopwatch.py` around a module: a callback that holds the loop 30 ms is counted,
    put down to its source and written at exit."""
    program = tmp_path / "holder.py"
    program.write_text(
        "import asyncio, time\nasync def hold():\n    time.sleep(0.03)\nasyncio.run(hold())\n"
    )
    out = tmp_path / "loop.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loopwatch.py"), str(out), "-m", "holder"],
        cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}, check=True, timeout=60,
    )  # fmt: skip
    found = json.loads(out.read_text())
    assert found["longest_ms"] >= 30
    held = found["sources"]["other"]  # not Aksi's code
    assert held["n"] >= 1 and held["max_ms"] >= 30
