"""WhatsApp's 24-hour window end to end (issue 15, item 4), over real HTTP on loopback against
the Cloud API stand-in, which refuses a free message outside the window (131047) and a template
Meta has not approved (132001) as Meta does.

A reminder inside the window goes as a free message; outside it as the configured template in
the reader's language, its text the one parameter; a kind with no template is not sent and is
counted as "needs template"; the person's reply reopens the window; Meta's 131047 on a free
message falls back to the template, and on an answer is a failure. An announcement to a mixed
cohort (WhatsApp and another channel): each reached as their window allows, the delivery report
counting what needs a template, per channel, and what Meta reported later (delivered, read).
`aksi whatsapp templates` lists what is missing and prints the texts to submit; bad template
settings are refused with one line."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.memory import MemoryChannel
from bot.channels.whatsapp_render import PARAM_MAX, template_param
from bot.channels.whatsapp_templates import Templates, parse_languages, parse_names
from bot.cli import main
from bot.standin.whatsapp import CloudApiStandIn, serving
from core import announcements as ann
from core import reminders as rules
from core.channel import Address, Command, Failed, NeedsTemplate, Outbound, Sender, Sent, Text
from core.cohorts import get_cohort
from core.contacts import person_for
from core.pacing import Pacer
from core.services import Pricing
from core.staff import add_facilitator
from handlers.announce_status import report_sender
from scheduler.broadcast import Broadcaster
from scheduler.reminder_job import Outgoing, deliver
from storage.models import OutboxMessage, Participant
from tests.announcing import wait_until
from tests.conftest import NOW
from tests.test_whatsapp_inbound import AT, BUDI
from tests.test_whatsapp_inbound import post as webhook
from tests.whatsapp_world import World, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.databases("sqlite", "postgresql")

CITRA = "6281298765432"
REMINDER = "⏰ <b>Pengingat</b>\nMinum air putih 8 gelas\n\nSudah?"


def reminder(kind: str = rules.DAILY, lang: str = "id", who: str = BUDI) -> Outgoing:
    return Outgoing(1, Address("whatsapp", who), kind, NOW.date(), "07:00", REMINDER, None, lang)


async def test_a_reminder_inside_the_window_outside_it_and_after_a_reply(world: World) -> None:
    await world.say("GABUNG REVMEN1")  # Budi's last message: now
    engine = world.intake.engine
    world.clock.now = NOW + timedelta(hours=23)
    assert await deliver(engine, reminder()) == "sent"
    assert world.standin.texts(BUDI)[-1] == "⏰ *Pengingat*\nMinum air putih 8 gelas\n\nSudah?"
    # A day and more later, without a word from Budi: the template, the text on one line.
    world.clock.now = NOW + timedelta(hours=25)
    world.standin.closed.add(BUDI)
    assert await deliver(engine, reminder()) == "sent"
    shown = "<template aksi_pengingat id: ⏰ *Pengingat* · Minum air putih 8 gelas · Sudah?>"
    assert world.standin.texts(BUDI)[-1] == shown
    assert await deliver(engine, reminder(lang="en")) == "sent"  # an English reader's
    assert world.standin.texts(BUDI)[-1].startswith("<template aksi_pengingat en: ")
    # No template for session reminders: not sent, counted as such, nothing reaches Meta.
    sent = len(world.standin.sent)
    assert await deliver(engine, reminder(rules.SESSION)) == "needs_template"
    assert await deliver(engine, reminder(rules.EVENING)) == "needs_template"  # follow-up
    assert len(world.standin.sent) == sent
    # Budi writes: his window is open again, and the session reminder goes as it is.
    await world.say("jadwal")
    assert await deliver(engine, reminder(rules.SESSION)) == "sent"
    assert world.standin.texts(BUDI)[-1].startswith("⏰ *Pengingat*")


async def test_metas_window_refusal_falls_back_to_the_template(world: World) -> None:
    await world.say("GABUNG REVMEN1")
    to = Address("whatsapp", BUDI)
    world.standin.closed.add(BUDI)  # Meta's clock says closed, though Aksi's says open
    result = await world.channel.send(to, Outbound("Halo <b>Budi</b>", kind="reminder"))
    assert isinstance(result, Sent)
    assert world.standin.texts(BUDI)[-1] == "<template aksi_pengingat id: Halo *Budi*>"
    answer = await world.channel.send(to, Outbound("Jawaban"))  # an answer: nothing to fall to
    assert isinstance(answer, Failed) and "24-hour" in answer.reason
    digest = await world.channel.send(to, Outbound("Ringkasan", kind="digest"))
    assert isinstance(digest, NeedsTemplate) and digest.kind == "digest"
    # Configured in Aksi but not approved by Meta (or not in this language): a failure.
    world.standin.approved.pop("aksi_pengingat")
    refused = await world.channel.send(to, Outbound("Halo", kind="reminder"))
    assert isinstance(refused, Failed) and "132001" in refused.reason
    assert world.standin.texts(BUDI)[-1] == "<template aksi_pengingat id: Halo *Budi*>"


async def test_an_announcement_to_a_mixed_cohort(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    """Budi on WhatsApp wrote lately, Citra on WhatsApp a day ago, Dewi on another channel:
    without an announcement template Citra's needs one, and the report says so per channel;
    with the template, the next reaches her as it."""
    await world.say("GABUNG REVMEN1", CITRA)
    world.clock.now = NOW + timedelta(hours=30)
    world.standin.closed.add(CITRA)
    await world.say("GABUNG REVMEN1")
    services = world.intake.engine.services
    other = MemoryChannel()
    services.channels[other.name] = other
    dewi = Sender(Address("memory", "2001"), "Dewi Lestari", first_name="Dewi")
    await world.intake.engine.handle(other, Command(dewi, "start", ("REVMEN1",), "/start REVMEN1"))
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        author = await person_for(session, Address("memory", "9001"), world.clock.now)
        await add_facilitator(session, cohort, author.person_id)
        members = (await session.scalars(select(Participant))).all()
        assert len(members) == 3
    world.channel.templates = Templates({"reminder": "aksi_pengingat"}, ("id",))
    # The preview tells the author who is within WhatsApp's window, and what it will cost.
    facilitator = Sender(Address("memory", "9001"), "Fasilitator", first_name="Fasi")
    engine = world.intake.engine
    for templated, expected in (
        (frozenset(), "💬 WhatsApp: 1 menulis dalam 24 jam terakhir (pesan biasa) · 1 tidak — "
                      "<b>tidak terkirim</b>: template pengumuman belum diatur"),
        (frozenset({"announcement"}), "💬 WhatsApp: 1 menulis dalam 24 jam terakhir (pesan "
                                      "biasa) · 1 tidak (dikirim sebagai template). Perkiraan "
                                      "biaya: IDR 356."),
    ):  # fmt: skip
        services.pricing["whatsapp"] = Pricing(0.0, 356.0, "IDR", templated)
        await engine.handle(other, Command(facilitator, "umumkan", (), "/umumkan"))
        await engine.handle(other, Text(facilitator, "Uji pratinjau"))
        preview = other.sent[-1].message.text
        assert "Penerima: <b>3</b> peserta" in preview and expected in preview, preview
    del services.pricing["whatsapp"]

    async def announce(body: str) -> int:
        async with db.begin() as session:
            cohort = await get_cohort(session, "REVMEN1")
            draft = await ann.start_draft(
                session, cohort, author.person_id, author.id, "id", world.clock.now
            )
            ann.set_body(draft, body, len(body))
            ann.confirm(draft, world.clock.now)
            return draft.id

    first = await announce("Sesi besok <b>pukul 09.00</b>.")
    sender = Broadcaster(services, world.channel, Pacer(0), report_sender(services))
    running = asyncio.create_task(sender.run())
    try:
        await wait_until(lambda: any("Laporan pengumuman" in d.message.text for d in other.sent))
        assert any("Sesi besok *pukul 09.00*" in t for t in world.standin.texts(BUDI))
        assert not any("Sesi besok" in t for t in world.standin.texts(CITRA))
        assert any("Sesi besok <b>pukul 09.00</b>" in d.message.text for d in other.sent)
        report = next(d.message.text for d in other.sent if "Laporan pengumuman" in d.message.text)
        assert "Terkirim: 2 dari 3" in report
        assert "Perlu template WhatsApp (jendela 24 jam tertutup, template belum diatur): 1" in (
            report
        )
        assert "• WhatsApp: 1 dari 2 terkirim · 0 gagal · 0 tak terjangkau · 1 perlu template" in (
            report
        )
        assert "• Obrolan lokal: 1 dari 1 terkirim" in report
        assert "Belum menerima:" in report
        async with db() as session:
            statuses = (
                await session.scalars(
                    select(OutboxMessage.status).where(OutboxMessage.announcement_id == first)
                )
            ).all()
        assert sorted(statuses) == ["needs_template", "sent", "sent"]
        # Meta reports what became of Budi's: read, then (late) delivered — read stays; a
        # status for a message of nobody's, and one without an id, change nothing.
        wamid = next(i for i, d in zip(world.standin.ids, world.standin.sent, strict=True)
                     if d.get("to") == BUDI and "Sesi besok" in str(d))  # fmt: skip
        for status in ("read", "delivered"):
            posted = webhook(statuses=(
                {"id": wamid, "status": status, "timestamp": AT, "recipient_id": BUDI},
                {"id": "wamid.ELSE", "status": "failed", "timestamp": AT, "recipient_id": BUDI},
                {"status": "read", "timestamp": AT, "recipient_id": BUDI},
            ))  # fmt: skip
            assert (await world.post(json.dumps(posted).encode())).status_code == 200
        await world.intake.engine.handle(other, Command(facilitator, "status", (), "/status"))
        shown = other.sent[-1].message.text
        assert "Perlu template WhatsApp (jendela 24 jam tertutup, template belum diatur): 1" in (
            shown
        )
        assert "📨 Laporan WhatsApp: 1 sampai di ponsel · 1 dibaca · 0 gagal sampai" in shown
        # The announcement template approved and configured: the next one reaches Citra as it.
        world.channel.templates = Templates({"announcement": "aksi_pengumuman"}, ("id",))
        await announce("Tugas minggu ini sudah dibuka.")
        sender.wake.set()
        await wait_until(
            lambda: sum("Laporan pengumuman" in d.message.text for d in other.sent) == 2
        )
        shown = world.standin.texts(CITRA)[-1]
        assert shown.startswith("<template aksi_pengumuman id: ") and "Tugas minggu ini" in shown
        assert any("Tugas minggu ini" in t and not t.startswith("<") for t in
                   world.standin.texts(BUDI))  # fmt: skip
        # Citra writes again: the first announcement, held for want of a template, reaches her
        # now that her window is open (before her answer), once.
        shown = await world.say("jadwal", CITRA)
        assert "Sesi besok *pukul 09.00*" in shown[0] and "Jadwal *Angkatan I*" in shown[-1]
        world.clock.now += timedelta(minutes=10)  # her next message is a new arrival too
        assert not any("Sesi besok" in s for s in await world.say("jadwal", CITRA))
        async with db() as session:
            statuses = (
                await session.scalars(
                    select(OutboxMessage.status).where(OutboxMessage.announcement_id == first)
                )
            ).all()
        assert sorted(statuses) == ["sent", "sent", "sent"]
    finally:
        running.cancel()
        await asyncio.wait({running})
        await sender.drain()


def test_a_template_parameter_is_one_line_within_metas_limit() -> None:
    assert template_param("<b>Jadwal</b>\n\n  1.  Sesi   satu\n\t2. Sesi dua") == (
        "*Jadwal* · 1. Sesi satu · 2. Sesi dua"
    )
    long = template_param("kata " * 400)
    assert len(long) == PARAM_MAX and long.endswith("…") and "\n" not in long


def test_template_settings_are_read_and_refused_with_one_line() -> None:
    assert parse_names(" reminder=aksi_pengingat , announcement=aksi_umum ") == {
        "reminder": "aksi_pengingat",
        "announcement": "aksi_umum",
    }
    for spec, says in (
        ("pengingat=aksi_x", "unknown kind 'pengingat'"),
        ("reminder", "is not kind=template_name"),
        ("reminder=Aksi-X", "lower-case letters, digits and _ only"),
        ("reminder=a,reminder=b", "'reminder' is named twice"),
    ):
        with pytest.raises(ValueError, match=says):
            parse_names(spec)
    assert parse_languages("id, en_US") == ("id", "en_US")
    with pytest.raises(ValueError, match="'xx' is not a language code"):
        parse_languages("id,xx")
    templates = Templates({"reminder": "aksi_pengingat"}, ("id", "en_US"))
    assert templates.pick("reminder", "en") == ("aksi_pengingat", "en_US")
    assert templates.pick("reminder", "fr") == ("aksi_pengingat", "id")  # the first
    assert templates.pick("digest", "id") is None


def test_the_templates_command_lists_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_TEMPLATES", "reminder=aksi_pengingat")
    monkeypatch.setenv("WHATSAPP_TEMPLATE_LANGUAGES", "id,en")
    result = CliRunner().invoke(main, ["whatsapp", "templates", "--lang", "en"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "✓ reminder: aksi_pengingat (daily commitment reminders)" in out
    assert "✗ announcement: NOT CONFIGURED" in out
    assert "WHATSAPP_TEMPLATES=reminder=aksi_reminder,session=aksi_session," in out
    assert "== reminder: aksi_pengingat ==\n[id]\nHalo, ini pengingat komitmen harian" in out
    assert "[en]\nHello, this is your daily commitment reminder from Aksi:\n\n{{1}}\n" in out
    monkeypatch.setenv("WHATSAPP_TEMPLATES", "reminder=aksi_pengingat,bogus=x")
    refused = CliRunner().invoke(main, ["whatsapp", "templates"])
    assert refused.exit_code != 0
    assert "WHATSAPP_TEMPLATES: unknown kind 'bogus'" in refused.output
    assert "Traceback" not in refused.output


async def test_the_templates_are_checked_with_meta(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--check` asks the Graph API (here the stand-in, two pages of templates) for each
    configured template's status in each language; a refused token or an unreachable API is
    one line and a non-zero exit."""
    standin = CloudApiStandIn("106540352242922", "EAAG-meta-token")
    standin.approved = {"aksi_pengingat": {"id"}} | {f"lain_{n:03}": {"id"} for n in range(120)}
    standin.submitted = {("aksi_pengingat", "en"): "PENDING"}
    env = {
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922", "WHATSAPP_ACCESS_TOKEN": "EAAG-meta-token",
        "WHATSAPP_APP_SECRET": "app-secret-for-tests", "WHATSAPP_VERIFY_TOKEN": "verify-token",
        "WHATSAPP_BUSINESS_ACCOUNT_ID": "102290129340398",
        "WHATSAPP_DISPLAY_NUMBER": "6281100000000",
        "WHATSAPP_TEMPLATES": "reminder=aksi_pengingat,announcement=aksi_umum",
        "WHATSAPP_TEMPLATE_LANGUAGES": "id,en",
    }  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def check(*extra: str) -> Result:
        return CliRunner().invoke(main, ["whatsapp", "templates", "--lang", "en", *extra])

    async with serving(standin.app()) as url:
        monkeypatch.setenv("WHATSAPP_API_BASE_URL", url)
        result = await asyncio.to_thread(check, "--check")
        assert result.exit_code == 0, result.output
        assert (
            "✓ reminder: aksi_pengingat (daily commitment reminders)\n"
            "      [id] at Meta: APPROVED\n"
            "      [en] at Meta: PENDING\n"
        ) in result.output
        assert (
            "✓ announcement: aksi_umum (announcements)\n"
            "      [id] at Meta: NOT THERE — submit the text below in this language\n"
        ) in result.output
        monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "EAAG-wrong-token")
        refused = await asyncio.to_thread(check, "--check")
    assert refused.exit_code == 1
    assert refused.output == (
        "aksi: could not ask Meta for the templates: Meta answered 401: 190 bad token\n"
    )
    gone = await asyncio.to_thread(check, "--check")  # the API's address no longer answers
    assert gone.exit_code == 1 and "cannot reach http://127.0.0.1:" in gone.output
    monkeypatch.delenv("WHATSAPP_BUSINESS_ACCOUNT_ID")
    unset = await asyncio.to_thread(check, "--check")
    assert unset.exit_code == 2 and unset.output.count("\n") == 1
    assert "--check needs WHATSAPP_BUSINESS_ACCOUNT_ID" in unset.output
