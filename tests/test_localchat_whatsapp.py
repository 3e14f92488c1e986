"""`aksi chat --channel whatsapp`: the local chat as a WhatsApp participant sees Aksi — the real
WhatsApp channel sending to the Cloud API stand-in, what is typed posted signed to the real
webhook routes, all on loopback. Joining by the invitation's words, WhatsApp's bold, a reply
button pressed by `#1`, a list, keywords instead of commands, a facilitator's chart as a picture,
an announcement reaching the participant while the facilitator types."""

from __future__ import annotations

import io

from bot.localchat import LocalChat
from bot.settings import Settings
from tests.test_localchat import Script


async def test_a_whatsapp_participant_joins_answers_asks_and_is_reached(db_url: str) -> None:
    out = io.StringIO()
    lines = [
        "/start",
        "#1",  # the name from the WhatsApp profile, a reply button
        "#1",  # no unit
        "jadwal",  # a keyword, no slash
        ":fasilitator",
        "rekap",  # with its chart: a picture uploaded to the stand-in as Meta takes it
        "/umumkan",
        "Rapat koordinasi besok pukul 09.00",
        "#1",  # send now
        "wait:✉ (untuk / to Budi) 📢 *Pengumuman*",
        ":peserta",
        "progres",
    ]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db_url, aksi_reminder_tick_seconds=0
    )
    local = LocalChat(settings, channel="whatsapp", stdin=Script(lines, out), stdout=out)
    await local.run()
    text = out.getvalue()
    assert "(tautan undangan / invitation link: ?text=GABUNG%20DEMO)" in text
    assert "Selamat bergabung di *Pelatihan Revolusi Mental Angkatan I (demo)*." in text
    assert "[#1] Pakai «Budi»\n      [#2] Lewati" in text  # reply buttons
    assert "👤 Nama: Budi\n" in text
    assert "      [Pilih]\n      [#1] ✍️ Tulis rencana aksi s… — ✍️ Tulis rencana aksi" in text
    assert "Anda> jadwal\nAksi> 🗓 *Jadwal Pelatihan Revolusi Mental Angkatan I (demo)*" in text
    assert "Aksi> [photo: gambar.png, " in text
    assert "📊 Penyelesaian 7 hari per peserta, yang terendah di atas." in text
    assert "Penerima: *9* peserta" in text
    assert "✉ (untuk / to Budi) 📢 *Pengumuman* · Pelatihan Revolusi Mental" in text
    after = text.split("(sekarang Anda / you are now: Budi, id 1001)", 1)[1]
    answer = after.split("Anda> progres", 1)[1]  # the report to Sari may come first
    assert "Aksi> Anda belum punya rencana aksi. Tulis dulu dengan /rencana" in answer
