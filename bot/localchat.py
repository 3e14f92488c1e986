"""The local chat: talk to the real bot in a terminal, with no Telegram token.

The same `Application` and handlers run as on Telegram; they talk over HTTP on loopback to
`BotApiStandIn`, a small Bot API server. This module types the person's lines into that server
and prints what the bot sends back. Buttons are numbered `[#1]`, `[#2]`… and pressed by typing
`#1`, `#2`…; anything else, a bare number too, is sent as text: the answer to a question (a
number of pages, a target) is never taken for a button.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application

from bot.app import AksiApplication
from bot.runner import serve
from bot.settings import Settings
from bot.standin import BotApiStandIn, Outgoing
from core.channel import TELEGRAM, Address
from core.contacts import person_for
from core.demo import DEMO_CODE, ensure_demo_cohort, ensure_demo_people
from core.staff import add_facilitator
from storage.db import create_engine, sessionmaker, upgrade

QUIT_WORDS = frozenset({":q", ":quit", ":keluar"})
AS_FACILITATOR = frozenset({":fasilitator", ":facilitator", ":f"})
AS_PARTICIPANT = frozenset({":peserta", ":participant", ":p"})
SEND_FILE = (":kirim ", ":send ")
PRESS = re.compile(r"#\s*(\d{1,3})")  # "#2" presses button 2; "2" alone is text
FACILITATOR_ID = 1002
FACILITATOR_NAME = "Sari"
UPDATE_TIMEOUT_S = 30.0


class LocalChatApplication(Application):  # type: ignore[type-arg]
    """An Application that tells the local chat when each update is fully handled."""

    handled: asyncio.Queue[int] | None = None

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if self.handled is not None and isinstance(update, Update):
                self.handled.put_nowait(update.update_id)


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


def to_terminal(text: str, parse_mode: str | None, bold: bool = False) -> str:
    if parse_mode != "HTML":
        return text
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
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.settings = settings
        self.first_name, self.last_name, self.language_code = first_name, last_name, language_code
        self.user_id = user_id
        self.demo = demo
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.tty = self.stdin.isatty() and self.stdout.isatty()
        self.standin = BotApiStandIn()
        self.seen = 0
        self.busy = False
        self.buttons: list[dict[str, Any]] = []
        self.buttons_message: int | None = None
        self.arrived_by_link = False
        # Who is typing: the participant, or (`:fasilitator`) a facilitator of the demo cohort.
        self.identities = {
            user_id: (first_name, last_name, language_code),
            FACILITATOR_ID: (FACILITATOR_NAME, "(fasilitator)", language_code),
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
                # The local chat is Telegram's (the stand-in): the facilitator is that user id.
                where = Address(TELEGRAM, str(FACILITATOR_ID))
                facilitator = await person_for(session, where, datetime.now(UTC))
                await add_facilitator(session, cohort, facilitator.person_id)
                await ensure_demo_people(session, cohort, self._today())
        finally:
            await engine.dispose()

    def _today(self) -> date:
        return datetime.now(ZoneInfo(self.settings.aksi_default_timezone)).date()

    async def run(self) -> None:
        if self.demo:
            await self._prepare_demo()
        async with self.standin:
            settings = self.settings.model_copy(
                update={
                    "telegram_bot_token": SecretStr(self.standin.token),
                    "telegram_api_base_url": self.standin.base_url,
                }
            )
            handled: asyncio.Queue[int] = asyncio.Queue()
            ready = asyncio.Event()
            stop = asyncio.Event()

            async def on_ready(app: AksiApplication) -> None:
                assert isinstance(app, LocalChatApplication)
                app.handled = handled
                ready.set()

            bot = asyncio.create_task(
                serve(settings, stop, application_class=LocalChatApplication, on_ready=on_ready)
            )
            ready_wait = asyncio.create_task(ready.wait())
            await asyncio.wait({bot, ready_wait}, return_when=asyncio.FIRST_COMPLETED)
            if bot.done():
                ready_wait.cancel()
                await bot  # raises what stopped the bot
                return
            self._banner()
            try:
                await self._converse(handled)
            finally:
                stop.set()
                await bot

    def _banner(self) -> None:
        self.say("Aksi — obrolan lokal / local chat (tanpa Telegram / no Telegram needed)")
        if self.demo:
            self.say(
                f"Angkatan demo / demo cohort: kode {DEMO_CODE}. "
                "Ketik /start untuk bergabung lewat tautan undangan."
            )
        self.say(
            "Tombol: ketik # dan nomornya, mis. #1 (angka saja dikirim sebagai teks) / "
            "buttons: type # and their number, e.g. #1 (a bare number is sent as text). "
            "Keluar / quit: :q atau Ctrl-D"
        )
        if self.demo:
            self.say(
                f":fasilitator — menjadi {FACILITATOR_NAME}, fasilitator angkatan demo "
                "(/umumkan, /status, /rekap, /ekspor, /peserta, /sesi) / become a facilitator; "
                ":peserta — kembali / back. :kirim FILE [keterangan] — kirim berkas (CSV jadwal/"
                "materi) / send a file."
            )
        self.say()

    async def _read_line(self) -> str | None:
        if self.tty:
            self.stdout.write("Anda> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return None if line == "" else line.rstrip("\r\n")

    def _unprompted(self, _record: Outgoing) -> None:
        """A message the bot sends on its own (a reminder) shows up while the person waits."""
        if self.busy:
            return  # printed with the answer to the line being handled
        if self.tty:
            self.stdout.write("\r")
        self._print_new()
        if self.tty:
            self.stdout.write("Anda> ")
            self.stdout.flush()

    async def _converse(self, handled: asyncio.Queue[int]) -> None:
        self.standin.add_listener(self._unprompted)
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
                update_id = self._push(line.strip())
                if update_id is not None:
                    await self._wait_handled(handled, update_id)
                    self._print_new()
            finally:
                self.busy = False

    def _switch(self, user_id: int) -> None:
        self.user_id = user_id
        self.first_name, self.last_name, self.language_code = self.identities[user_id]
        self.buttons, self.buttons_message = [], None
        who = f"{self.first_name} {self.last_name or ''}".strip()
        self.say(f"  (sekarang Anda / you are now: {who}, id {user_id})")

    def _send_file(self, rest: str) -> int | None:
        path_text, _, caption = rest.strip().partition(" ")
        path = Path(path_text).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.say(f"  (berkas tidak terbaca / cannot read the file: {exc.strerror or exc})")
            return None
        mime = "text/csv" if path.suffix.lower() == ".csv" else "application/octet-stream"
        return self.standin.push_document(
            self.user_id,
            data,
            path.name,
            mime_type=mime,
            caption=caption.strip() or None,
            first_name=self.first_name,
            last_name=self.last_name,
            language_code=self.language_code,
        )

    def _push(self, line: str) -> int | None:
        lowered = line.lower()
        if lowered in AS_FACILITATOR and self.demo:
            self._switch(FACILITATOR_ID)
            return None
        if lowered in AS_PARTICIPANT and self.demo:
            self._switch(next(i for i in self.identities if i != FACILITATOR_ID))
            return None
        if lowered.startswith(SEND_FILE):
            return self._send_file(line.split(" ", 1)[1])
        press = PRESS.fullmatch(line)
        if press is not None:
            if not 1 <= int(press[1]) <= len(self.buttons):
                shown = f"#1–#{len(self.buttons)}" if self.buttons else "—"
                self.say(f"  (tidak ada tombol itu / no such button: {shown})")
                return None
            button = self.buttons[int(press[1]) - 1]
            if "url" in button:
                self.say(f"  ↗ {button['url']}")
                return None
            assert self.buttons_message is not None
            return self.standin.push_callback(
                self.user_id,
                self.buttons_message,
                button["callback_data"],
                first_name=self.first_name,
                last_name=self.last_name,
                language_code=self.language_code,
            )
        if line == "/start" and self.demo and not self.arrived_by_link:
            # As if the person opened the invitation link t.me/<bot>?start=DEMO.
            self.arrived_by_link = True
            line = f"/start {DEMO_CODE}"
            self.say(f"  (tautan undangan / invitation link: ?start={DEMO_CODE})")
        return self.standin.push_message(
            self.user_id,
            line,
            first_name=self.first_name,
            last_name=self.last_name,
            language_code=self.language_code,
        )

    def _save_file(self, record: Outgoing) -> Path:
        """Keep a file the bot sent, so the person can open the picture or the CSV."""
        folder = Path(tempfile.gettempdir()) / "aksi-local-chat"
        folder.mkdir(exist_ok=True)
        path = folder / Path(record.file_name or "file").name
        path.write_bytes(record.file_bytes or b"")
        return path

    async def _wait_handled(self, handled: asyncio.Queue[int], update_id: int) -> None:
        async with asyncio.timeout(UPDATE_TIMEOUT_S):
            while await handled.get() < update_id:
                pass

    def _print_new(self) -> None:
        records = self.standin.outbox[self.seen :]
        self.seen = len(self.standin.outbox)
        for record in records:
            if record.chat_id in self.identities and record.chat_id != self.user_id:
                self._print_elsewhere(record)
                continue
            if record.chat_id not in (None, self.user_id):
                continue
            self._print_record(record)

    def _print_elsewhere(self, record: Outgoing) -> None:
        """A message to the other identity of this terminal (e.g. the announcement reaching the
        participant while you are the facilitator), in one line."""
        if record.method not in ("sendMessage", "sendPhoto", "sendDocument"):
            return
        name = self.identities[record.chat_id or 0][0]
        body = to_terminal(record.text or record.file_name or "", record.parse_mode)
        first = body.split("\n", 1)[0]
        self.say(f"  ✉ (untuk / to {name}) {first[:100]}")

    def _print_record(self, record: Outgoing) -> None:
        if record.method == "answerCallbackQuery":
            if record.text:
                self.say(f"  ⓘ {record.text}")
            return
        if record.method in ("editMessageReplyMarkup", "deleteMessage"):
            if self.buttons_message == record.message_id and not record.reply_markup:
                self.buttons, self.buttons_message = [], None
            return
        prefix = "Aksi (diperbarui)> " if record.method == "editMessageText" else "Aksi> "
        if record.method in ("sendPhoto", "sendDocument"):
            size = len(record.file_bytes or b"")
            saved = self._save_file(record)
            kind = record.method[4:].lower()
            self.say(f"{prefix}[{kind}: {record.file_name or ''}, {size} bytes, saved as {saved}]")
        body = to_terminal(record.text or "", record.parse_mode, bold=self.tty)
        if body:
            lines = body.split("\n")
            self.say(prefix + lines[0])
            for rest in lines[1:]:
                self.say("      " + rest if rest else "")
        rows = (record.reply_markup or {}).get("inline_keyboard") or []
        if rows:
            self.buttons = [b for row in rows for b in row]
            self.buttons_message = record.message_id
            n = 0
            for row in rows:
                labels = []
                for b in row:
                    n += 1
                    labels.append(f"[#{n}] {b['text']}")
                self.say("      " + "   ".join(labels))
        elif record.method == "editMessageText" and record.message_id == self.buttons_message:
            self.buttons, self.buttons_message = [], None
        self.say()
