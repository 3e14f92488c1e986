"""The local chat in this process, on the in-memory channel (its default) and through the
Telegram bot and the Bot API stand-in (`--telegram`): `#2` presses button 2, a bare `2` is text
— so the answer to an open question is never taken for a button, even when the question has
buttons; a facilitator's announcement reaches the participant; a file is sent and read."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from bot.localchat import LocalChat
from bot.settings import Settings

MATERIALS = Path(__file__).parent.parent / "bot" / "demo" / "materials.csv"
pytestmark = pytest.mark.parametrize("telegram", [False, True], ids=["memory", "telegram"])


async def chat(db_url: str, lines: list[str], telegram: bool) -> str:
    out = io.StringIO()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db_url, aksi_reminder_tick_seconds=0
    )
    local = LocalChat(
        settings,  # no token: nothing leaves this process but loopback
        telegram=telegram,
        stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
        stdout=out,
    )
    await local.run()
    return out.getvalue()


async def test_a_number_answers_the_question_and_hash_number_presses_a_button(
    db_url: str, telegram: bool
) -> None:
    out = await chat(
        db_url,
        [
            "/start",
            "Budi Santoso",  # the name question (buttons: Telegram name, skip) typed
            "Dinas Kominfo",
            "/rencana",
            "Budaya membaca di kantor",
            "Membaca regulasi",
            "2",  # the kind of habit has buttons only: a bare number is text, not button 2
            "#2",  # now button 2: a number with a target
            "halaman",
            "2",  # the target, although the question has buttons [#1] back [#2] cancel
            "#1",  # every day
            "#9",
        ],
        telegram,
    )
    assert "buttons: type # and their number, e.g. #1" in out  # the rule, in the banner
    assert "[#1] Pakai «Budi»\n      [#2] Lewati" in out
    assert "Anda> 2\nAksi> Pilih salah satu tombol di atas, atau ketik /batal" in out
    assert "1. Membaca regulasi — 2 halaman — Setiap hari" in out
    assert "Dibatalkan" not in out
    assert "(tidak ada tombol itu / no such button: #1–#" in out


class Script(io.StringIO):
    """Standard input typed by a person who, at a `wait:` line, waits until the terminal shows
    what follows it (as a person waits for a message) before typing on."""

    def __init__(self, lines: list[str], shown: io.StringIO) -> None:
        super().__init__("".join(f"{line}\n" for line in lines))
        self.shown = shown

    def readline(self, size: int | None = -1) -> str:
        line = super().readline()
        while line.startswith("wait:"):
            expected, deadline = line[5:].strip(), time.monotonic() + 20
            while expected not in self.shown.getvalue():
                assert time.monotonic() < deadline, f"never shown: {expected}"
                time.sleep(0.02)
            line = super().readline()
        return line


async def test_the_facilitator_announces_sends_a_file_and_the_participant_is_reached(
    db_url: str, telegram: bool, tmp_path: Path
) -> None:
    missing = tmp_path / "tidak-ada.csv"
    out = io.StringIO()
    lines = [
        "/start",
        "#2",  # no full name
        "#1",  # no unit
        ":fasilitator",
        f":kirim {MATERIALS}",
        f":kirim {missing}",
        "/umumkan",
        "Rapat koordinasi besok pukul 09.00",
        "#1",  # send now
        "wait:✉ (untuk / to Budi) 📢 Pengumuman",
        ":peserta",
        "/jadwal",
    ]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db_url, aksi_reminder_tick_seconds=0
    )
    local = LocalChat(settings, telegram=telegram, stdin=Script(lines, out), stdout=out)
    await local.run()
    text = out.getvalue()
    assert "(sekarang Anda / you are now: Sari (fasilitator), id 1002)" in text
    assert "Aksi> ✅ Materi DEMO diperbarui dari «materials.csv» (21 materi di berkas)." in text
    assert "(berkas tidak terbaca / cannot read the file: No such file or directory)" in text
    assert "Penerima: 9 peserta" in text  # the eight of the demo roster and Budi
    # The announcement reached Budi while Sari was typing: one line, in Sari's terminal.
    assert "✉ (untuk / to Budi) 📢 Pengumuman · Pelatihan Revolusi Mental" in text
    after = text.split("(sekarang Anda / you are now: Budi, id 1001)", 1)[1]
    assert "Aksi> 🗓 Jadwal Pelatihan Revolusi Mental Angkatan I (demo)" in after
    assert "Aksi> 📢 Pengumuman" not in after  # shown once, as the ✉ line, not again


async def test_the_demo_mentor_approves_a_plan_and_the_participant_can_ask_theirs(
    db_url: str, telegram: bool
) -> None:
    out = io.StringIO()
    lines = [
        "/start",
        "#2",  # no full name
        "#1",  # no unit
        ":mentor",
        "/mentor",
        "#1",  # approve the plan shown last
        "/mentor",
        ":peserta",
        "/mentor",
        "#1",  # a link for my mentor
    ]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db_url, aksi_reminder_tick_seconds=0
    )
    local = LocalChat(settings, telegram=telegram, stdin=Script(lines, out), stdout=out)
    await local.run()
    text = out.getvalue()
    assert "(sekarang Anda / you are now: Hendra (mentor), id 1003)" in text
    first, second = text.split("Anda> #1\n  ⓘ Tersimpan ✅\nAksi (diperbarui)> ✅ Rencana", 1)
    assert "Binaan Anda (2):" in first and "<b>" not in first  # markup shown as text
    assert first.count("mengirim rencana aksi untuk Anda setujui") == 2
    assert "Rencana aksi Sri\n      1. Minum air 8 gelas — Setiap hari" in first
    assert second.startswith(" aksi Andi Pratama, S.Kom. disetujui")
    mentor_again = second.split("Anda> /mentor", 1)[1].split(":peserta", 1)[0]
    assert mentor_again.count("mengirim rencana aksi untuk Anda setujui") == 1  # Sri's waits
    assert "Andi Pratama, S.Kom. (Pelatihan" not in mentor_again
    participant = text.split("(sekarang Anda / you are now: Budi, id 1001)", 1)[1]
    assert "Anda belum punya mentor" in participant
    assert "?start=m-" in participant  # the link to give Hendra (`/start m-…` as him)


async def test_the_demo_has_a_session_under_way_an_evaluation_and_a_quiz(
    db_url: str, telegram: bool
) -> None:
    out = io.StringIO()
    lines = [
        "/start",
        "#2",  # no full name
        "#1",  # no unit
        "/hadir",
        "/evaluasi",
        "/kuis",
        "#1",  # start the pre-test
        "#1",  # A: right
        "#2",  # B: wrong
        "#1",  # A: right, the last
        ":fasilitator",
        "/presensi",
        "/hasilevaluasi",
        "/hasilkuis",
        "/tanya Materi hari ini? | Jelas | Bingung",
        "wait:✉ (untuk / to Budi)",
        ":peserta",  # the question came while Budi was Sari: shown whole, its buttons live
        "#1",
        ":fasilitator",  # Sari's live view changed meanwhile: shown as it is now
    ]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db_url, aksi_reminder_tick_seconds=0
    )
    local = LocalChat(settings, telegram=telegram, stdin=Script(lines, out), stdout=out)
    await local.run()
    text = out.getvalue()
    participant, facilitator, back, again = text.split("(sekarang Anda / you are now: ", 3)
    assert facilitator.startswith("Sari (fasilitator)") and again.startswith("Sari")
    assert "Sesi demo: Menyusun Rencana Aksi" in participant
    assert "hadir" in participant.split("Anda> /hadir", 1)[1].split("Anda> /evaluasi")[0]
    assert "Evaluasi penyelenggaraan: 0/6" in participant
    assert "Tiga nilai strategis revolusi mental adalah?" in participant
    assert "Skor Anda: 2/3 benar (67%)" in participant
    assert "selesai 6/9" in facilitator  # the evaluation: six made-up answers, Budi not yet
    assert "Pre-test — Revolusi Mental" in facilitator and "selesai 9/9" in facilitator
    assert "0 dari 9 peserta menjawab" in facilitator
    # Reached while Sari types: as Telegram's own poll, or with buttons in the memory chat.
    reached = "Materi hari ini?" if telegram else "📊 Pertanyaan cepat"
    assert f"✉ (untuk / to Budi) {reached}" in facilitator
    # Back as Budi: the question shown whole, and #1 answers it; back as Sari: her view, now.
    assert back.startswith("Budi")
    assert "Materi hari ini?\n      [#1] Jelas\n      [#2] Bingung" in back
    chosen = "chosen in the poll: Jelas" if telegram else "Jawaban Anda: Jelas"
    assert chosen in back
    assert "1 dari 9 peserta menjawab" in again and "[#1] 🔄 Perbarui" in again
