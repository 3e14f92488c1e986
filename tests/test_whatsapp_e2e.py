"""WhatsApp end to end over real HTTP on loopback (issue 15, items 1 and 3): Meta's side played by
signed webhook posts to Aksi's `/whatsapp` routes and a Cloud API stand-in receiving what pywa
sends. Joining by `GABUNG KODE`, the profile's questions with their reply buttons, the schedule
by its word, a button pressed, a re-delivered message dropped; hostile: a wrong verify token,
an unsigned or wrongly signed post, a body that is not a webhook; Meta's errors as the engine's
results."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import whatsapp
from bot.whatsapp_web import StoredMenus
from core import menus
from core.channel import (
    Action,
    Address,
    Attachment,
    DownloadFailed,
    Failed,
    FileIn,
    Outbound,
    RetryLater,
    Sender,
    Sent,
    Unreachable,
)
from core.cohorts import get_cohort
from core.contacts import person_for
from core.roster import apply_roster, parse_roster
from core.staff import add_facilitator
from storage.messaging import ShownMenu
from storage.models import Announcement, Participant, RosterEntry
from tests.conftest import NOW, make_cohort
from tests.test_whatsapp_inbound import BUDI
from tests.test_whatsapp_inbound import post as webhook
from tests.whatsapp_world import VERIFY, World, world

__all__ = ["world"]  # the fixture

MATERIALS = Path(__file__).parent.parent / "bot" / "demo" / "materials.csv"

pytestmark = pytest.mark.databases("sqlite", "postgresql")


async def test_joining_answering_and_the_schedule_over_whatsapp(world: World) -> None:
    challenge = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "8412"}
    answer = await world.http.get(f"{world.url}/whatsapp", params=challenge)
    assert (answer.status_code, answer.text) == (200, "8412")
    wrong = await world.http.get(f"{world.url}/whatsapp",
                                 params={**challenge, "hub.verify_token": "guess"})  # fmt: skip
    assert wrong.status_code == 403
    shown = await world.say("jadwal")  # not joined: asked for the code
    assert any("kode angkatan" in s for s in shown)
    shown = await world.say("GABUNG REVMEN1")
    joined = "\n".join(shown)
    assert "Selamat bergabung di *Angkatan I*" in joined  # WhatsApp's bold
    assert "*nama lengkap*" in joined and "[" in joined  # the name question with its button
    # Meta posts the same message again: dropped, nothing sent twice.
    sent = len(world.standin.sent)
    repeat = webhook({"from": BUDI, "id": f"wamid.IN{world.sent_ids}", "timestamp": "1630633200",
                      "type": "text", "text": {"body": "GABUNG REVMEN1"}})  # fmt: skip
    assert (await world.post(json.dumps(repeat).encode())).status_code == 200
    await world.intake.drain()
    assert len(world.standin.sent) == sent and world.intake.duplicates == 1
    # The name offered as a reply button, pressed; then the unit typed.
    choice = world.standin.sent[-1]["interactive"]["action"]["buttons"][0]["reply"]["title"]
    shown = await world.press(choice)
    assert any("unit kerja" in s.lower() for s in shown)
    shown = await world.say("Dinas Pendidikan")
    assert any("Unit kerja: Dinas Pendidikan" in s for s in shown)
    assert any("[✍️ Tulis rencana aksi s…" in s for s in shown)  # a list: the label cut
    shown = await world.say("Jadwal")
    assert any("Jadwal *Angkatan I* belum tersedia" in s for s in shown)
    helped = "\n".join(await world.say("bantuan"))  # the words, as there is no command menu
    assert "perintah cukup diketik sebagai kata, tanpa garis miring: *jadwal*, *lapor*" in helped


async def test_hostile_posts_are_refused_and_change_nothing(world: World) -> None:
    joining = {"from": BUDI, "id": "wamid.H1", "timestamp": "1630633200", "type": "text",
               "text": {"body": "GABUNG REVMEN1"}}  # fmt: skip
    body = json.dumps(webhook(joining)).encode()
    assert (await world.post(body, signature="")).status_code == 403
    assert (await world.post(body, signature="sha256=" + "0" * 64)).status_code == 403
    forged = "sha256=" + hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    assert (await world.post(body, signature=forged)).status_code == 403
    for garbage in (b"{not json", b'{"object": "page"}', b"[]"):
        assert (await world.post(garbage)).status_code == 400
    await world.intake.drain()
    assert world.standin.sent == []  # nothing reached anyone


async def test_metas_errors_become_the_engines_results(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whatsapp, "PAIR_WAIT_S", 0.05)
    to = Address("whatsapp", BUDI)
    for failures, expected in (
        ([(400, 131047)], Failed),  # outside the 24-hour window
        ([(429, 130429)], RetryLater),  # the number throttled: everyone waits
        ([(400, 131026)], Unreachable),
        ([(400, 100)], Failed),
        ([(400, 131056)], Sent),  # too fast for this person: sent after one wait
        ([(400, 131056), (400, 131056)], RetryLater),  # twice: left to the caller
    ):
        world.standin.failures = list(failures)
        result = await world.channel.send(to, Outbound("Halo"))
        assert isinstance(result, expected), failures
    assert world.standin.texts(BUDI) == ["Halo"]  # the one sent after its wait
    for group in ("120363025246125486@g.us", "abc", "ID.12ab"):  # never sent to a group
        refused = await world.channel.send(Address("whatsapp", group), Outbound("Halo"))
        assert isinstance(refused, Failed) and "not a WhatsApp number" in refused.reason
    archive = Outbound(attachment=Attachment("document", b"PK", "ekspor.zip"))
    assert isinstance(await world.channel.send(to, archive), Failed)  # WhatsApp carries no ZIP
    assert len(world.standin.sent) == 1


async def test_a_number_answers_the_menu_shown_once(world: World) -> None:
    """Twelve options make a numbered menu; "2" is the second option pressed (here a
    facilitator's button: refused as such to Budi, not read as text), once — the next "2" is
    text again, and a re-delivered "2" takes nothing."""
    to = Address("whatsapp", BUDI)
    choices = [[Action(f"Angkatan {n}", f"stf:rekap:{900 + n}")] for n in range(12)]
    assert isinstance(await world.channel.send(to, Outbound("Untuk angkatan mana?", choices)), Sent)
    assert world.standin.texts(BUDI)[-1].startswith("1. Angkatan 0\n2. Angkatan 1")
    assert world.standin.texts(BUDI)[-1].endswith("Balas dengan nomor pilihan Anda.")
    english = Outbound("Which cohort?", choices, lang="en")  # the reader's language
    assert isinstance(await world.channel.send(to, english), Sent)
    assert world.standin.texts(BUDI)[-1].endswith("Reply with the number of your choice.")
    pressed = {"type": "text", "text": {"body": "2"}}
    shown = await world.write(pressed)
    staff_only = "Perintah ini khusus untuk fasilitator dan admin pelatihan."
    assert shown == [staff_only]  # pressed: a facilitator's button, refused to Budi
    again = await world.write(pressed)
    assert again and staff_only not in again  # the menu answered once: "2" is text now
    superscript = await world.say("²")  # a digit to Python, not a number: text, no crash
    assert superscript and staff_only not in superscript
    # Shown again: Meta posting the first "2" once more takes nothing (not even the menu).
    await world.channel.send(to, Outbound("Untuk angkatan mana?", choices))
    repeat = webhook({"from": BUDI, "id": "wamid.IN1", "timestamp": "1630633200", **pressed})
    sent = len(world.standin.sent)
    assert (await world.post(json.dumps(repeat).encode())).status_code == 200
    await world.intake.drain()
    assert len(world.standin.sent) == sent
    assert await world.say("3") == [staff_only]  # the menu still there for the next message


async def test_a_menu_shown_by_one_worker_is_answered_at_another(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    """The numbered menu is kept in the database: "2" typed to a worker that did not show it
    (nothing in its memory) presses the second option; any message takes the menu away, and a
    later choice with buttons or a list replaces it."""
    to = Address("whatsapp", BUDI)
    choices = [[Action(f"Angkatan {n}", f"stf:rekap:{900 + n}")] for n in range(12)]
    assert isinstance(await world.channel.send(to, Outbound("Untuk angkatan mana?", choices)), Sent)
    async with db() as session:
        [shown] = (await session.scalars(select(ShownMenu))).all()
    assert (shown.channel, shown.external_id) == ("whatsapp", BUDI)
    assert json.loads(shown.choices)["2"] == "stf:rekap:901"
    world.channel.menus = StoredMenus(world.intake.engine.services)  # another worker's
    staff_only = "Perintah ini khusus untuk fasilitator dan admin pelatihan."
    assert await world.say("2") == [staff_only]
    async with db() as session:
        assert (await session.scalars(select(ShownMenu))).all() == []  # answered once
    await world.channel.send(to, Outbound("Untuk angkatan mana?", choices))
    assert staff_only not in await world.say("halo")  # not a number: the menu goes all the same
    assert staff_only not in await world.say("2")
    await world.channel.send(to, Outbound("Untuk angkatan mana?", choices))
    three = [[Action("Ya", "stf:rekap:1")], [Action("Tidak", "stf:rekap:2")]]
    await world.channel.send(to, Outbound("Yakin?", three))  # reply buttons replace the menu
    async with db() as session:
        assert (await session.scalars(select(ShownMenu))).all() == []
    world.clock.now += timedelta(days=8)
    await world.channel.send(to, Outbound("Untuk angkatan mana?", choices))
    async with db.begin() as session:
        assert await menus.forget_old(session, NOW) == 0  # shown a week after NOW: kept
        later = world.clock.now + menus.KEPT + timedelta(seconds=1)
        assert await menus.forget_old(session, later) == 1


async def test_a_cohort_on_telegram_only_is_not_joined_on_whatsapp(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    await make_cohort(db, code="TGONLY", name="Angkatan TG", channels="telegram")
    refusal = "*Angkatan TG* diikuti lewat Telegram, bukan lewat aplikasi ini"
    assert any(refusal in s for s in await world.say("GABUNG TGONLY"))
    assert any(refusal in s for s in await world.say("tgonly"))
    async with db() as session:
        assert (await session.scalars(select(Participant))).all() == []
    assert any("Selamat bergabung" in s for s in await world.say("GABUNG REVMEN1"))


async def test_someone_known_by_a_user_id_only(world: World) -> None:
    """Someone who hides their number behind a username: Meta posts their business-scoped user
    id (`from_user_id`) and no number; they join, and Aksi answers them at that id."""
    bsuid = "ID.1502576394655843"
    message = {"from_user_id": bsuid, "id": "wamid.U1", "timestamp": "1630633200",
               "type": "text", "text": {"body": "GABUNG REVMEN1"}}  # fmt: skip
    assert (await world.post(json.dumps(webhook(message)).encode())).status_code == 200
    await world.intake.drain()
    shown = world.standin.texts(bsuid)
    assert any("Selamat bergabung di *Angkatan I*" in s for s in shown)
    assert all(data.get("recipient") == bsuid and "to" not in data for data in world.standin.sent)


async def test_a_personal_roster_link_joins_on_whatsapp(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    """`wa.me/<number>?text=GABUNG%20<token>` (`aksi participants links --whatsapp`): the person
    sends the typed words and is tied to their roster row, its name and unit theirs."""
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        roster = "name,unit\nBudi Santoso S.Kom,Dinas Kominfo\n"
        await apply_roster(session, cohort, parse_roster(roster.encode()))
        token = (await session.scalars(select(RosterEntry.join_token))).one()
    shown = "\n".join(await world.say(f"GABUNG {token}"))
    assert "Selamat bergabung di *Angkatan I*" in shown
    async with db() as session:
        member = (await session.scalars(select(Participant))).one()
        assert (member.full_name, member.unit) == ("Budi Santoso S.Kom", "Dinas Kominfo")
    other = "6281298765432"
    taken = "\n".join(await world.say(f"GABUNG {token}", other))  # a second person: refused
    assert "Selamat bergabung" not in taken
    async with db() as session:
        assert len((await session.scalars(select(Participant))).all()) == 1


async def test_media_over_the_limit_is_not_fetched(world: World) -> None:
    """WhatsApp carries documents up to 100 MB: one over Aksi's limit is refused on Meta's
    word about its size, before its bytes are fetched."""
    world.standin.media["SMALL"] = b"tanggal,mulai\n"
    world.standin.media["HUGE"] = b"\0" * (whatsapp.MAX_DOWNLOAD + 1)
    sender = Sender(Address("whatsapp", BUDI), "Budi")
    small = FileIn(sender, "SMALL", "jadwal.csv", None, "text/csv")
    assert await world.channel.download(small) == b"tanggal,mulai\n"
    with pytest.raises(DownloadFailed, match="bytes"):
        await world.channel.download(FileIn(sender, "HUGE", "video.pdf", None, "application/pdf"))
    assert world.standin.fetched == ["SMALL"]


async def test_a_facilitator_on_whatsapp_announces_with_its_marks(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    """A facilitator who has only WhatsApp: `umumkan` by its word, the text typed with
    WhatsApp's marks kept as Aksi's markup (bold on Telegram too), the preview as WhatsApp
    shows it, the choices as a list."""
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        contact = await person_for(session, Address("whatsapp", BUDI), NOW)
        await add_facilitator(session, cohort, contact.person_id)
    asked = await world.say("umumkan")
    assert asked and "Tulis pengumuman untuk *Angkatan I*" in asked[0]
    shown = await world.say("*Rapat koordinasi* besok _pukul 09.00_ di aula 2*3")
    assert any("*Rapat koordinasi* besok _pukul 09.00_ di aula 2*3" in s for s in shown)
    assert any("Kirim sekarang" in s for s in shown)
    async with db() as session:
        body = await session.scalar(select(Announcement.body))
    assert body == "<b>Rapat koordinasi</b> besok <i>pukul 09.00</i> di aula 2*3"


async def test_a_facilitator_sends_a_file_on_whatsapp(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    """A document sent on WhatsApp: fetched through the Cloud API's media (its URL, then its
    bytes) and read as on Telegram — here the cohort's materials."""
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        contact = await person_for(session, Address("whatsapp", BUDI), NOW)
        await add_facilitator(session, cohort, contact.person_id)
    world.standin.media["MEDIA1"] = MATERIALS.read_bytes()
    document = {"id": "MEDIA1", "filename": "materi.csv", "mime_type": "text/csv"}
    shown = await world.write({"type": "document", "document": document})
    assert any("Materi *REVMEN1* diperbarui dari «materi.csv» (21 materi" in s for s in shown)
    assert world.standin.fetched == ["MEDIA1"]
