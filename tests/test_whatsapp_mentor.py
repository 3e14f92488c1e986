"""A participant and their mentor both on WhatsApp, end to end against the Cloud API stand-in:
the invitation is a wa.me link to Aksi's number with `GABUNG <token>` typed; the mentor who
sends it is asked, accepts with a reply button, and the participant hears of it; the plan the
participant saves goes to the mentor, who approves it with a button; a forged press by the
participant is refused."""

from __future__ import annotations

import re

import pytest

from tests.test_whatsapp_inbound import BUDI
from tests.whatsapp_world import DISPLAY_NUMBER, World, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.databases("sqlite", "postgresql")

PAK_HADI = "6281377778888"


async def test_a_mentor_on_whatsapp_accepts_and_approves_the_plan(world: World) -> None:
    world.names[PAK_HADI] = "Hadi Wijaya"
    await world.join()
    intro = "\n".join(await world.say("mentor"))
    assert "lewat Telegram" not in intro and "kirimkan kepadanya (lewat chat atau email)" in intro
    shown = "\n".join(await world.press("Buat tautan"))
    link = re.search(rf"https://wa\.me/{DISPLAY_NUMBER}\?text=GABUNG%20(m-[A-Za-z0-9_-]+)", shown)
    assert link is not None, shown
    asked = "\n".join(await world.say(f"GABUNG {link[1]}", PAK_HADI))
    assert "meminta Anda menjadi mentornya" in asked and "Budi Santoso" in asked
    accepted = "\n".join(await world.press("Terima", PAK_HADI))
    assert "Anda sekarang mentor *Budi Santoso*" in accepted
    assert "*Hadi Wijaya* menerima menjadi mentor Anda" in world.standin.texts(BUDI)[-1]
    # Budi's plan goes to Pak Hadi, who approves it with a button.
    saved = "\n".join(await world.write_plan())
    assert "Rencana aksi tersimpan" in saved
    to_mentor = "\n".join(world.standin.texts(PAK_HADI)[-2:])
    assert "Apel pagi tepat waktu" in to_mentor, to_mentor
    # Budi cannot press his mentor's approval himself (the same button's data, forged).
    approve = next(
        b["reply"]
        for d in reversed(world.standin.sent)
        if d.get("to") == PAK_HADI
        for b in d.get("interactive", {}).get("action", {}).get("buttons", [])
        if "Setujui" in b["reply"]["title"]
    )
    forged = await world.write(
        {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": approve}}
    )
    assert forged == [
        "Rencana ini tidak bisa diputuskan lagi (sudah diputuskan, sudah diganti versi baru, atau "
        "Anda bukan mentornya). Tidak ada yang diubah."
    ]
    approved = "\n".join(await world.press("Setujui", PAK_HADI))
    assert "disetujui" in approved.lower(), approved
    assert "*Hadi Wijaya* menyetujui rencana aksi Anda" in world.standin.texts(BUDI)[-1]
