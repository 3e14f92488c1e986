"""How long each callback of a process's event loop runs: a benchmark's instrument.

`python bench/loopwatch.py OUT.json -m bot run` runs `aksi run` with every callback of its
event loop timed (asyncio's `Handle._run`, the one place a callback runs). While one runs,
nothing else does: not the answer to another chat, not the next paced send. Each callback over
THRESHOLD_MS is put down to the Aksi code it ran: the deepest frame, in `scheduler/`,
`handlers/` or `core/` (else `storage/`), of the task's coroutine chain where the step resumed.
At exit OUT.json holds, per source, how many there were and their p50, p95 and longest, and
for all callbacks the count and the longest. `bench/peak.py` uses it to show how long the
reminder job's claims hold the loop, `bench/mixed.py` what holds it while pictures are made.
"""

from __future__ import annotations

import asyncio.events
import atexit
import json
import runpy
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

THRESHOLD_MS = 0.5
ROOT = Path(__file__).resolve().parent.parent
FEATURES = tuple(str(ROOT / name) for name in ("scheduler", "handlers", "core"))
STORAGE = str(ROOT / "storage")


def chain(callback: Any) -> list[Any]:
    """The code objects of the coroutines a task's step will resume in, outermost first (read
    before the step runs: afterwards the chain is where it stopped, not where it ran)."""
    task = getattr(callback, "__self__", None)
    get_coro = getattr(task, "get_coro", None)
    codes = []
    coro = get_coro() if get_coro is not None else None
    while coro is not None and hasattr(coro, "cr_code"):
        codes.append(coro.cr_code)
        coro = coro.cr_await
    return codes


def source(codes: list[Any]) -> str:
    """The deepest feature or job coroutine (`scheduler/`, `handlers/`, `core/`) of a chain,
    as `file:function`; else the deepest of `storage/`; else "other"."""
    feature = storage = None
    for code in codes:
        if code.co_filename.startswith(FEATURES):
            feature = code
        elif code.co_filename.startswith(STORAGE):
            storage = code
    found = feature or storage
    if found is None:
        return "other"
    return f"{Path(found.co_filename).relative_to(ROOT)}:{found.co_qualname}"


def summary(held: dict[str, list[float]], count: int, longest: float) -> dict[str, Any]:
    def figures(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "n": len(ordered),
            "p50_ms": round(ordered[len(ordered) // 2], 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
            "max_ms": round(ordered[-1], 2),
        }

    return {
        "callbacks": count,
        "longest_ms": round(longest, 2),
        "threshold_ms": THRESHOLD_MS,
        "sources": {name: figures(values) for name, values in sorted(held.items())},
    }


def watch(out: Path) -> None:
    held: dict[str, list[float]] = defaultdict(list)
    totals = {"count": 0, "longest": 0.0}
    run = asyncio.events.Handle._run

    def timed(self: asyncio.events.Handle) -> None:
        codes = chain(self._callback)
        started = time.perf_counter()
        try:
            run(self)
        finally:
            ms = (time.perf_counter() - started) * 1000
            totals["count"] += 1
            totals["longest"] = max(totals["longest"], ms)
            if ms >= THRESHOLD_MS:
                held[source(codes)].append(ms)

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    atexit.register(
        lambda: out.write_text(
            json.dumps(summary(held, int(totals["count"]), totals["longest"]), indent=1)
        )
    )


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[2] != "-m":
        sys.exit("usage: python bench/loopwatch.py OUT.json -m MODULE [ARGS...]")
    watch(Path(sys.argv[1]))
    module = sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    sys.path.insert(0, str(ROOT))
    runpy.run_module(module, run_name="__main__", alter_sys=True)
