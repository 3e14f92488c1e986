"""What people met when they first tried Aksi: the Telegram-name button, the name question
from /pengaturan, text typed where only buttons answer, and the main menu."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.standin import BotApiStandIn, Outgoing
from core.cohorts import get_cohort
from core.participants import name_from_telegram
from core.staff import add_facilitator
from storage.models import Announcement, CheckIn, Participant, PlanDraft
from tests.conftest import make_cohort
from tests.harness import Clock, MemoryBot, Person, RunningBot, joined, settings_for, start_bot
from tests.people import new_person, person_of
from tests.planning import joined_person

pytestmark = pytest.mark.channels("telegram", "memory")

# Friday 3 September 2021, 09:00 WITA: the second day of the cohort.
NOW = datetime(2021, 9, 3, 1, 0, tzinfo=UTC)
FACILITATOR = 9001


@pytest.fixture
async def bot(
    standin: BotApiStandIn, db_url: str, db: async_sessionmaker[AsyncSession], chat_kind: str
) -> AsyncIterator[RunningBot | MemoryBot]:
    await make_cohort(db)
    async with db.begin() as session:
        facilitator = await new_person(session, FACILITATOR, chat_kind)
        await add_facilitator(session, await get_cohort(session, "REVMEN1"), facilitator)
    running = await start_bot(chat_kind, standin, settings_for(standin, db_url), Clock(NOW))
    yield running
    await running.stop()


async def member(db: async_sessionmaker[AsyncSession], user_id: int) -> Participant:
    async with db() as session:
        found = await session.scalar(
            select(Participant).where(Participant.person_id == person_of(user_id))
        )
    assert found is not None
    return found


def buttons(records: list[Outgoing]) -> list[str]:
    """The labels of the buttons under the last message that has some."""
    for record in reversed(records):
        rows = (record.reply_markup or {}).get("inline_keyboard")
        if rows:
            return [b["text"] for row in rows for b in row]
    return []


def alerts(records: list[Outgoing]) -> list[str]:
    return [r.text or "" for r in records if r.method == "answerCallbackQuery"]


def sent(records: list[Outgoing]) -> list[Outgoing]:
    return [r for r in records if r.method in ("sendMessage", "editMessageText")]


# --- The Telegram name as a name -------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "name"),
    [
        ("Budi 🙂", "Budi"),
        ("<Sari>", "Sari"),
        ("user123456", "user"),
        ("Dr. Siti Aminah, M.Si. 🇮🇩", "Dr. Siti Aminah, M.Si."),
        ("Ni_Luh #Putu", "Ni Luh Putu"),
        ("B", None),
        ("🙂🙂", None),
        ("12345", None),
    ],
)
def test_telegram_name_is_cleaned_into_a_name_or_none(display: str, name: str | None) -> None:
    assert name_from_telegram(display) == name


@pytest.mark.parametrize(
    ("display", "saved"), [("Budi 🙂", "Budi"), ("<Sari>", "Sari"), ("user123456", "user")]
)
async def test_telegram_name_button_saves_the_name_it_shows(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], display: str, saved: str
) -> None:
    person = bot.person(1001, display)
    out = await person.send("/start REVMEN1")
    assert buttons(out) == [f"Pakai «{saved}»", "Lewati"]
    out = await person.press(f"Pakai «{saved}»")
    assert alerts(out) == ["Tersimpan ✅"]
    assert "tidak tampak seperti nama" not in joined(out)
    assert "unit kerja (OPD)" in joined(out)
    p = await member(db, 1001)
    assert (p.full_name, p.awaiting) == (saved, "unit")


async def test_no_telegram_name_button_when_it_makes_no_name(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    for user_id, display in ((1001, "B"), (1002, "🙂🙂")):
        out = await bot.person(user_id, display).send("/start REVMEN1")
        assert buttons(out) == ["Lewati"]
        assert (await member(db, user_id)).awaiting == "full_name"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("id", "Nama profil Anda tidak bisa dipakai sebagai nama lengkap"),
        ("en", "Your profile name can't be used as your full name"),
    ],
)
async def test_telegram_name_unusable_since_the_button_says_one_thing(
    bot: RunningBot, db: async_sessionmaker[AsyncSession], language: str, said: str
) -> None:
    """Renamed to emoji after the button was shown: one clear answer, never "saved" and then a
    refusal; the question stays open and nothing is saved."""
    person = bot.person(1001, "Budi", language_code=language)
    out = await person.send("/start REVMEN1")
    label = buttons(out)[0]
    person.first_name = "🙂"
    out = await person.press(label)
    assert len(alerts(out)) == 1 and said in alerts(out)[0]
    assert sent(out) == []
    p = await member(db, 1001)
    assert (p.full_name, p.awaiting) == (None, "full_name")
    await person.send("Budi Santoso")  # typing the name still answers the question
    assert (await member(db, 1001)).full_name == "Budi Santoso"


# --- The name question from /pengaturan ------------------------------------------------------


async def joined_member(bot: RunningBot, user_id: int = 1001, **profile: Any) -> Person:
    person = bot.person(user_id, profile.pop("first_name", "Budi 🙂"), **profile)
    await person.send("/start REVMEN1")
    await person.send("Budi Santoso")
    await person.send("Bappeda")
    return person


@pytest.mark.parametrize(
    ("language", "settings", "change", "keep", "unchanged"),
    [
        (
            "id",
            "/pengaturan",
            "Ubah nama",
            "✖️ Batal, biarkan seperti ini",
            "Tidak ada yang diubah.",
        ),
        ("en", "/settings", "Change name", "✖️ Cancel, keep it as it is", "Nothing changed."),
    ],
)
async def test_name_question_from_settings_offers_the_buttons_it_mentions(
    bot: RunningBot,
    db: async_sessionmaker[AsyncSession],
    language: str,
    settings: str,
    change: str,
    keep: str,
    unchanged: str,
) -> None:
    person = await joined_member(bot, language_code=language)
    await person.send(settings)
    out = await person.press(change)
    use = "Pakai «Budi»" if language == "id" else "Use «Budi»"
    assert buttons(out) == [use, keep]
    # Cancel: nothing changes, the settings show again, and later text is not taken as a name.
    out = await person.press(keep)
    assert alerts(out) == [unchanged]
    assert "Budi Santoso" in joined(out) and "Bappeda" in joined(out)
    p = await member(db, 1001)
    assert (p.full_name, p.unit, p.awaiting) == ("Budi Santoso", "Bappeda", None)
    # Again, and this time the Telegram name.
    await person.send(settings)
    await person.press(change)
    out = await person.press(use)
    assert alerts(out) == ["Tersimpan ✅" if language == "id" else "Saved ✅"]
    p = await member(db, 1001)
    assert (p.full_name, p.unit, p.awaiting) == ("Budi", "Bappeda", None)


async def test_unit_question_from_settings_can_be_cancelled_and_stale_cancel_is_refused(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    person = await joined_member(bot)
    await person.send("/pengaturan")
    out = await person.press("Ubah unit kerja")
    assert buttons(out) == ["✖️ Batal, biarkan seperti ini"]
    message_id, _ = person.last_keyboard()
    await person.send("Dinas Kesehatan")
    # The question is answered: its cancel button (or a forged one) changes nothing.
    for data in ("set:keep:unit", "set:keep:full_name", "set:keep:nip"):
        out = await person.press_data(message_id, data)
        assert sent(out) == [] and "tidak berlaku" in alerts(out)[0], data
    p = await member(db, 1001)
    assert (p.full_name, p.unit, p.awaiting) == ("Budi Santoso", "Dinas Kesehatan", None)


# --- Text typed where only buttons answer ----------------------------------------------------


async def draft_step(db: async_sessionmaker[AsyncSession]) -> str:
    async with db() as session:
        draft = await session.scalar(select(PlanDraft))
    assert draft is not None
    return draft.step


@pytest.mark.parametrize(
    ("language", "plan", "numeric", "said"),
    [
        ("id", "/rencana", "Angka", "Pilih salah satu tombol di atas, atau ketik /batal"),
        ("en", "/plan", "A number", "Please pick one of the buttons above, or type /cancel"),
    ],
)
async def test_text_typed_at_a_plan_step_with_only_buttons_says_tap_a_button(
    bot: RunningBot,
    db: async_sessionmaker[AsyncSession],
    language: str,
    plan: str,
    numeric: str,
    said: str,
) -> None:
    person = await joined_member(bot, language_code=language)
    await person.send(plan)
    await person.send("Pelayanan izin selesai dalam satu hari")
    await person.send("Membaca regulasi")
    assert await draft_step(db) == "habit_kind"
    for typed in ("angka", "2", "10 halaman"):
        out = await person.send(typed)
        assert [said in t for t in joined(out).split("\n---\n")] == [True], typed
        assert await draft_step(db) == "habit_kind"  # nothing lost, nothing moved on
    await person.press(numeric)  # the buttons above still work
    assert await draft_step(db) == "habit_unit"
    await person.send("halaman")
    await person.send("10")
    assert await draft_step(db) == "habit_schedule"
    out = await person.send("setiap hari")
    assert said in joined(out)
    assert await draft_step(db) == "habit_schedule"


async def write_one_habit(person: Person) -> None:
    await person.send("/rencana")
    await person.send("Pelayanan izin selesai dalam satu hari")
    await person.send("Apel pagi tepat waktu")
    await person.press("Ya / tidak")
    await person.press("Setiap hari")
    # The plan saved, then the offer of a reminder time: both, before anything else is typed.
    saved = await person.press_and_wait("Simpan", 3)
    assert "Rencana aksi tersimpan" in joined(saved)
    assert "Kapan Anda ingin diingatkan" in joined(saved)


@pytest.mark.parametrize(
    ("language", "skip_reason", "said"),
    [
        ("id", "Sakit", "Pilih alasan dengan salah satu tombol di atas"),
        ("en", "Sick", "Choose the reason with one of the buttons above"),
    ],
)
async def test_text_typed_at_the_skip_reason_choice_says_tap_a_button(
    bot: RunningBot,
    db: async_sessionmaker[AsyncSession],
    language: str,
    skip_reason: str,
    said: str,
) -> None:
    person = await joined_member(bot)
    await write_one_habit(person)
    if language == "en":
        await person.send("/language en")
    await person.send("/lapor")
    await person.press("⏸")
    out = await person.send("sakit")
    assert len(sent(out)) == 1 and said in joined(out)
    assert (await member(db, 1001)).awaiting == f"ci_pick:1:{NOW:%Y%m%d}"
    async with db() as session:
        assert await session.scalar(select(CheckIn)) is None
    out = await person.press(skip_reason)  # the choice is still open
    assert skip_reason in joined(out)
    async with db() as session:
        entry = await session.scalar(select(CheckIn))
    assert entry is not None and (entry.status, entry.skip_reason) == ("skipped", "sick")
    assert (await member(db, 1001)).awaiting is None
    assert "/" in joined(await person.send("halo"))  # no question now: the usual answer


async def test_text_typed_while_an_announcement_preview_waits_says_tap_a_button(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    facilitator = bot.person(FACILITATOR, "Sari")
    await facilitator.send("/umumkan")
    await facilitator.send("Besok sesi dimulai pukul 08.00")
    out = await facilitator.send("Besok sesi dimulai pukul 09.00")
    assert joined(out) == (
        "Pilih salah satu tombol di bawah pratinjau di atas: kirim, atur waktu, ganti teks, "
        "atau batal. Untuk menulis teks baru, tekan «Ganti teks» dulu."
    )
    async with db() as session:
        draft = await session.scalar(select(Announcement))
    assert draft is not None and draft.state == "preview"
    assert draft.body == "Besok sesi dimulai pukul 08.00"


# --- The main menu ---------------------------------------------------------------------------

MENU_ID = ["✅ Lapor hari ini", "📈 Progres", "🗓 Jadwal", "📚 Materi", "⚙️ Pengaturan"]
MENU_EN = ["✅ Check in today", "📈 Progress", "🗓 Schedule", "📚 Materials", "⚙️ Settings"]


def answered_quietly(records: list[Outgoing]) -> bool:
    """The press was answered once, with no pop-up."""
    presses = [r for r in records if r.method == "answerCallbackQuery"]
    return len(presses) == 1 and not presses[0].text


async def test_menu_under_start_and_help_and_menu_for_members_only(
    bot: RunningBot, standin: BotApiStandIn
) -> None:
    stranger = bot.person(1005, "Joko")
    for command in ("/start", "/bantuan", "/menu"):
        out = await stranger.send(command)
        assert "kode angkatan" in joined(out) and buttons(out) == [], command
    person = await joined_member(bot)
    no_plan = ["📝 Tulis rencana aksi", *MENU_ID]
    out = await person.send("/start")
    assert "Halo lagi, Budi" in joined(out) and buttons(out) == no_plan
    out = await person.send("/bantuan")
    assert "Bantuan Aksi" in joined(out) and buttons(out) == no_plan
    out = await person.send("/menu")
    assert joined(out) == "📋 <b>Menu</b> — pilih yang ingin Anda lakukan:"
    assert buttons(out) == no_plan
    await write_one_habit(person)
    assert buttons(await person.send("/menu")) == MENU_ID  # with a plan: the daily actions
    await person.send("/language en")
    out = await person.send("/help")
    assert "/checkin" in joined(out) and buttons(out) == MENU_EN
    calls = [p for method, p in standin.requests if method == "setMyCommands"]
    for call in calls:
        assert "menu" in [c["command"] for c in call["commands"]]  # the command menu stays


@pytest.mark.parametrize(
    ("command", "label"),
    [
        ("/lapor", "Lapor hari ini"),
        ("/progres", "Progres"),
        ("/jadwal", "Jadwal"),
        ("/materi", "Materi"),
        ("/pengaturan", "Pengaturan"),
    ],
)
async def test_each_menu_button_answers_as_its_command(
    bot: RunningBot, command: str, label: str
) -> None:
    person = await joined_member(bot)
    await write_one_habit(person)
    # /progres answers with its summary and then a picture, which takes a while to draw.
    count = 2 if command == "/progres" else 1
    typed = await person.send_and_wait(command, count)
    await person.send("/menu")
    pressed = await person.press_and_wait(label, count + 1)
    assert answered_quietly(pressed)
    assert [(r.method, r.text) for r in pressed if r.method != "answerCallbackQuery"] == [
        (r.method, r.text) for r in typed
    ]
    assert sent(pressed)  # a real answer, not only the press acknowledged


async def test_menu_button_to_write_the_plan(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    person = await joined_member(bot)
    await person.send("/menu")
    out = await person.press("Tulis rencana aksi")
    assert answered_quietly(out)
    assert "Langkah 1" in joined(out)
    assert await draft_step(db) == "title"


async def test_forged_menu_buttons_change_nothing(
    bot: RunningBot, db: async_sessionmaker[AsyncSession]
) -> None:
    person = await joined_member(bot)
    out = await person.send("/menu")
    message_id = out[-1].message_id
    assert message_id is not None
    for forged in ("menu:hapusdata:", "menu:checkin:x", "menu:checkin", "menu::", "menu:plan:1"):
        out = await person.press_data(message_id, forged)
        assert sent(out) == [] and "tidak berlaku" in alerts(out)[0], forged
    async with db() as session:
        assert await session.scalar(select(PlanDraft)) is None
    # Someone who has not joined, with a forging client: asked for the code, nothing else.
    stranger = bot.person(1005, "Joko")
    asked = await stranger.send("/start")
    assert asked[0].message_id is not None
    out = await stranger.press_data(asked[0].message_id, "menu:checkin:")
    assert sent(out) == [] and "kode angkatan" in alerts(out)[0]
    async with db() as session:
        assert (
            await session.scalar(
                select(Participant).where(Participant.person_id == person_of(1005))
            )
            is None
        )


def test_every_menu_button_runs_a_command() -> None:
    from handlers import COMMANDS, COMMANDS_OF_MENU, menu

    assert set(COMMANDS_OF_MENU) == set(menu.LABELS)
    assert set(COMMANDS_OF_MENU.values()) <= {callback for _, callback in COMMANDS}


async def test_a_mistyped_command_names_the_nearest_one_the_person_may_use(
    bot: RunningBot | MemoryBot,
) -> None:
    """A facilitator (not a member of any cohort) is told the staff command she meant, not
    asked for a cohort code; a participant is pointed only to participants' commands."""
    sari = bot.person(FACILITATOR, "Sari")
    out = joined(await sari.send("/rekp"))
    assert "Perintah /rekp tidak saya kenal. Maksud Anda /rekap?" in out
    budi = await joined_person(bot, 1001, "Budi")
    out = joined(await budi.send("/jadwl"))
    assert "Maksud Anda /jadwal?" in out
    out = joined(await budi.send("/rekp"))  # a staff command: not suggested to him
    assert "Perintah /rekp tidak saya kenal" in out and "Maksud" not in out
    stranger = bot.person(1002, "Nur")
    out = joined(await stranger.send("/jadwl"))
    assert "kode angkatan" in out and "Maksud" not in out
