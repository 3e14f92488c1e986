"""The local chat: talk to the real bot in a terminal, with no Telegram token.

The same features run as on Telegram: by default through the engine on the in-memory channel
in this process, its reminders and digests ticking as in `aksi run`; with `--telegram` the whole
Telegram bot, talking over HTTP on loopback to `BotApiStandIn`, a small Bot API server
(`bot.localchat_links`). This module reads the person's lines and prints what the bot does.
Buttons are numbered `[#1]`, `[#2]`… and pressed by typing `#1`, `#2`…; anything else, a bare
number too, is sent as text: the answer to a question (a number of pages, a target) is never
taken for a button.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.localchat_links import POLL_CHOICE, Link, MemoryLink, Shown, TelegramLink, Who
from bot.localchat_whatsapp import WhatsAppLink
from bot.settings import Settings
from core.channel import Address
from core.contacts import person_for
from core.demo import (
    DEMO_CODE,
    ensure_demo_cohort,
    ensure_demo_mentor,
    ensure_demo_people,
    ensure_demo_training,
)
from core.i18n import Catalogs
from core.staff import add_facilitator
from storage.db import create_engine, sessionmaker, upgrade

QUIT_WORDS = frozenset({":q", ":quit", ":keluar"})
AS_FACILITATOR = frozenset({":fasilitator", ":facilitator", ":f"})
AS_PARTICIPANT = frozenset({":peserta", ":participant", ":p"})
AS_MENTOR = frozenset({":mentor", ":m"})
SEND_FILE = (":kirim ", ":send ")
PRESS = re.compile(r"#\s*(\d{1,3})")  # "#2" presses button 2; "2" alone is text
FACILITATOR_ID = 1002
FACILITATOR_NAME = "Sari"
MENTOR_ID = 1003
MENTOR_NAME = "Hendra"
MENTOR_FULL_NAME = "Hendra Wijaya, S.T., M.M."


class _PlainText(HTMLParser):
    """Telegram HTML to terminal text: links show their address, bold is bold on a terminal."""

    def __init__(self, bold: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.bold = bold
        self.out: list[str] = []
        self.href: list[str | None] = []
        self.anchor_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("b", "strong") and self.bold:
            self.out.append("\033[1m")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.anchor_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "strong") and self.bold:
            self.out.append("\033[0m")
        elif tag == "a" and self.href:
            href = self.href.pop()
            label = "".join(self.anchor_text)
            if href and href != label:
                self.out.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.out.append(data)
        if self.href:
            self.anchor_text.append(data)


def to_terminal(text: str, bold: bool = False) -> str:
    """Aksi's markup (Telegram's HTML) as terminal text."""
    parser = _PlainText(bold)
    parser.feed(text)
    parser.close()
    return "".join(parser.out)


class LocalChat:
    """One person chatting with the bot through standard input and output."""

    def __init__(
        self,
        settings: Settings,
        *,
        user_id: int = 1001,
        first_name: str = "Budi",
        last_name: str | None = None,
        language_code: str = "id",
        demo: bool = True,
        telegram: bool = False,
        channel: str = "",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.settings = settings
        self.demo = demo
        channel = channel or ("telegram" if telegram else "memory")
        self.link: Link = (
            TelegramLink()
            if channel == "telegram"
            else WhatsAppLink()
            if channel == "whatsapp"
            else MemoryLink()
        )
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.tty = self.stdin.isatty() and self.stdout.isatty()
        self.seen = 0
        self.busy = False
        self.buttons: list[tuple[str, str]] = []
        self.buttons_message: int | None = None
        # The latest message with buttons each other identity got while you were someone else
        # (shown as a ✉ line then): shown whole when you switch to them, its buttons pressable.
        self.waiting: dict[int, Shown] = {}
        self.arrived_by_link = False
        # Who is typing: the participant, or (`:fasilitator`) a facilitator of the demo cohort,
        # or (`:mentor`) the mentor of two of its members.
        self.who = Who(user_id, first_name, last_name, language_code)
        self.participant_id = user_id
        self.identities = {
            user_id: self.who,
            FACILITATOR_ID: Who(FACILITATOR_ID, FACILITATOR_NAME, "(fasilitator)", language_code),
            MENTOR_ID: Who(MENTOR_ID, MENTOR_NAME, "(mentor)", language_code),
        }

    def say(self, line: str = "") -> None:
        self.stdout.write(line + "\n")
        self.stdout.flush()

    async def _prepare_demo(self) -> None:
        engine = create_engine(self.settings.database_url)
        try:
            await upgrade(engine)
            async with sessionmaker(engine).begin() as session:
                cohort = await ensure_demo_cohort(session, self._today())
                # The demo's facilitator is this chat's second person, on the chat's channel.
                where = Address(self.link.channel, str(FACILITATOR_ID))
                facilitator = await person_for(session, where, datetime.now(UTC))
                await add_facilitator(session, cohort, facilitator.person_id)
                await ensure_demo_people(session, cohort, self._today())
                where = Address(self.link.channel, str(MENTOR_ID))
                mentor = await person_for(session, where, datetime.now(UTC))
                await ensure_demo_mentor(
                    session, cohort, mentor.person_id, MENTOR_FULL_NAME, datetime.now(UTC)
                )
                catalogs = Catalogs()
                await ensure_demo_training(
                    session, cohort, datetime.now(UTC), lambda lang, key: catalogs.plain(lang, key)
                )
        finally:
            await engine.dispose()

    def _today(self) -> date:
        return datetime.now(ZoneInfo(self.settings.aksi_default_timezone)).date()

    async def run(self) -> None:
        if self.demo:
            await self._prepare_demo()
        await self.link.start(self.settings)
        try:
            self._banner()
            await self._converse()
        finally:
            await self.link.stop()

    def _banner(self) -> None:
        self.say("Aksi — obrolan lokal / local chat (tanpa Telegram / no Telegram needed)")
        if self.demo:
            self.say(
                f"Angkatan demo / demo cohort: kode {DEMO_CODE}. "
                "Ketik /start untuk bergabung lewat tautan undangan. Ada sesi yang sedang "
                "berlangsung (/hadir), evaluasi (/evaluasi) dan pre-test (/kuis) / a session "
                "under way, an evaluation and a pre-test to try."
            )
        self.say(
            "Tombol: ketik # dan nomornya, mis. #1 (angka saja dikirim sebagai teks) / "
            "buttons: type # and their number, e.g. #1 (a bare number is sent as text). "
            "Keluar / quit: :q atau Ctrl-D"
        )
        if self.demo:
            self.say(
                f":fasilitator — menjadi {FACILITATOR_NAME}, fasilitator angkatan demo "
                "(/umumkan, /status, /rekap, /ekspor, /peserta, /sesi, /presensi, "
                "/hasilevaluasi, /hasilkuis, /tanya) / become a facilitator; "
                f":mentor — menjadi {MENTOR_NAME}, mentor dua peserta yang rencana aksinya "
                "menunggu persetujuan (/mentor) / become their mentor; "
                ":peserta — kembali / back. :kirim FILE [keterangan] — kirim berkas (CSV jadwal/"
                "materi; foto atau PDF sebagai bukti) / send a file."
            )
        self.say()

    async def _read_line(self) -> str | None:
        if self.tty:
            self.stdout.write("Anda> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\r\n")

    def _unprompted(self) -> None:
        """A message the bot sends on its own (a reminder) shows up while the person waits."""
        if self.busy:
            return  # printed with the answer to the line being handled
        if self.tty:
            self.stdout.write("\r")
        self._print_new()
        if self.tty:
            self.stdout.write("Anda> ")
            self.stdout.flush()

    async def _converse(self) -> None:
        self.link.on_shown(self._unprompted)
        while True:
            line = await self._read_line()
            if line is None or line.strip() in QUIT_WORDS:
                return
            if not line.strip():
                continue
            if not self.tty:
                self.say(f"Anda> {line}")
            self.busy = True
            try:
                await self._act(line.strip())
                self._print_new()
            finally:
                self.busy = False

    def _switch(self, user_id: int) -> None:
        self.who = self.identities[user_id]
        self.buttons, self.buttons_message = [], None
        who = f"{self.who.first_name} {self.who.last_name or ''}".strip()
        self.say(f"  (sekarang Anda / you are now: {who}, id {user_id})")
        waiting = self.waiting.pop(user_id, None)
        if waiting is not None:
            self.say("  (pesan bertombol terbaru selagi Anda pergi / the latest one with buttons:)")
            self._print(waiting)

    async def _send_file(self, rest: str) -> None:
        path_text, _, caption = rest.strip().partition(" ")
        path = Path(path_text)
        try:
            data = await asyncio.to_thread(lambda: path.expanduser().read_bytes())
        except OSError as exc:
            self.say(f"  (berkas tidak terbaca / cannot read the file: {exc.strerror or exc})")
            return
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        await self.link.send_file(self.who, data, path.name, mime, caption.strip() or None)

    async def _act(self, line: str) -> None:
        lowered = line.lower()
        if lowered in AS_FACILITATOR and self.demo:
            self._switch(FACILITATOR_ID)
            return
        if lowered in AS_PARTICIPANT and self.demo:
            self._switch(self.participant_id)
            return
        if lowered in AS_MENTOR and self.demo:
            self._switch(MENTOR_ID)
            return
        if lowered.startswith(SEND_FILE):
            await self._send_file(line.split(" ", 1)[1])
            return
        press = PRESS.fullmatch(line)
        if press is not None:
            if not 1 <= int(press[1]) <= len(self.buttons):
                shown = f"#1–#{len(self.buttons)}" if self.buttons else "—"
                self.say(f"  (tidak ada tombol itu / no such button: {shown})")
                return
            assert self.buttons_message is not None
            label, data = self.buttons[int(press[1]) - 1]
            await self.link.press(self.who, self.buttons_message, data)
            if data.startswith(POLL_CHOICE):  # Telegram's poll shows the choice itself, silently
                self.say(f"  ⓘ (dipilih di jajak pendapat / chosen in the poll: {label})")
            return
        if line == "/start" and self.demo and not self.arrived_by_link:
            # As if the person opened the invitation link (t.me/<bot>?start=DEMO on Telegram,
            # wa.me/<number>?text=GABUNG%20DEMO on WhatsApp, which types the words for them).
            self.arrived_by_link = True
            if self.link.channel == "whatsapp":
                line = f"GABUNG {DEMO_CODE}"
                self.say(f"  (tautan undangan / invitation link: ?text=GABUNG%20{DEMO_CODE})")
            else:
                line = f"/start {DEMO_CODE}"
                self.say(f"  (tautan undangan / invitation link: ?start={DEMO_CODE})")
        await self.link.type(self.who, line)

    def _save_file(self, shown: Shown) -> Path:
        """Keep a file the bot sent, so the person can open the picture or the CSV."""
        folder = Path(tempfile.gettempdir()) / "aksi-local-chat"
        folder.mkdir(exist_ok=True)
        path = folder / Path(shown.file_name or "file").name
        path.write_bytes(shown.file_bytes)
        return path

    def _print_new(self) -> None:
        everything = self.link.shown()
        fresh, self.seen = everything[self.seen :], len(everything)
        for shown in fresh:
            if shown.chat_id in self.identities and shown.chat_id != self.who.user_id:
                self._print_elsewhere(shown)
            elif shown.chat_id == self.who.user_id:
                self._print(shown)

    def _print_elsewhere(self, shown: Shown) -> None:
        """A message to the other identity of this terminal (e.g. the announcement reaching the
        participant while you are the facilitator), in one line."""
        kept = self.waiting.get(shown.chat_id)
        if shown.rows and shown.kind in ("send", "edit"):
            self.waiting[shown.chat_id] = replace(shown, kind="send")
        elif kept is not None and shown.message_id == kept.message_id:
            self.waiting.pop(shown.chat_id)  # its buttons taken away, or it was edited without
        if shown.kind != "send":
            return
        name = self.identities[shown.chat_id].first_name
        first = to_terminal(shown.text or shown.file_name).split("\n", 1)[0]
        self.say(f"  ✉ (untuk / to {name}) {first[:100]}")

    def _print(self, shown: Shown) -> None:
        if shown.kind == "notice":
            if shown.text:
                self.say(f"  ⓘ {shown.text}")
            return
        if shown.kind == "drop":
            if self.buttons_message == shown.message_id:
                self.buttons, self.buttons_message = [], None
            return
        prefix = "Aksi (diperbarui)> " if shown.kind == "edit" else "Aksi> "
        if shown.file_kind:
            saved = self._save_file(shown)
            self.say(
                f"{prefix}[{shown.file_kind}: {shown.file_name}, {len(shown.file_bytes)} bytes, "
                f"saved as {saved}]"
            )
        body = to_terminal(shown.text, bold=self.tty)
        if body:
            lines = body.split("\n")
            self.say(prefix + lines[0])
            for rest in lines[1:]:
                self.say("      " + rest if rest else "")
        if shown.rows:
            self.buttons = [b for row in shown.rows for b in row]
            self.buttons_message = shown.message_id
            n = 0
            for row in shown.rows:
                labels = []
                for label, _data in row:
                    n += 1
                    labels.append(f"[#{n}] {label}")
                self.say("      " + "   ".join(labels))
        elif shown.kind == "edit" and shown.message_id == self.buttons_message:
            self.buttons, self.buttons_message = [], None
        self.say()
