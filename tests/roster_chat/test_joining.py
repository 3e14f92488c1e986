"""In the chat: joining with a personal link, never taking over another identity, and moving
to another cohort only when asked (end to end, the real bot polling the Bot API stand-in on
loopback)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.participants import find_participant
from storage.models import Participant
from tests.harness import (
    RunningBot,
    joined,
    texts,
)
from tests.people import person_of
from tests.roster_chat.rostering import (
    member,
    roster,
)

pytestmark = pytest.mark.channels("telegram", "memory")


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
    assert "sudah dipakai oleh akun lain" in refused and "fasilitator" in refused
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
