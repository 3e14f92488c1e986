"""In the chat: joining with a personal link, /peserta and its buttons, /fasilitator (end to end,
the real bot polling the Bot API stand-in on loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.roster import apply_roster, parse_roster
from core.staff import add_facilitator
from storage.models import Participant, RosterEntry, Staff
from tests.conftest import make_cohort
from tests.harness import Clock, Person, RunningBot, joined, settings_for, texts

NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
ADMIN, FACILITATOR, OTHER_FACILITATOR = 9999, 9001, 9002
STAFF_ONLY = "Perintah ini khusus untuk fasilitator dan admin pelatihan."
STALE = "Tombol ini sudah tidak berlaku. Ketik /bantuan untuk melihat pilihan."
ROSTER = (
    "name,unit,nip,telegram_username\n"
    "Budi Santoso,Dinas Kesehatan,198001012005011001,\n"
    "Siti Rahma,Bappeda,,SitiRahma\n"
    "Andi Wijaya,,,\n"
    "Dewi Lestari,Dinas Sosial,,\n"
)


@pytest.fixture
async def cohorts(db: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """REVMEN1 with the roster above and facilitator 9001; REVMEN2 with one roster row and
    facilitator 9002."""
    first = await make_cohort(db)
    second = await make_cohort(db, code="REVMEN2", name="Angkatan II")
    async with db.begin() as session:
        await apply_roster(session, first, parse_roster(ROSTER.encode()))
        await apply_roster(session, second, parse_roster(b"name,unit\nEko Prasetyo,Bappeda\n"))
        await add_facilitator(session, first, FACILITATOR)
        await add_facilitator(session, second, OTHER_FACILITATOR)
    return db


@pytest.fixture
async def bot(standin: BotApiStandIn, db_url: str, cohorts: Any) -> AsyncIterator[RunningBot]:
    settings = settings_for(standin, db_url, aksi_admin_ids=(ADMIN,))
    running = RunningBot(standin, settings, clock=Clock(NOW))
    await running.start()
    yield running
    await running.stop()


async def roster(db: async_sessionmaker[AsyncSession]) -> dict[str, RosterEntry]:
    async with db() as session:
        return {e.name: e for e in await session.scalars(select(RosterEntry))}


async def member(db: async_sessionmaker[AsyncSession], user_id: int) -> Participant | None:
    async with db() as session:
        found = await session.scalars(
            select(Participant).where(Participant.telegram_user_id == user_id)
        )
        return found.one_or_none()


async def staff_rows(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, int]]:
    async with db() as session:
        result = await session.execute(
            select(Staff.cohort_id, Staff.telegram_user_id).order_by(Staff.id)
        )
        return [(int(c), int(u)) for c, u in result]


def alerts(out: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in out if r.method == "answerCallbackQuery"]


async def test_join_with_personal_link(bot: RunningBot, cohorts: Any) -> None:
    rows = await roster(cohorts)
    budi = bot.person(2001, "Budi", username="budi_tg")
    [welcome] = texts(await budi.send(f"/start {rows['Budi Santoso'].join_token}"))
    assert "Halo, Budi Santoso!" in welcome and "Selamat bergabung di <b>Angkatan I</b>" in welcome
    p = await member(cohorts, 2001)
    assert p is not None
    assert (p.full_name, p.unit, p.awaiting) == ("Budi Santoso", "Dinas Kesehatan", None)
    assert (await roster(cohorts))["Budi Santoso"].participant_id == p.id
    # The same account again: already joined, nothing new.
    again = joined(await budi.send(f"/start {rows['Budi Santoso'].join_token}"))
    assert "Halo lagi, Budi Santoso!" in again and "sudah terdaftar" in again

    # Another account with Budi's link: refused, nothing changes.
    eve = bot.person(2002, "Eve")
    refused = joined(await eve.send(f"/start {rows['Budi Santoso'].join_token}"))
    assert "sudah dipakai oleh akun Telegram lain" in refused and "fasilitator" in refused
    assert await member(cohorts, 2002) is None
    assert (await roster(cohorts))["Budi Santoso"].participant_id == p.id
    # A token with the wrong case is no token, and no code either.
    token = rows["Dewi Lestari"].join_token
    wrong = token[:2] + token[2:].swapcase()
    assert "tidak ditemukan" in joined(await eve.send(f"/start {wrong}"))
    assert await member(cohorts, 2002) is None
    assert (await roster(cohorts))["Dewi Lestari"].participant_id is None

    # No unit on the roster: only the unit is asked.
    andi = bot.person(2003, "Andi", language_code="en")
    welcome, question = texts(await andi.send(f"/start {rows['Andi Wijaya'].join_token}"))
    assert "Andi Wijaya" in welcome and "work unit" in question
    await andi.send("Bappeda Kota Bontang")
    a = await member(cohorts, 2003)
    assert a is not None and (a.full_name, a.unit) == ("Andi Wijaya", "Bappeda Kota Bontang")

    # Joining by the code still works; a Telegram username on the roster ties at once.
    siti = bot.person(2004, "Siti", username="sitirahma")
    [welcome] = texts(await siti.send("/start REVMEN1"))
    assert "Selamat bergabung" in welcome
    s = await member(cohorts, 2004)
    assert s is not None and (s.full_name, s.unit, s.awaiting) == ("Siti Rahma", "Bappeda", None)
    assert (await roster(cohorts))["Siti Rahma"].participant_id == s.id
    # Without a roster row: the usual questions.
    nur = bot.person(2005, "Nur")
    out = texts(await nur.send("revmen1"))
    assert len(out) == 2 and "nama lengkap" in out[1]
    n = await member(cohorts, 2005)
    assert n is not None and n.full_name is None
    assert n.id not in {e.participant_id for e in (await roster(cohorts)).values()}


async def facilitator_view(person: Person) -> tuple[str, dict[str, str], int]:
    out = await person.send("/peserta")
    body = joined(out)
    message_id, buttons = person.last_keyboard()
    return body, {b["text"]: b["callback_data"] for b in buttons}, message_id


async def test_peserta_and_matching(bot: RunningBot, cohorts: Any, standin: BotApiStandIn) -> None:
    rows = await roster(cohorts)
    await bot.person(2001, "Budi").send(f"/start {rows['Budi Santoso'].join_token}")
    nur = bot.person(2005, "Nur", username="nur_x")
    await nur.send("/start REVMEN1")
    await bot.person(2006, "Eko").send("/start REVMEN1")
    fac = bot.person(FACILITATOR, "Fasil")

    body, buttons, message_id = await facilitator_view(fac)
    assert "Daftar peserta Angkatan I" in body and "1 dari 4 sudah bergabung" in body
    assert "Belum bergabung (3)" in body
    assert "• Siti Rahma — Bappeda" in body and "• Andi Wijaya\n" in body
    assert "• Budi Santoso" not in body
    assert "belum ada di daftar (2)" in body and "• Nur (@nur_x)" in body and "• Eko" in body
    assert "🔗 Cocokkan: Nur" in buttons and "🔗 Cocokkan: Eko" in buttons

    # Choosing a roster row for Nur.
    out = await fac.press("Cocokkan: Nur")
    assert "Siapa <b>Nur</b> di daftar peserta?" in joined(out)
    pick_id, choices = fac.last_keyboard()
    labels = [b["text"] for b in choices]
    assert labels == [
        "Siti Rahma — Bappeda",
        "Andi Wijaya",
        "Dewi Lestari — Dinas Sosial",
        "« Kembali",
    ]
    tie_andi = next(b["callback_data"] for b in choices if b["text"] == "Andi Wijaya")

    # Nobody else may press it: a participant, a stranger, another cohort's facilitator.
    n = await member(cohorts, 2005)
    assert n is not None
    for intruder in (
        bot.person(2001, "Budi"),
        bot.person(3001, "Orang Lain"),
        bot.person(OTHER_FACILITATOR, "Fasil Dua"),
    ):
        # A forging client presses it under a message of the bot in its own chat.
        [own, *_] = await intruder.send("/start")
        assert own.message_id is not None
        out = await intruder.press_data(own.message_id, tie_andi)
        assert alerts(out) == [STAFF_ONLY]
        assert not texts(out)
        assert (await roster(cohorts))["Andi Wijaya"].participant_id is None
    # Forged ids: a roster row of another cohort, a member of another cohort, garbage.
    eko_row = rows["Eko Prasetyo"]
    cohort_id = rows["Andi Wijaya"].cohort_id
    for forged, expected in (
        (f"ros:tie:{cohort_id}-{n.id}-{eko_row.id}", STALE),
        (f"ros:tie:{cohort_id}-{n.id}-99999", STALE),
        (f"ros:tie:{eko_row.cohort_id}-{n.id}-{eko_row.id}", STAFF_ONLY),  # not 9001's cohort
        (f"ros:links:{eko_row.cohort_id}", STAFF_ONLY),
        (f"ros:pick:{cohort_id}-99999", STALE),
        (f"ros:tie:{cohort_id}-{n.id}", STALE),
        ("ros:tie:x-y-z", STALE),
    ):
        out = await fac.press_data(pick_id, forged)
        assert alerts(out) == [expected], forged
        assert not [r for r in out if r.method != "answerCallbackQuery"], forged
    assert (await roster(cohorts))["Andi Wijaya"].participant_id is None
    assert (await roster(cohorts))["Eko Prasetyo"].participant_id is None

    out = await fac.press("Andi Wijaya")
    assert alerts(out) == ["Dicocokkan."]
    shown = joined(out)
    assert "✅ <b>Nur</b> dicocokkan dengan <b>Andi Wijaya</b> di daftar." in shown
    assert "2 dari 4 sudah bergabung" in shown and "belum ada di daftar (1)" in shown
    n = await member(cohorts, 2005)
    assert n is not None and (n.full_name, n.awaiting) == ("Andi Wijaya", None)
    assert (await roster(cohorts))["Andi Wijaya"].participant_id == n.id
    # The same press again is stale: nothing changes.
    out = await fac.press_data(pick_id, tie_andi)
    assert alerts(out) == [STALE]
    assert (await roster(cohorts))["Andi Wijaya"].participant_id == n.id

    # The personal links as a CSV document.
    _, buttons, message_id = await facilitator_view(fac)
    out = await fac.press_data(message_id, buttons["📄 Tautan pribadi (CSV)"])
    [document] = [r for r in out if r.method == "sendDocument"]
    assert document.file_name == "tautan-REVMEN1.csv"
    assert document.file_bytes is not None and document.file_bytes.startswith(b"\xef\xbb\xbf")
    lines = document.file_bytes.decode("utf-8-sig").splitlines()
    assert lines[0] == "name,unit,nip,telegram_username,link,joined"
    assert len(lines) == 5
    budi_line = lines[1].split(",")
    assert budi_line[0] == "Budi Santoso" and budi_line[-1] == "yes"
    assert (
        budi_line[4]
        == f"https://t.me/{standin.bot_username}?start={rows['Budi Santoso'].join_token}"
    )
    assert [line.split(",")[-1] for line in lines[1:]] == ["yes", "no", "yes", "no"]
    # From a Telegram app in English, the file has an English name.
    fac_en = bot.person(FACILITATOR, "Fasil", language_code="en")
    _, english, message_id = await facilitator_view(fac_en)
    out = await fac_en.press_data(message_id, english["📄 Personal links (CSV)"])
    assert [r.file_name for r in out if r.method == "sendDocument"] == ["links-REVMEN1.csv"]
    # Not for a participant or a stranger.
    for outsider in (bot.person(2001, "Budi"), bot.person(3001, "Orang Lain")):
        out = await outsider.send("/peserta")
        assert joined(out) == STAFF_ONLY
        [own, *_] = await outsider.send("/start")
        assert own.message_id is not None
        out = await outsider.press_data(own.message_id, buttons["📄 Tautan pribadi (CSV)"])
        assert not [r for r in out if r.method == "sendDocument"]


async def test_fasilitator_for_admins_only(
    bot: RunningBot, cohorts: Any, standin: BotApiStandIn
) -> None:
    # At start-up the admin and the facilitators got their menu; participants never do.
    for user_id in (ADMIN, FACILITATOR, OTHER_FACILITATOR):
        menu = [c["command"] for c in standin.commands[(f"chat:{user_id}", "")]]
        assert "peserta" in menu and "fasilitator" in menu
        english = [c["command"] for c in standin.commands[(f"chat:{user_id}", "en")]]
        assert "participants" in english and "facilitator" in english
    before = await staff_rows(cohorts)
    await bot.person(2001, "Budi").send("/start REVMEN1")
    for name, user_id in (("Fasil", FACILITATOR), ("Budi", 2001), ("Orang Lain", 3001)):
        intruder = bot.person(user_id, name)
        for command in ("/fasilitator tambah REVMEN1 7002", "/facilitator", "/fasilitator"):
            out = await intruder.send(command)
            assert joined(out) == "Perintah ini khusus untuk admin Aksi.", (name, command)
    assert await staff_rows(cohorts) == before
    assert ("chat:7002", "") not in standin.commands and ("chat:2001", "") not in standin.commands

    admin = bot.person(ADMIN, "Admin")
    listing = joined(await admin.send("/fasilitator"))
    assert "<b>REVMEN1</b> — Angkatan I\n• <code>9001</code>" in listing
    assert "<b>REVMEN2</b> — Angkatan II\n• <code>9002</code>" in listing
    added = joined(await admin.send("/fasilitator tambah revmen1 7001"))
    assert "<code>7001</code> sekarang fasilitator <b>Angkatan I</b> (REVMEN1)" in added
    assert "peserta" in [c["command"] for c in standin.commands[("chat:7001", "")]]
    assert "sudah menjadi fasilitator" in joined(
        await admin.send("/fasilitator tambah REVMEN1 7001")
    )
    english = joined(await admin.send("/facilitator add REVMEN2 7001"))
    assert "sekarang fasilitator <b>Angkatan II</b>" in english  # the admin's language: id
    assert (1, 7001) in await staff_rows(cohorts) and (2, 7001) in await staff_rows(cohorts)
    removed = joined(await admin.send("/fasilitator hapus REVMEN1 7001"))
    assert "bukan lagi fasilitator <b>Angkatan I</b>" in removed
    assert ("chat:7001", "") in standin.commands  # still REVMEN2's
    await admin.send("/facilitator remove REVMEN2 7001")
    assert [k for k in standin.commands if k[0] == "chat:7001"] == []
    assert "bukan fasilitator" in joined(await admin.send("/fasilitator hapus REVMEN2 7001"))
    # Bad arguments: a usage line or the problem; nothing changes.
    for command, expected in (
        ("/fasilitator tambah", "Cara pakai"),
        ("/fasilitator pindah REVMEN1 7001", "Cara pakai"),
        ("/fasilitator tambah REVMEN1 7001 7002", "Cara pakai"),
        ("/fasilitator tambah REVMEN1 abc", "<b>abc</b> bukan ID pengguna Telegram"),
        ("/fasilitator tambah REVMEN1 0", "bukan ID pengguna Telegram"),
        ("/fasilitator tambah REVMEN1 99999999999999999999", "bukan ID pengguna Telegram"),
        ("/fasilitator tambah NOPE 7001", "Tidak ada angkatan dengan kode <b>NOPE</b>"),
    ):
        assert expected in joined(await admin.send(command)), command
    assert await staff_rows(cohorts) == before
    # The admin's /peserta picks the cohort first (they manage every cohort).
    out = await admin.send("/peserta")
    assert "Untuk angkatan mana?" in joined(out)
    out = await admin.press("REVMEN2")
    assert "0 dari 1 sudah bergabung" in joined(out) and "Eko Prasetyo" in joined(out)
