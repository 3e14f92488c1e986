"""The local chat in this process: `#2` presses button 2, a bare `2` is text — so the answer to
an open question is never taken for a button, even when the question has buttons."""

from __future__ import annotations

import io

from bot.localchat import LocalChat
from bot.settings import Settings


async def chat(db_url: str, lines: list[str]) -> str:
    out = io.StringIO()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db_url, aksi_reminder_tick_seconds=0
    )
    local = LocalChat(
        settings,  # no token: the local chat brings its own Bot API stand-in
        stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
        stdout=out,
    )
    await local.run()
    return out.getvalue()


async def test_a_number_answers_the_question_and_hash_number_presses_a_button(
    db_url: str,
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
    )
    assert "buttons: type # and their number, e.g. #1" in out  # the rule, in the banner
    assert "[#1] Pakai «Budi»\n      [#2] Lewati" in out
    assert "Anda> 2\nAksi> Pilih salah satu tombol di atas, atau ketik /batal" in out
    assert "1. Membaca regulasi — 2 halaman — Setiap hari" in out
    assert "Dibatalkan" not in out
    assert "(tidak ada tombol itu / no such button: #1–#" in out
