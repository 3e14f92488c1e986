"""`aksi run` and the local chat as real processes, the way an organiser starts them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn
from tests.conftest import make_cohort
from tests.harness import joined

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a process under test: none of Aksi's settings from outside, and this
    checkout's code first (whatever an installed copy points at)."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "AKSI_", "DATABASE_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


async def test_aksi_run_polls_answers_pending_updates_and_stops_on_sigterm(
    db_url: str, db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await make_cohort(db, starts=date(2026, 1, 1), ends=date(2026, 12, 31))
    async with BotApiStandIn() as standin:
        # Sent before the bot starts: must be answered, not dropped.
        standin.push_message(3001, "/start REVMEN1", first_name="Dewi")
        env = clean_env(
            TELEGRAM_BOT_TOKEN=standin.token,
            TELEGRAM_API_BASE_URL=standin.base_url,
            DATABASE_URL=db_url,
            AKSI_LOG_LEVEL="DEBUG",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            await standin.wait_first_get_updates(timeout=30)
            out = await standin.wait_quiet(3001, timeout=15)
            assert "Halo, Dewi!" in joined(out)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Aksi is running as @aksi_bot" in log
    assert "stopped" in log.splitlines()[-1]
    assert standin.token not in log
    assert standin.token.split(":")[1] not in log
    assert "Traceback" not in log


async def test_aksi_run_with_a_refused_token_says_so(tmp_path: Path, db_url: str) -> None:
    async with BotApiStandIn() as standin:
        env = clean_env(
            TELEGRAM_BOT_TOKEN="999:AAWrongTokenWrongTokenWrongToken",
            TELEGRAM_API_BASE_URL=standin.base_url,
            DATABASE_URL=db_url,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert stderr.decode().strip().splitlines()[-1] == (
        "aksi: TELEGRAM_BOT_TOKEN was refused by the Bot API (check it with @BotFather)"
    )
    assert "WrongToken" not in stderr.decode()


def test_local_chat_reads_stdin_line_by_line(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="/start\n#1\nDinas Kominfo\n/jadwal\n/materi\n/bahasa en\n/schedule all\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "TELEGRAM_BOT_TOKEN is not set: starting the local chat" in result.stderr
    assert "Aksi> Halo, Budi! 👋" in out
    assert "Pelatihan Revolusi Mental Angkatan I (demo)" in out
    assert "[#1] Pakai «Budi Santoso»\n      [#2] Lewati" in out  # buttons, numbered
    assert "Unit kerja: Dinas Kominfo" in out  # pressing 1 used the Telegram name, then unit
    assert "Nama: Budi Santoso" in out
    assert "sesi berikutnya · waktu WITA" in out
    assert "Modul 1" in out and "https://elearning.example" in out
    assert "The whole Pelatihan Revolusi Mental Angkatan I (demo) schedule" in out
    assert "Traceback" not in result.stderr


DRAWING_HOST = """
import sys, time
sys.path.insert(0, {root!r})
from core.rendering import Renderer

renderer = Renderer(1)
renderer.start()
import multiprocessing
while not multiprocessing.active_children():
    time.sleep(0.05)
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
time.sleep(600)
"""


def test_drawing_workers_go_when_the_bot_is_killed_outright(tmp_path: Path) -> None:
    """SIGKILL leaves the bot no time to stop its drawing processes: they notice and go."""
    host = subprocess.Popen(
        [sys.executable, "-c", DRAWING_HOST.format(root=str(ROOT))],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert host.stdout is not None
    workers = [int(p) for p in host.stdout.readline().split()]
    assert len(workers) == 1
    for pid in workers:
        os.kill(pid, 0)  # alive while the bot is
    host.kill()
    host.wait(10)

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        # A zombie (gone, not yet reaped by init) counts as gone.
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()

    deadline = time.monotonic() + 20
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in workers)


async def test_aksi_serve_takes_posted_updates_and_stops_on_sigterm(
    db_url: str, db: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """The webhook mode as a process: it registers the webhook, the stand-in posts to it as
    Telegram does, SIGTERM stops it cleanly (uvicorn's own signal handling kept out)."""
    await make_cohort(db, starts=date(2026, 1, 1), ends=date(2026, 12, 31))
    secret = "process-test-webhook-secret-0123"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with BotApiStandIn() as standin:
        standin.push_message(3002, "/start REVMEN1", first_name="Rina")  # before it starts
        env = clean_env(
            TELEGRAM_BOT_TOKEN=standin.token,
            TELEGRAM_API_BASE_URL=standin.base_url,
            DATABASE_URL=db_url,
            AKSI_HTTP_PORT=str(port),
            AKSI_WEBHOOK_URL=url,
            AKSI_WEBHOOK_SECRET=secret,
            AKSI_LOG_LEVEL="DEBUG",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve",
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            out = await standin.wait_quiet(3002, timeout=30)
            assert "Halo, Rina!" in joined(out)
            assert standin.webhook is not None and standin.webhook["url"] == url
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 0, log
    assert f"Telegram posts updates to {url}" in log
    assert "stopped" in log.splitlines()[-1]
    assert secret not in log and standin.token not in log
    assert "Traceback" not in log


async def serve_failing(
    db_url: str, tmp_path: Path, standin: BotApiStandIn, port: int
) -> tuple[int | None, str]:
    env = clean_env(
        TELEGRAM_BOT_TOKEN=standin.token,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=db_url,
        AKSI_HTTP_PORT=str(port),
        AKSI_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        AKSI_WEBHOOK_SECRET="process-test-webhook-secret-0123",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve",
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, stderr.decode()


async def test_aksi_serve_on_a_port_in_use_says_so(db_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        async with BotApiStandIn() as standin:
            code, log = await serve_failing(db_url, tmp_path, standin, port)
    assert code == 1, log
    last = log.strip().splitlines()[-1]
    assert last.startswith("aksi: cannot serve: OSError") and "in use" in last, log
    assert "Traceback" not in log


async def test_aksi_serve_says_when_telegram_refuses_the_webhook(
    db_url: str, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with BotApiStandIn() as standin:
        standin.fail("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")
        code, log = await serve_failing(db_url, tmp_path, standin, port)
    assert code == 2, log
    assert log.strip().splitlines()[-1] == (
        "aksi: Telegram refused AKSI_WEBHOOK_URL: Bad webhook: failed to resolve host"
    ), log
    assert "Traceback" not in log
