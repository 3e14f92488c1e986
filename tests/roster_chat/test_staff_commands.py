"""In the chat: /peserta and its buttons, /fasilitator (end to end, the real bot polling the
Bot API stand-in on loopback)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.standin import BotApiStandIn
from core.roster import parse_roster
from tests.harness import (
    Person,
    RunningBot,
    joined,
    texts,
)
from tests.roster_chat.rostering import (
    ADMIN,
    FACILITATOR,
    OTHER_FACILITATOR,
    ROSTER,
    STAFF_ONLY,
    STALE,
    alerts,
    member,
    roster,
    staff_rows,
)

pytestmark = pytest.mark.channels("telegram", "memory")


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
