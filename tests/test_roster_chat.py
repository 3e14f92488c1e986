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
from core.participants import find_participant
from core.roster import apply_roster, parse_roster
from core.staff import add_facilitator
from storage.models import Participant, RosterEntry, Staff
from tests.conftest import make_cohort
from tests.harness import (
    Clock,
    MemoryBot,
    Person,
    RunningBot,
    joined,
    settings_for,
    start_bot,
    texts,
)
from tests.people import new_person, person_of, user_of

pytestmark = pytest.mark.channels("telegram", "memory")

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
async def cohorts(
    db: async_sessionmaker[AsyncSession], chat_kind: str
) -> async_sessionmaker[AsyncSession]:
    """REVMEN1 with the roster above and facilitator 9001; REVMEN2 with one roster row and
    facilitator 9002 (people on the test's channel)."""
    first = await make_cohort(db)
    second = await make_cohort(db, code="REVMEN2", name="Angkatan II")
    async with db.begin() as session:
        await apply_roster(session, first, parse_roster(ROSTER.encode()))
        await apply_roster(session, second, parse_roster(b"name,unit\nEko Prasetyo,Bappeda\n"))
        await add_facilitator(session, first, await new_person(session, FACILITATOR, chat_kind))
        other = await new_person(session, OTHER_FACILITATOR, chat_kind)
        await add_facilitator(session, second, other)
    return db


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, cohorts: Any, chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    settings = settings_for(standin, db_url, aksi_admin_ids=(ADMIN,))
    running = await start_bot(chat_kind, standin, settings, Clock(NOW))
    yield running
    await running.stop()


async def roster(db: async_sessionmaker[AsyncSession]) -> dict[str, RosterEntry]:
    async with db() as session:
        return {e.name: e for e in await session.scalars(select(RosterEntry))}


async def member(db: async_sessionmaker[AsyncSession], user_id: int) -> Participant | None:
    async with db() as session:
        found = await session.scalars(
            select(Participant).where(Participant.person_id == person_of(user_id))
        )
        return found.one_or_none()


async def staff_rows(db: async_sessionmaker[AsyncSession]) -> list[tuple[int, int]]:
    async with db() as session:
        result = await session.execute(
            select(Staff.cohort_id, user_of(Staff.person_id)).order_by(Staff.id)
        )
        return [(int(c), int(u)) for c, u in result]


def alerts(out: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in out if r.method == "answerCallbackQuery"]


async def test_join_with_personal_link(bot: RunningBot, cohorts: Any) -> None:
    rows = await roster(cohorts)
    budi = bot.person(2001, "Budi", username="budi_tg")
    # Name and unit come from the roster: no questions, the bot offers the plan at once.
    welcome, offer = texts(await budi.send(f"/start {rows['Budi Santoso'].join_token}"))
    assert "Halo, Budi Santoso!" in welcome and "Selamat bergabung di <b>Angkatan I</b>" in welcome
    assert "Langkah berikutnya: rencana aksi Anda" in offer
    p = await member(cohorts, 2001)
    assert p is not None
    assert (p.full_name, p.unit, p.awaiting) == (
        "Budi Santoso",
        "Dinas Kesehatan",
        "offer_plan:20210903",
    )
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
    assert "tidak dikenal. 🤔\nPastikan tautannya utuh" in joined(await eve.send(f"/start {wrong}"))
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
    welcome, _offer = texts(await siti.send("/start REVMEN1"))
    assert "Selamat bergabung" in welcome
    s = await member(cohorts, 2004)
    assert s is not None and (s.full_name, s.unit) == ("Siti Rahma", "Bappeda")
    assert s.awaiting == "offer_plan:20210903"  # the plan offer waits for a typed title
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

    # Choosing asks first, saying what changes; "back" changes nothing.
    out = await fac.press("Andi Wijaya")
    shown = joined(out)
    assert "Cocokkan akun <b>Nur (@nur_x)</b> dengan <b>Andi Wijaya</b>" in shown
    assert "Nama dan unit kerjanya di Aksi menjadi yang tertulis di daftar" in shown
    assert (await roster(cohorts))["Andi Wijaya"].participant_id is None
    await fac.press("Kembali")
    assert (await roster(cohorts))["Andi Wijaya"].participant_id is None
    await fac.press("Cocokkan: Nur")
    await fac.press("Andi Wijaya")
    out = await fac.press("Ya, cocokkan")
    shown = joined(out)
    assert "✅ <b>Nur</b> dicocokkan dengan <b>Andi Wijaya</b> di daftar." in shown
    assert "2 dari 4 sudah bergabung" in shown and "belum ada di daftar (1)" in shown
    n = await member(cohorts, 2005)
    assert n is not None and (n.full_name, n.awaiting) == ("Andi Wijaya", None)
    assert (await roster(cohorts))["Andi Wijaya"].participant_id == n.id
    # Undone at once with the button under the result: Nur is Nur again.
    out = await fac.press("Batalkan pencocokan ini")
    assert "↩️ Pencocokan <b>Nur</b> dengan <b>Andi Wijaya</b> dibatalkan." in joined(out)
    n = await member(cohorts, 2005)
    assert n is not None and n.full_name is None
    assert (await roster(cohorts))["Andi Wijaya"].participant_id is None
    await fac.press("Cocokkan: Nur")
    await fac.press("Andi Wijaya")
    await fac.press("Ya, cocokkan")
    # The old "tie" press again is stale: nothing changes.
    out = await fac.press_data(pick_id, tie_andi)
    assert alerts(out) == [STALE]
    assert (await roster(cohorts))["Andi Wijaya"].participant_id == n.id
    # Undone later from the list of matches (a wrong match found out later).
    await facilitator_view(fac)
    out = await fac.press("Batalkan pencocokan…")
    assert [b["text"] for b in fac.last_keyboard()[1]] == [
        "✂️ Budi Santoso",
        "✂️ Andi Wijaya",
        "« Kembali",
    ]
    out = await fac.press("Andi Wijaya")
    asked = joined(out)
    assert (
        "Batalkan pencocokan akun Telegram <b>Nur (@nur_x)</b> dengan <b>Andi Wijaya</b>" in asked
    )
    assert (
        "nama yang dulu ia tulis sendiri: <b>belum ada (ia tidak pernah menulis namanya)</b>"
        in (asked)
    )
    await fac.press("Ya, batalkan pencocokan")
    assert (await roster(cohorts))["Andi Wijaya"].participant_id is None
    await fac.press("Cocokkan: Nur")
    await fac.press("Andi Wijaya")
    await fac.press("Ya, cocokkan")
    assert (await roster(cohorts))["Andi Wijaya"].participant_id == n.id

    # The personal links as a CSV document.
    _, buttons, message_id = await facilitator_view(fac)
    out = await fac.press_data(message_id, buttons["📄 Tautan pribadi (CSV)"])
    [document] = [r for r in out if r.method == "sendDocument"]
    assert document.file_name == "tautan-REVMEN1.csv"
    assert document.file_bytes is not None and document.file_bytes.startswith(b"\xef\xbb\xbf")
    lines = document.file_bytes.decode("utf-8-sig").splitlines()
    # For a facilitator in Indonesian: ';' as Excel set to Indonesian expects.
    assert lines[0] == "name;unit;nip;telegram_username;link;joined"
    assert len(lines) == 5
    budi_line = lines[1].split(";")
    assert budi_line[0] == "Budi Santoso" and budi_line[-1] == "yes"
    assert budi_line[2] == "19800101 200501 1 001"  # kept as text by spreadsheets
    assert budi_line[4] == bot.join_link(rows["Budi Santoso"].join_token)
    assert [line.split(";")[-1] for line in lines[1:]] == ["yes", "no", "yes", "no"]
    assert (
        "Kolom dipisah titik koma (;), seperti Excel berpengaturan wilayah Indonesia; NIP ditulis "
        "berkelompok agar tetap utuh."
    ) in (document.text or "")
    # It reads back as the same roster.
    assert [
        (r.name, r.unit, r.nip, r.telegram_username) for r in parse_roster(document.file_bytes)
    ] == [(r.name, r.unit, r.nip, r.telegram_username) for r in parse_roster(ROSTER.encode())]
    # The same facilitator with Telegram in English gets ',' and the English note.
    english = bot.person(FACILITATOR, "Fasil", language_code="en")
    out = await english.press_data(message_id, buttons["📄 Tautan pribadi (CSV)"])
    [document] = [r for r in out if r.method == "sendDocument"]
    lines = (document.file_bytes or b"").decode("utf-8-sig").splitlines()
    assert lines[0] == "name,unit,nip,telegram_username,link,joined"
    link = bot.join_link(rows["Budi Santoso"].join_token)
    assert lines[1] == f"Budi Santoso,Dinas Kesehatan,19800101 200501 1 001,,{link},yes"
    assert (
        "Columns are separated by commas (,); NIPs are written in groups so they stay whole."
    ) in (document.text or "")
    # From a Telegram app in English, the file has an English name.
    fac_en = english
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


@pytest.mark.channels("telegram")  # the command menus are Telegram's
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
    # Removing asks first; "Batal" keeps them, and the question lapses on anything else.
    asked = joined(await admin.send("/fasilitator hapus REVMEN1 7001"))
    assert "Hapus <code>7001</code> sebagai fasilitator <b>Angkatan I</b> (REVMEN1)?" in asked
    assert "kedaluwarsa" not in asked and "berlaku 5 menit" in asked
    assert "tidak ada yang diubah" in joined(await admin.press("Batal"))
    assert (1, 7001) in await staff_rows(cohorts)
    await admin.send("/fasilitator hapus REVMEN1 7001")
    old = admin.last_keyboard()
    await admin.send("/fasilitator")
    old_yes = next(b["callback_data"] for b in old[1] if "Ya, hapus" in b["text"])
    assert "sudah batal" in joined(await admin.press_data(old[0], old_yes))
    assert (1, 7001) in await staff_rows(cohorts)
    await admin.send("/fasilitator hapus REVMEN1 7001")
    removed = joined(await admin.press("Ya, hapus"))
    assert "bukan lagi fasilitator <b>Angkatan I</b>" in removed
    assert (1, 7001) not in await staff_rows(cohorts)
    assert ("chat:7001", "") in standin.commands  # still REVMEN2's
    await admin.send("/facilitator remove REVMEN2 7001")
    await admin.press("Ya, hapus")
    assert [k for k in standin.commands if k[0] == "chat:7001"] == []
    assert "bukan fasilitator" in joined(await admin.send("/fasilitator hapus REVMEN2 7001"))
    # Bad arguments: a usage line or the problem; nothing changes.
    for command, expected in (
        ("/fasilitator tambah", "Cara pakai"),
        ("/fasilitator pindah REVMEN1 7001", "Cara pakai"),
        ("/fasilitator tambah REVMEN1 7001 7002", "Cara pakai"),
        ("/fasilitator tambah REVMEN1 abc", "<b>abc</b> bukan ID pengguna Telegram"),
        ("/fasilitator tambah REVMEN1 0", "bukan ID pengguna Telegram"),
        (
            "/fasilitator tambah REVMEN1 99999999999999999999",
            "<b>99999999999999999999</b> terlalu besar untuk ID pengguna Telegram: paling banyak "
            "4.503.599.627.370.495. Periksa lagi angkanya (ID pengguna seperti "
            "<code>123456789</code>).",
        ),
        ("/fasilitator hapus REVMEN1 4503599627370496", "terlalu besar untuk ID pengguna"),
        ("/fasilitator tambah REVMEN1 12a", "<b>12a</b> bukan ID pengguna Telegram"),
        ("/fasilitator tambah NOPE 7001", "Tidak ada angkatan dengan kode <b>NOPE</b>"),
    ):
        assert expected in joined(await admin.send(command)), command
    assert await staff_rows(cohorts) == before
    # The admin's /peserta picks the cohort first (they manage every cohort).
    out = await admin.send("/peserta")
    assert "Untuk angkatan mana?" in joined(out)
    out = await admin.press("REVMEN2")
    assert "0 dari 1 sudah bergabung" in joined(out) and "Eko Prasetyo" in joined(out)
    # In English too; nothing changes.
    in_english = bot.person(ADMIN, "Admin", language_code="en")
    assert joined(await in_english.send("/facilitator add REVMEN1 99999999999999999999")) == (
        "<b>99999999999999999999</b> is too large for a Telegram user id: 4,503,599,627,370,495 "
        "at most. Check the number (a user id looks like <code>123456789</code>)."
    )
    assert "<b>x1</b> is not a Telegram user id" in joined(
        await in_english.send("/facilitator add REVMEN1 x1")
    )
    assert await staff_rows(cohorts) == before


async def current_cohort(db: async_sessionmaker[AsyncSession], user_id: int) -> str | None:
    async with db() as session:
        person_id = await session.scalar(select(person_of(user_id)))
        if person_id is None:  # never wrote
            return None
        person = await find_participant(session, person_id)
        return person.cohort.code if person is not None else None


async def test_a_personal_link_never_takes_over_another_identity(
    bot: RunningBot, cohorts: Any
) -> None:
    rows = await roster(cohorts)
    budi = bot.person(2001, "Budi")
    await budi.send(f"/start {rows['Budi Santoso'].join_token}")
    before = await member(cohorts, 2001)
    assert before is not None
    # Budi opens Dewi's unused link: refused, nobody changes.
    out = joined(await budi.send(f"/start {rows['Dewi Lestari'].join_token}"))
    assert "sudah terdaftar di <b>Angkatan I</b> sebagai <b>Budi Santoso</b>" in out
    assert "Tidak ada yang berubah" in out
    after = await member(cohorts, 2001)
    assert after is not None and (after.full_name, after.unit) == (
        "Budi Santoso",
        "Dinas Kesehatan",
    )
    now = await roster(cohorts)
    assert now["Budi Santoso"].participant_id == before.id
    assert now["Dewi Lestari"].participant_id is None
    # Someone who joined by the code (not on the roster) cannot become Andi with his link.
    nur = bot.person(2005, "Nur", language_code="en")
    await nur.send("/start REVMEN1")
    await nur.send("Nur Aini")
    out = joined(await nur.send(f"/start {rows['Andi Wijaya'].join_token}"))
    assert "You have already joined <b>Angkatan I</b> as <b>Nur Aini</b>" in out
    n = await member(cohorts, 2005)
    assert n is not None and n.full_name == "Nur Aini"
    assert (await roster(cohorts))["Andi Wijaya"].participant_id is None
    # Someone in REVMEN2 who told the bot another name cannot become Dewi of REVMEN1 either.
    rina = bot.person(2009, "Rina")
    await rina.send("/start REVMEN2")
    await rina.send("Rina Wulan")
    out = joined(await rina.send(f"/start {rows['Dewi Lestari'].join_token}"))
    assert "atas nama orang lain" in out and "sebagai <b>Rina Wulan</b>" in out
    assert await current_cohort(cohorts, 2009) == "REVMEN2"
    # A personal link cut or retyped in the wrong case is called a link, not a code.
    wrong = rows["Dewi Lestari"].join_token.upper()
    out = joined(await rina.send(f"/start {wrong}"))
    assert "tidak dikenal. 🤔\nPastikan tautannya utuh" in out and "huruf besar/kecil" in out
    # Eko, on REVMEN2's roster, opens a REVMEN1 link of someone else: refused.
    eko = bot.person(2007, "Eko")
    await eko.send(f"/start {rows['Eko Prasetyo'].join_token}")
    out = joined(await eko.send(f"/start {rows['Dewi Lestari'].join_token}"))
    assert "atas nama orang lain" in out and "sebagai <b>Eko Prasetyo</b>" in out
    assert await current_cohort(cohorts, 2007) == "REVMEN2"
    assert (await roster(cohorts))["Dewi Lestari"].participant_id is None


async def test_a_personal_link_of_another_cohort_asks_before_moving(
    bot: RunningBot, cohorts: Any
) -> None:
    rows = await roster(cohorts)
    # Joined REVMEN2 by its code (no roster identity there), then opens Andi's REVMEN1 link.
    andi = bot.person(2008, "Andi")
    await andi.send("/start REVMEN2")
    out = joined(await andi.send(f"/start {rows['Andi Wijaya'].join_token}"))
    assert "Pindah ke <b>Angkatan I</b>?" in out
    assert "sebagai <b>Andi Wijaya</b>" in out
    assert (await roster(cohorts))["Andi Wijaya"].participant_id is None  # not yet
    out = joined(await andi.press("Ya, pindah ke REVMEN1"))
    assert "Halo, Andi Wijaya!" in out and "Selamat bergabung di <b>Angkatan I</b>" in out
    assert await current_cohort(cohorts, 2008) == "REVMEN1"
    a = await member_in(cohorts, 2008, rows["Andi Wijaya"].cohort_id)
    assert (await roster(cohorts))["Andi Wijaya"].participant_id == a


async def member_in(db: async_sessionmaker[AsyncSession], user_id: int, cohort_id: int) -> int:
    async with db() as session:
        found = await session.scalar(
            select(Participant.id).where(
                Participant.person_id == person_of(user_id), Participant.cohort_id == cohort_id
            )
        )
        assert found is not None
        return int(found)


async def test_joining_another_cohort_asks_and_says_what_happens(
    bot: RunningBot, cohorts: Any
) -> None:
    rudi = bot.person(2010, "Rudi")
    await rudi.send("/start REVMEN1")
    await rudi.press("Lewati")
    await rudi.press("Lewati")
    await rudi.send("/rencana")
    await rudi.send("Pelayanan izin selesai dalam satu hari")
    await rudi.send("Apel pagi tepat waktu")
    await rudi.press("Ya / tidak")
    await rudi.press("Setiap hari")
    await rudi.press("Simpan")
    out = joined(await rudi.send("/start REVMEN2"))
    assert "Anda sekarang terdaftar di <b>Angkatan I</b>. Pindah ke <b>Angkatan II</b>?" in out
    assert "rencana aksi, laporan, dan refleksi Anda di Angkatan I tetap tersimpan" in out
    assert "pengingat dari Angkatan I berhenti" in out
    out = joined(await rudi.press("Tetap di REVMEN1"))
    assert "Anda tetap di <b>Angkatan I</b>" in out
    assert await current_cohort(cohorts, 2010) == "REVMEN1"
    # Asked again, then something else first: the old "yes" no longer moves anyone.
    await rudi.send("/start REVMEN2")
    old = rudi.last_keyboard()
    await rudi.send("/jadwal")
    old_yes = next(b["callback_data"] for b in old[1] if "Ya, pindah" in b["text"])
    out = joined(await rudi.press_data(old[0], old_yes))
    assert "sudah batal" in out
    assert await current_cohort(cohorts, 2010) == "REVMEN1"
    # Moving, then back again: the first cohort (and its plan) is theirs again.
    await rudi.send("/start REVMEN2")
    await rudi.press("Ya, pindah ke REVMEN2")
    assert await current_cohort(cohorts, 2010) == "REVMEN2"
    out = joined(await rudi.send("/start REVMEN1"))
    assert "Anda pernah terdaftar di Angkatan I" in out
    out = joined(await rudi.press("Ya, pindah ke REVMEN1"))
    assert "Angkatan I" in out
    assert await current_cohort(cohorts, 2010) == "REVMEN1"
    assert "Apel pagi tepat waktu" in joined(await rudi.send("/lapor"))
    # The same cohort's code again asks nothing.
    assert "sudah terdaftar" in joined(await rudi.send("/start REVMEN1"))
