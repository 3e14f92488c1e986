"""What one Bot API call costs the bot's own process: PTB's HTTPXRequest against Aksi's
AiohttpRequest (bot.channels.telegram_request).

The Bot API stand-in runs in a process of its own on loopback (so its work is not counted);
this process sends CALLS `sendMessage` calls one after the other through a PTB `Bot` on each
request class, in turn, ROUNDS times, and reports the CPU time (`time.process_time`) and the
wall time per call. CPU per call is what a busy bot's event loop pays for every reply, edit and
button acknowledgement. Last line key=value: `httpx_cpu_ms=… aiohttp_cpu_ms=… ratio=…`.
Usage: .venv/bin/python bench/request_cost.py   (BENCH_CALLS, BENCH_ROUNDS change the sizes)
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot  # noqa: E402
from telegram.request import BaseRequest, HTTPXRequest  # noqa: E402

from bot.channels.telegram_request import AiohttpRequest  # noqa: E402
from bot.standin import BotApiStandIn  # noqa: E402
from bot.standin.wire import DEFAULT_TOKEN  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARM_UP = 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_listening(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def per_call(base_url: str, request: BaseRequest) -> tuple[float, float]:
    """CPU ms and wall ms per sendMessage."""
    bot = Bot(DEFAULT_TOKEN, base_url=base_url, request=request)
    async with bot:
        for _ in range(WARM_UP):
            await bot.send_message(1001, "pemanasan")
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(CALLS):
            await bot.send_message(1001, f"Pengingat <b>{i}</b>", parse_mode="HTML")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return 1000 * cpu / CALLS, 1000 * wall / CALLS


async def main() -> None:
    # The stand-in's process runs with its defaults (no --rtt-ms): described by a default one.
    print(f"network: {BotApiStandIn().network_settings} (stand-in in its own process)", flush=True)
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.standin", "--port", str(port),
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await wait_listening(port)
        base_url = f"http://127.0.0.1:{port}/bot"
        figures: dict[str, list[tuple[float, float]]] = {"httpx": [], "aiohttp": []}
        for _ in range(ROUNDS):
            figures["httpx"].append(await per_call(base_url, HTTPXRequest(connection_pool_size=8)))
            figures["aiohttp"].append(await per_call(base_url, AiohttpRequest(8)))
    finally:
        server.terminate()
        await server.wait()
    print(f"{CALLS} sendMessage calls in a row, {ROUNDS} rounds, stand-in in its own process")
    median = {}
    for name, runs in figures.items():
        cpu = statistics.median(c for c, _ in runs)
        wall = statistics.median(w for _, w in runs)
        median[name] = cpu
        print(f"  {name:8} CPU {cpu:.2f} ms a call, wall {wall:.2f} ms a call (median)")
    httpx, aiohttp = median["httpx"], median["aiohttp"]
    print(f"httpx_cpu_ms={httpx:.2f} aiohttp_cpu_ms={aiohttp:.2f} ratio={aiohttp / httpx:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
