"""Files on WhatsApp, end to end against the Cloud API stand-in: the Cloud API carries PDFs,
office documents, CSV and text, and pictures as pictures — not archives. The cohort's final
reports, a ZIP on Telegram, come to a facilitator on WhatsApp one PDF after another; a picture
sent as a document (a participant's JPEG evidence fetched again) goes as a picture of its own
type; a type WhatsApp does not carry is refused before anything is uploaded."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.channel import Address, Attachment, Failed, Outbound, Sent
from core.cohorts import get_cohort
from core.contacts import person_for
from core.staff import add_facilitator
from tests.conftest import NOW
from tests.whatsapp_world import World, world

__all__ = ["world"]  # the fixture

pytestmark = pytest.mark.databases("sqlite", "postgresql")

CITRA = "6281298765432"
FASI = "6281311112222"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def _media(world: World, kind: str) -> list[tuple[str, str, bytes, str]]:
    """What went to the facilitator as `kind` (image, document): (file name, caption, bytes,
    declared type), in order."""
    found = []
    for data in world.standin.sent:
        if data.get("to") != FASI or data.get("type") != kind:
            continue
        body = data[kind]
        media = body["id"]
        declared = world.standin.media_types[media]
        found.append((body.get("filename", ""), body.get("caption", ""),
                      world.standin.media[media], declared))  # fmt: skip
    return found


async def test_the_cohorts_final_reports_come_one_pdf_after_another(
    world: World, db: async_sessionmaker[AsyncSession]
) -> None:
    await world.say("GABUNG REVMEN1")
    await world.say("GABUNG REVMEN1", CITRA)
    async with db.begin() as session:
        cohort = await get_cohort(session, "REVMEN1")
        assert cohort is not None
        fasi = await person_for(session, Address("whatsapp", FASI), NOW)
        await add_facilitator(session, cohort, fasi.person_id)
    chosen = await world.say("laporanakhir", FASI)
    assert any("Laporan siapa?" in t for t in chosen)
    shown = await world.press("Semua peserta REVMEN1", FASI)
    assert "📦 Laporan akhir REVMEN1: satu PDF per peserta (2)." in shown
    pdfs = _media(world, "document")
    assert len(pdfs) == 2
    for name, _caption, data, declared in pdfs:
        assert name.endswith(".pdf") and data.startswith(b"%PDF-")
        assert declared == "application/pdf"
    assert not any(name.endswith(".zip") for name, *_ in pdfs)


async def test_pictures_documents_and_what_whatsapp_does_not_carry(world: World) -> None:
    to = Address("whatsapp", FASI)
    photo = Attachment("document", JPEG, "bukti-apel.JPG", "Bukti <b>apel</b>")
    assert isinstance(await world.channel.send(to, Outbound(attachment=photo)), Sent)
    [(_, caption, data, declared)] = _media(world, "image")
    assert (caption, data, declared) == ("Bukti *apel*", JPEG, "image/jpeg")
    slides = Attachment("document", b"PK\x03\x04slides", "materi.pptx", "")
    assert isinstance(await world.channel.send(to, Outbound(attachment=slides)), Sent)
    [(name, _, _, declared)] = _media(world, "document")
    assert name == "materi.pptx"
    assert declared == "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    uploads = len(world.standin.media)
    for refused in ("laporan.zip", "foto.heic", "foto.webp", "tanpa-akhiran"):
        result = await world.channel.send(
            to, Outbound(attachment=Attachment("document", b"x", refused, ""))
        )
        assert isinstance(result, Failed), refused
    assert len(world.standin.media) == uploads  # nothing uploaded for them
    capabilities = world.channel.capabilities
    assert capabilities.takes_document("Laporan.PDF") and not capabilities.takes_document("a.zip")


async def test_a_photo_of_evidence_is_kept_and_opened_again_as_the_jpeg_it_is(
    world: World,
) -> None:
    """Budi sends a photo as evidence (fetched from Meta's media, kept by its id); /bukti's
    Open fetches it again and sends it back as a JPEG picture — the same bytes."""
    await world.join()
    assert any("Rencana aksi tersimpan" in s for s in await world.write_plan())
    world.standin.media["PHOTO1"] = JPEG
    picture = {"id": "PHOTO1", "mime_type": "image/jpeg", "caption": "Apel pagi ini"}
    saved = await world.write({"type": "image", "image": picture})
    assert any("disimpan sebagai bukti" in s for s in saved), saved
    assert any("Bukti" in s for s in await world.say("bukti"))
    before = len(world.standin.sent)
    await world.press("Buka 1")
    [image] = [d for d in world.standin.sent[before:] if d.get("type") == "image"]
    media = image["image"]["id"]
    assert world.standin.media[media] == JPEG
    assert world.standin.media_types[media] == "image/jpeg"
    assert "Apel pagi ini" in image["image"].get("caption", "")
