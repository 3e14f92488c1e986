"""A throwaway PostgreSQL server for the tests: its own cluster in a temporary folder, on a free
loopback port, started once per test run and removed after it; each test gets a database of
its own (`PostgresServer.new_database`).

It needs PostgreSQL's server programs (`initdb`, `postgres`): on Debian `apt-get install -y
postgresql` (`.ci/run` and `make test` do it when they are missing and they may). Without them
the tests on PostgreSQL are skipped with one line saying so, except under CI=true, where they
fail (tests/conftest.py). As root the cluster runs as the `postgres` user (PostgreSQL refuses
to run as root). AKSI_TEST_POSTGRES_BIN names the programs' folder instead of looking for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from storage.db import create_engine, upgrade

USER = "aksi"
TEMPLATE = "aksi_migrated"


class PostgresMissing(RuntimeError):
    pass


def server_programs() -> Path:
    """The folder with `initdb` and `postgres` (the newest installed major version)."""
    given = os.environ.get("AKSI_TEST_POSTGRES_BIN")
    if given is not None:
        if (Path(given) / "initdb").exists():
            return Path(given)
        raise PostgresMissing(f"no initdb in AKSI_TEST_POSTGRES_BIN ({given})")
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if candidates:
        return Path(candidates[-1]).parent
    raise PostgresMissing(
        "PostgreSQL's server programs (initdb, postgres) are not installed: "
        "run `apt-get install -y postgresql` (Debian) and try again"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="aksi-pg-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._template_ready = False

    def _as_owner(self, args: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return args
        return ["runuser", "-u", "postgres", "--", *args]

    def start(self) -> None:
        bindir = server_programs()
        data, sockets = self.root / "data", self.root / "run"
        sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(sockets, "postgres")
        log = self.root / "server.log"
        subprocess.run(
            self._as_owner(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                    "--no-instructions",
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(sockets),
            "fsync": "off",  # a throwaway cluster: durability buys nothing here
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "300",
            "log_min_messages": "warning",
        }
        args = [str(bindir / "postgres"), "-D", str(data), "-p", str(self.port)]
        for name, value in options.items():
            args += ["-c", f"{name}={value}"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                self._as_owner(args),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop reaches the server itself
            )
        deadline = time.monotonic() + 30
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to
            # leave), sent to the group so that it reaches the server behind `runuser`.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
            self.process = None
        # Removed by a process of its own: the folder holds the run's databases, and waiting
        # for it would be the last test's teardown (its time limit).
        subprocess.Popen(
            ["rm", "-rf", str(self.root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{database}"

    async def new_database(self, *, migrated: bool = False) -> str:
        """A fresh database — empty, or `migrated` to this release's migrations (a copy of a
        template migrated once per run: the migrations cost a second a database); its
        SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        if migrated and not self._template_ready:
            await self._create(TEMPLATE, "")
            engine = create_engine(self.url(TEMPLATE))
            try:
                await upgrade(engine)
            finally:
                await engine.dispose()
            self._template_ready = True
        await self._create(name, f' TEMPLATE "{TEMPLATE}"' if migrated else "")
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        """Drop a database `new_database` made (its connections ended first): a run makes
        about 650, 7-8 MB each."""
        name = url.rsplit("/", 1)[1]
        admin = await asyncpg.connect(
            user=USER, host="127.0.0.1", port=self.port, database="postgres"
        )
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    async def _create(self, name: str, extra: str) -> None:
        for attempt in range(50):  # the server may still be finishing its start-up
            try:
                admin = await asyncpg.connect(
                    user=USER, host="127.0.0.1", port=self.port, database="postgres"
                )
                break
            except (OSError, asyncpg.CannotConnectNowError):
                if attempt == 49:
                    raise
                await asyncio.sleep(0.1)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"{extra}')
        finally:
            await admin.close()
