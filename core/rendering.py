"""Drawing pictures away from the event loop, so one person's chart never delays another's
reply.

A heatmap or a bar chart keeps the CPU busy for a few hundred milliseconds. In a thread it
would still hold Python's GIL most of that time, and every reply the event loop is preparing
meanwhile would wait for it. `Renderer` runs such work in worker processes instead (started on
first use, matplotlib loaded there once); with `processes=0` it uses a thread, which is what the
tests and one-shot commands want (no process to start).

The function and its arguments travel to the worker by pickling: pass module-level functions
and plain data (`core.pictures` has the entry points).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import ParamSpec, TypeVar

log = logging.getLogger("aksi")

WORKER_NICENESS = 10
P = ParamSpec("P")
T = TypeVar("T")


def _leave_with(parent: int) -> None:
    """A worker outlives a bot killed outright (SIGKILL, out of memory): its end of the task
    queue never closes. It checks once a second that its parent is still the bot, and goes."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _warm_up() -> None:
    """Set up a new worker: below the bot in the CPU's queue (a reply waiting for the CPU goes
    first; a picture can wait a little), with the drawing libraries loaded before its first
    picture is asked for, and gone when the bot is."""
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid is not None:
        threading.Thread(target=_leave_with, args=(parent.pid,), daemon=True).start()
    import core.pictures

    with contextlib.suppress(OSError, AttributeError):  # not on every platform
        os.nice(WORKER_NICENESS)
    with contextlib.suppress(OSError, AttributeError):  # Linux: only the CPU nobody else wants
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))

    core.pictures.load()


class Renderer:
    """CPU-heavy work in `processes` worker processes (0: in a thread)."""

    def __init__(self, processes: int = 0) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # "spawn": a fresh interpreter, never a copy of this process's threads and locks.
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm_up,
            )
        return self._pool

    def start(self) -> None:
        """Start the workers now (optional): the first picture then needs no start-up."""
        if self.processes:
            self._executor().submit(int)

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        if not self.processes:
            return await asyncio.to_thread(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), partial(fn, *args, **kwargs))
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the next picture gets new workers.
            log.warning("a drawing process died; starting new ones for the next picture")
            self.close()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
