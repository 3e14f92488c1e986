"""Migration 0007 (people and contacts) on a database written as the release wrote it: every
Telegram user id the release knew becomes one person with one Telegram contact, the rows that
held the id hold the person (the outbox: the contact), the username and "unreachable" mark move
to the contact — and going back down gives the release's ids back. On both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, downgrade, upgrade

pytestmark = [pytest.mark.databases("sqlite", "postgresql"), pytest.mark.empty_database]

BUDI, ANI, SARI, ADMIN = 1001, 1002, 5001, 9_000_000_001  # the admin's id is past 2**32
AT = datetime(2021, 9, 1, 23, 0, tzinfo=UTC)
BLOCKED = datetime(2021, 9, 2, 23, 0, tzinfo=UTC)


async def tables(engine: AsyncEngine) -> dict[str, Table]:
    meta = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(meta.reflect)
    return dict(meta.tables)


async def rows(engine: AsyncEngine, table: str, *order: str) -> list[dict[str, Any]]:
    t = (await tables(engine))[table]
    async with engine.connect() as conn:
        found = await conn.execute(select(t).order_by(*(t.c[o] for o in order or ("id",))))
        return [dict(r._mapping) for r in found]


@pytest.fixture
async def release(db_url: str) -> AsyncIterator[AsyncEngine]:
    """Release 0006 with Budi and Ani (in two cohorts, blocked the bot, with a username), Sari
    facilitating (added by an admin seen nowhere else), her announcement queued for Ani, and
    Budi's open question."""
    engine = create_engine(db_url)
    await upgrade(engine, "0006")
    t = await tables(engine)
    async with engine.begin() as conn:
        for n in (1, 2):
            await conn.execute(
                insert(t["cohorts"]).values(
                    id=n, code=f"C{n}", name=f"Angkatan {n}", timezone="Asia/Makassar",
                    starts_on=date(2021, 9, 2), ends_on=date(2021, 10, 25), created_at=AT,
                )
            )  # fmt: skip
        people = [
            (1, 1, BUDI, "budi_s", None),
            (2, 1, ANI, None, None),
            (3, 2, ANI, "ani_w", BLOCKED),  # her latest membership: its username and mark win
        ]
        for pid, cohort, user, username, unreachable in people:
            await conn.execute(
                insert(t["participants"]).values(
                    id=pid, cohort_id=cohort, telegram_user_id=user, chat_id=user,
                    first_name=f"P{pid}", telegram_username=username,
                    joined_at=AT.replace(minute=pid), unreachable_at=unreachable,
                )
            )  # fmt: skip
        await conn.execute(
            insert(t["staff"]).values(
                id=1, cohort_id=1, telegram_user_id=SARI, added_at=AT, added_by=ADMIN
            )
        )
        await conn.execute(
            insert(t["announcements"]).values(
                id=1, cohort_id=1, author_user_id=SARI, author_chat_id=SARI, author_language="id",
                body="<b>Besok</b> apel", audience="all", state="sending", created_at=AT,
            )
        )  # fmt: skip
        await conn.execute(
            insert(t["outbox"]).values(
                id=1, announcement_id=1, participant_id=2, chat_id=ANI, status="pending",
                attempts=0, next_attempt_at=AT,
            )
        )  # fmt: skip
        await conn.execute(
            insert(t["confirmations"]).values(
                id=1, user_id=BUDI, action="erase_data", nonce="abcdefgh", payload="{}",
                language="id", created_at=AT, expires_at=AT,
            )
        )  # fmt: skip
    yield engine
    await engine.dispose()


async def test_every_user_id_becomes_one_person_with_a_telegram_contact(
    release: AsyncEngine,
) -> None:
    await upgrade(release, "0007")
    contacts = await rows(release, "contacts")
    assert [c["channel"] for c in contacts] == ["telegram"] * 4
    person = {int(c["external_id"]): c["person_id"] for c in contacts}
    assert set(person) == {BUDI, ANI, SARI, ADMIN}
    assert len(set(person.values())) == 4 and len(await rows(release, "people")) == 4
    by_user = {int(c["external_id"]): c for c in contacts}
    assert by_user[BUDI]["username"] == "budi_s" and by_user[BUDI]["unreachable_at"] is None
    ani = by_user[ANI]
    assert ani["username"] == "ani_w" and ani["unreachable_at"] is not None
    assert ani["unreachable_at"].replace(tzinfo=UTC) == BLOCKED

    participants = await rows(release, "participants")
    assert [p["person_id"] for p in participants] == [person[BUDI], person[ANI], person[ANI]]
    assert "telegram_user_id" not in participants[0] and "chat_id" not in participants[0]
    [staff] = await rows(release, "staff")
    assert staff["person_id"] == person[SARI] and staff["added_by"] == person[ADMIN]
    [announcement] = await rows(release, "announcements")
    assert announcement["author_id"] == person[SARI]
    assert announcement["author_contact_id"] == by_user[SARI]["id"]
    [queued] = await rows(release, "outbox")
    assert queued["contact_id"] == ani["id"] and queued["status"] == "pending"
    [question] = await rows(release, "confirmations")
    assert question["person_id"] == person[BUDI]


async def test_going_back_down_gives_the_release_ids_back(release: AsyncEngine) -> None:
    before = {
        table: await rows(release, table)
        for table in ("participants", "staff", "announcements", "outbox", "confirmations")
    }
    await upgrade(release, "0007")
    await downgrade(release, "0006")
    # The username and the mark are the person's now: both of Ani's memberships get hers.
    ani_then, ani_latest = before["participants"][1], before["participants"][2]
    ani_then.update(
        telegram_username=ani_latest["telegram_username"],
        unreachable_at=ani_latest["unreachable_at"],
    )
    for table, old in before.items():
        assert await rows(release, table) == old, table
