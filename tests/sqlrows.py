"""Reading the test's database from a synchronous test (the CLI's tests), on either kind: the
database `DATABASE_URL` names, as the CLI under test reads it."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from storage.db import create_engine


def fetch(query: str) -> list[tuple[object, ...]]:
    """The rows `query` returns, as tuples (read on a thread of its own, so an async test may
    call it too)."""

    async def read() -> list[tuple[object, ...]]:
        engine = create_engine(os.environ["DATABASE_URL"])
        try:
            async with engine.connect() as conn:
                return [tuple(row) for row in (await conn.execute(text(query))).all()]
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(read())).result()
