"""End to end: the real Application polling the Bot API stand-in over HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.standin import BotApiStandIn
from core.htmlsplit import visible_length
from core.imports import apply_materials, apply_schedule, parse_materials, parse_schedule
from storage.models import Participant, Session
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, RunningBot, joined, settings_for, start_bot, texts

pytestmark = [
    pytest.mark.databases("sqlite", "postgresql"),
    pytest.mark.channels("telegram", "memory"),
]

# Friday 3 September 2021, 09:00 WITA: the second day of the cohort.
NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
SCHEDULE = """date,start,end,title,speaker,link
2021-09-02,08:30,12:00,Pembukaan dan Orientasi,"Dr. Andi Pratama, M.Si.",https://zoom.example/j/1
2021-09-02,13:30,15:30,Kebijakan Nasional Revolusi Mental,Dra. Sri Wahyuni,https://zoom.example/j/1
2021-09-03,08:30,12:00,Integritas & Etos Kerja,Dr. Andi Pratama,https://zoom.example/j/2
2021-09-03,13:30,15:30,Gotong Royong,,https://zoom.example/j/2
2021-09-06,08:30,12:00,Indonesia Melayani,Dr. Budi,https://zoom.example/j/3
2021-09-07,08:30,12:00,Indonesia Bersih,Dr. Budi,
2021-09-09,08:30,12:00,Agen Perubahan,Dr. Citra,https://zoom.example/j/4
2021-09-10,08:30,12:00,Penyusunan Rencana Aksi,Dr. Citra,https://zoom.example/j/4
"""
MATERIALS = """module,title,url
Modul 1 — Wawasan Revolusi Mental,Bahan Ajar (PDF),https://elearning.example/m1.pdf
Modul 1 — Wawasan Revolusi Mental,Video Pengantar,https://elearning.example/m1-video
Modul 2 — Integritas,"Lembar Kerja, Rencana Aksi",https://elearning.example/m2.docx
"""
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


@pytest.fixture
async def cohort_db(db: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    cohort = await make_cohort(db)
    async with db.begin() as session:
        await apply_schedule(session, cohort, parse_schedule(SCHEDULE.encode(), cohort))
        await apply_materials(session, cohort, parse_materials(MATERIALS.encode()))
    return db


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, cohort_db: Any, clock: Clock, chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), clock)
    yield running
    await running.stop()


async def participants(db: async_sessionmaker[AsyncSession]) -> list[Participant]:
    async with db() as session:
        return list((await session.scalars(select(Participant))).all())


async def test_join_by_link_then_profile(bot: RunningBot, cohort_db: Any) -> None:
    budi = bot.person(1001, "Budi", last_name="Santoso")
    out = await budi.send("/start REVMEN1")
    greeting, question = texts(out)
    assert "Halo, Budi!" in greeting and "<b>Angkatan I</b>" in greeting
    assert "/jadwal" in greeting and "/materi" in greeting
    assert "nama lengkap" in question
    out = await budi.press("Budi Santoso")
    assert "unit kerja (OPD)" in joined(out)
    out = await budi.send("Dinas Kesehatan Kota Bontang")
    assert "Budi Santoso" in joined(out) and "Dinas Kesehatan Kota Bontang" in joined(out)
    [p] = await participants(cohort_db)
    assert (p.full_name, p.unit, p.awaiting) == (
        "Budi Santoso",
        "Dinas Kesehatan Kota Bontang",
        "offer_plan:20210903",  # then the plan offer waits, today, for a tap or a title
    )


async def test_join_by_typed_code_and_skip_profile(bot: RunningBot, cohort_db: Any) -> None:
    siti = bot.person(1002, "Siti")
    out = await siti.send("/start")
    assert "kode angkatan" in joined(out)
    out = await siti.send("  revmen1 ")
    assert "Selamat bergabung di <b>Angkatan I</b>" in joined(out)
    await siti.press("Lewati")
    out = await siti.press("Lewati")
    assert "(belum diisi)" in joined(out)
    [p] = await participants(cohort_db)
    assert p.full_name is None and p.unit is None and p.awaiting == "offer_plan:20210903"


async def test_wrong_code(bot: RunningBot, cohort_db: Any) -> None:
    ani = bot.person(1003, "Ani")
    assert "Kode <b>NOPE1</b> tidak ditemukan" in joined(await ani.send("/start NOPE1"))
    assert "Kode <b>SALAH</b> tidak ditemukan" in joined(await ani.send("SALAH"))
    assert "kode angkatan" in joined(await ani.send("halo, saya mau ikut"))
    assert "kode angkatan" in joined(await ani.send("/jadwal"))
    assert await participants(cohort_db) == []


async def test_a_cohort_on_whatsapp_only_is_not_joined_here(
    bot: RunningBot, cohort_db: async_sessionmaker[AsyncSession]
) -> None:
    """A cohort the organiser runs on WhatsApp only: its code, by link or typed, is answered
    with where to join, and nobody joins; a cohort on both is joined as ever."""
    await make_cohort(cohort_db, code="WAONLY", name="Angkatan WA", channels="whatsapp")
    ani = bot.person(1003, "Ani")
    refusal = "<b>Angkatan WA</b> diikuti lewat WhatsApp, bukan lewat aplikasi ini"
    assert refusal in joined(await ani.send("/start WAONLY"))
    assert refusal in joined(await ani.send("waonly"))
    assert await participants(cohort_db) == []
    assert "Selamat bergabung" in joined(await ani.send("/start REVMEN1"))
    assert refusal in joined(await ani.send("/start WAONLY"))  # no move offered either
    assert [p.cohort_id for p in await participants(cohort_db)] == [1]


async def test_joining_twice_changes_nothing(bot: RunningBot, cohort_db: Any) -> None:
    budi = bot.person(1001, "Budi")
    await budi.send("/start REVMEN1")
    await budi.send("Budi Santoso, S.Sos.")
    out = await budi.send("/start REVMEN1")
    assert "sudah terdaftar" in joined(out)
    [p] = await participants(cohort_db)
    assert p.full_name == "Budi Santoso, S.Sos." and p.awaiting == "unit"


async def test_schedule_of_wita_cohort_read_in_wib(bot: RunningBot) -> None:
    rina = bot.person(1004, "Rina")
    await rina.send("/start REVMEN1")
    out = await rina.send("/pengaturan")
    assert "WITA (Asia/Makassar)" in joined(out)
    out = await rina.press("WIB")
    edited = [r for r in out if r.method == "editMessageText"]
    assert edited and "WIB (Asia/Jakarta)" in (edited[0].text or "")
    [body] = texts(await rina.send("/jadwal"))
    assert "5 sesi berikutnya · waktu WIB" in body
    day = DAYS_ID[datetime(2021, 9, 3).weekday()]
    assert f"<b>{day}, 3 September 2021</b>\n07.30–11.00 WIB · 🔴 sedang berlangsung" in body
    assert "12.30–14.30 WIB · 📍 hari ini\nGotong Royong" in body
    assert "Integritas &amp; Etos Kerja" in body
    assert "Pembukaan" not in body  # over already
    assert "Senin, 6 September 2021</b>\n07.30–11.00 WIB\nIndonesia Melayani" in body
    assert "Agen Perubahan" in body
    assert "Penyusunan Rencana Aksi" not in body  # the sixth waits for /jadwal semua
    assert 'href="https://zoom.example/j/2"' in body
    assert "/jadwal semua" in body


async def test_schedule_all_and_when_none_left(bot: RunningBot, clock: Clock) -> None:
    rina = bot.person(1004, "Rina")
    await rina.send("/start REVMEN1")
    body = joined(await rina.send("/jadwal semua"))
    assert "8 sesi · waktu WITA" in body and body.count("✔️ selesai") == 2
    assert "Penyusunan Rencana Aksi" in body
    assert "Gunakan" not in joined(await rina.send("/jadwal SEMUA"))
    assert "/jadwal semua untuk seluruh jadwal" in joined(await rina.send("/jadwal besok"))
    clock.now = datetime(2021, 10, 26, tzinfo=UTC)
    assert "sudah selesai" in joined(await rina.send("/jadwal"))


async def test_materials_grouped_by_module(bot: RunningBot) -> None:
    rina = bot.person(1004, "Rina")
    await rina.send_and_wait("/start REVMEN1", 2)  # the welcome and the name question
    [body] = texts(await rina.send("/materi"))
    assert body.index("Modul 1 — Wawasan") < body.index("Modul 2 — Integritas")
    assert '• <a href="https://elearning.example/m1.pdf">Bahan Ajar (PDF)</a>' in body
    assert "Lembar Kerja, Rencana Aksi" in body


async def test_language_switch_and_english_client(bot: RunningBot) -> None:
    budi = bot.person(1001, "Budi")
    await budi.send("/start REVMEN1")
    assert "from now on I'll write in English" in joined(await budi.send("/bahasa en"))
    body = joined(await budi.send("/schedule"))
    assert "Friday, 3 September 2021" in body and "08:30–12:00 WITA · 🔴 under way" in body
    assert "not available" in joined(await budi.send("/language fr"))
    assert "Bahasa Indonesia" in joined(await budi.send("/language id"))
    assert "Jumat, 3 September 2021" in joined(await budi.send("/jadwal"))
    # Someone whose Telegram app is in English is greeted in English from the start.
    john = bot.person(1005, "John", language_code="en")
    assert "Welcome to <b>Angkatan I</b>" in joined(await john.send("/start REVMEN1"))
    # /bahasa without a value offers buttons.
    out = await budi.send("/bahasa")
    assert out[-1].reply_markup is not None
    assert "English" in joined(await budi.press("English"))


async def test_help_and_unknown_input(bot: RunningBot, standin: BotApiStandIn) -> None:
    stranger = bot.person(1006, "Joko")
    assert "kode angkatan" in joined(await stranger.send("/bantuan"))
    assert "kode angkatan" in joined(await stranger.send_sticker())
    assert "kode angkatan" in joined(await stranger.send_photo())  # no evidence without a cohort
    budi = bot.person(1001, "Budi")
    await budi.send("/start REVMEN1")
    await budi.press("Lewati")
    await budi.press("Lewati")
    # Text typed under the plan offer may be a title: asked, never taken unawares.
    asked = joined(await budi.send("apa kabar?"))
    assert "Jadikan «<b>apa kabar?</b>» judul rencana aksi Anda?" in asked
    await budi.press("Bukan")
    await budi.press("Nanti saja")
    assert "/jadwal" in joined(await budi.send("/bantuan"))
    assert "Perintah /entahlah tidak saya kenal" in joined(await budi.send("/entahlah"))
    assert "/bantuan" in joined(await budi.send("apa kabar?"))
    assert "/bantuan" in joined(await budi.send_sticker())
    assert "disimpan sebagai bukti" in joined(await budi.send_photo())  # evidence now
    # Nothing is being asked: a long text gets the same pointer to /bantuan, no made-up limit.
    long = joined(await budi.send("x" * 3000))
    assert "/bantuan" in long and "karakter" not in long


async def test_profile_answers_are_checked(bot: RunningBot, cohort_db: Any) -> None:
    budi = bot.person(1001, "Budi")
    await budi.send("/start REVMEN1")
    assert "tidak tampak seperti nama" in joined(await budi.send("12345678"))
    assert "paling banyak 100 karakter" in joined(await budi.send("A" * 150))
    assert "tidak tampak seperti nama" in joined(await budi.send("<b>bold</b>"))
    await budi.send("Budi")
    [p] = await participants(cohort_db)
    assert p.full_name == "Budi" and p.awaiting == "unit"


async def test_forged_and_stale_buttons_change_nothing(
    bot: RunningBot, cohort_db: Any, standin: BotApiStandIn
) -> None:
    budi = bot.person(1001, "Budi")
    await budi.send("/start REVMEN1")
    await budi.send("Budi Santoso")
    await budi.send("Bappeda")
    # Pressed under the plan offer that joining ends with (it waits for a typed title): forged
    # and stale presses leave it waiting too.
    message_id = budi.last_message_id()
    for forged in [
        "set:tz:XYZ",
        "set:lang:fr",
        "set:edit:nip",
        "set:tz",
        "garbage",
        "onb:tgname:",  # the name question was answered already: a stale button
        "onb:skip:unit",
        "set:tz:WIB:extra",
        "x" * 64,
    ]:
        out = await budi.press_data(message_id, forged)
        alerts = [r for r in out if r.method == "answerCallbackQuery"]
        assert alerts and "tidak berlaku" in (alerts[0].text or ""), forged
        assert not [r for r in out if r.method in ("sendMessage", "editMessageText")], forged
    [p] = await participants(cohort_db)
    assert (p.timezone, p.language, p.full_name, p.unit, p.awaiting) == (
        None,
        "id",  # from the Telegram app's language at joining
        "Budi Santoso",
        "Bappeda",
        "offer_plan:20210903",
    )
    # A stranger with a forging client "presses" a settings button under the bot's question.
    eko = bot.person(1009, "Eko")
    asked = await eko.send("/start")
    assert asked[0].message_id is not None
    out = await eko.press_data(asked[0].message_id, "set:tz:WIB")
    assert out[0].method == "answerCallbackQuery"
    assert "kode angkatan" in (out[0].text or "")
    assert len(await participants(cohort_db)) == 1


@pytest.mark.channels("telegram")  # Telegram's command menus
async def test_command_menus_in_both_languages(bot: RunningBot, standin: BotApiStandIn) -> None:
    calls = [p for method, p in standin.requests if method == "setMyCommands"]
    by_language = {c.get("language_code"): [x["command"] for x in c["commands"]] for c in calls}
    assert by_language[None][:5] == ["lapor", "rencana", "progres", "pengingat", "jadwal"]
    assert by_language["en"][:5] == ["checkin", "plan", "progress", "reminders", "schedule"]
    assert len(by_language[None]) == len(by_language["en"]) == 22
    assert "kuis" in by_language[None] and "quiz" in by_language["en"]
    assert "tahapan" in by_language[None] and "milestones" in by_language["en"]
    assert "bukti" in by_language[None] and "evidence" in by_language["en"]
    assert "konsultasi" in by_language[None] and "consultation" in by_language["en"]
    descriptions = {c.get("language_code"): c["commands"][0]["description"] for c in calls}
    assert descriptions == {None: "Laporkan kebiasaan hari ini", "en": "Log today's habits"}


async def test_menu_failure_is_logged_and_bot_keeps_running(
    standin: BotApiStandIn, db_url: str, cohort_db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    running = RunningBot(standin, settings_for(standin, db_url), clock=Clock(NOW))
    await running.start()
    try:
        out = await running.person().send("/start REVMEN1")
        assert "Selamat bergabung" in joined(out)
    finally:
        await running.stop()
    assert any("could not register the command menu" in r.message for r in caplog.records)


async def test_long_schedule_is_split_to_fit_telegram(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    cohort = await make_cohort(db)
    rows = ["date,start,end,title,speaker,link"]
    for day in range(2, 30):
        for start, end in (("08:00", "10:00"), ("10:30", "12:00"), ("13:30", "15:30")):
            rows.append(
                f"2021-09-{day:02d},{start},{end},Sesi panjang dengan judul yang cukup"
                f" deskriptif nomor {day}-{start},Narasumber,https://zoom.example/j/{day}"
            )
    async with db.begin() as session:
        await apply_schedule(session, cohort, parse_schedule("\n".join(rows).encode(), cohort))
    running = RunningBot(standin, settings_for(standin, db_url), clock=Clock(NOW))
    await running.start()
    try:
        person = running.person()
        await person.send("/start REVMEN1")
        out = texts(await person.send("/jadwal semua"))
    finally:
        await running.stop()
    # Telegram's limit counts the text shown, not the HTML (a link's address is not shown).
    assert len(out) >= 2 and all(visible_length(t) <= 4096 for t in out)
    assert sum(t.count("Sesi panjang") for t in out) == 84
    # Cut between sessions (at blank lines), never inside one.
    assert all(t.endswith("</a>\n\n") or t is out[-1] for t in out)


async def test_restart_keeps_everyone_and_answers_what_came_while_down(
    standin: BotApiStandIn, db_url: str, cohort_db: Any
) -> None:
    first = RunningBot(standin, settings_for(standin, db_url), clock=Clock(NOW))
    await first.start()
    for uid, name in [(2001, "Ayu"), (2002, "Bayu"), (2003, "Citra")]:
        await first.person(uid, name).send("/start REVMEN1")
    await first.stop()
    # Sent while the bot is down: must be answered after the restart, not dropped.
    mark = standin.mark()
    standin.push_message(2001, "/jadwal", first_name="Ayu")
    second = RunningBot(standin, settings_for(standin, db_url), clock=Clock(NOW))
    await second.start()
    try:
        out = await standin.wait_quiet(2001, since=mark)
        assert "5 sesi berikutnya" in joined(out)
        out = await second.person(2002, "Bayu").send("/start REVMEN1")
        assert "sudah terdaftar" in joined(out)
    finally:
        await second.stop()
    async with cohort_db() as session:
        assert await session.scalar(select(func.count()).select_from(Participant)) == 3
        assert await session.scalar(select(func.count()).select_from(Session)) == 8


@pytest.mark.channels("telegram")  # Telegram's error handler (the engine's: test_features_memory)
@pytest.mark.expected_errors  # a handler raises on purpose
async def test_a_failure_is_answered_with_an_apology_in_the_readers_language(
    bot: RunningBot,
) -> None:
    async def boom(update: object, context: object) -> None:
        raise RuntimeError("boom")

    bot.app.add_handler(CommandHandler("boom", boom), group=-5)
    bot.app.add_handler(CallbackQueryHandler(boom, pattern="^boom:"), group=-5)
    ana = bot.person(1007, "Ana", language_code="en")
    assert "Sorry, something went wrong" in joined(await ana.send("/boom"))
    await ana.send("/help")
    out = await ana.press_data(ana.last_message_id(), "boom:1")
    # (The stale-button answer of the ordinary handlers follows in their own group.)
    [answer] = [r for r in out if r.method == "answerCallbackQuery" and "Sorry" in (r.text or "")]
    assert answer.text == "Sorry, something went wrong on our side. Please try again in a moment."
    assert answer.params.get("show_alert") is True
