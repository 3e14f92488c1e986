"""A bare PTB bot for `bench/checkin.py`: Aksi's check-in on the wire, without Aksi.

Built with the same ApplicationBuilder options as `bot/app.py` (Bot API base URL, AIORateLimiter
with max_retries=3 and the overall rate from AKSI_MAX_MESSAGES_PER_SECOND, one update at a time
unless ECHO_CONCURRENCY says how many)
and run with long polling that keeps pending updates, like `aksi run`. `/lapor` answers with a
one-habit sheet and its inline keyboard; a press on `ci:y:<habit_id>.<YYYYMMDD>` is answered
("Tersimpan ✅") and the sheet is edited to show the habit as done. No database, no catalogs.

Usage: TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot \\
       .venv/bin/python bench/echo_bot.py
"""

from __future__ import annotations

import logging
import os
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

ZONE = ZoneInfo("Asia/Makassar")
HABIT = "Membaca 10 menit"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_DATA_RE = re.compile(r"^ci:(y|n|s):(\d{1,12})\.(\d{8})$")
LEGEND = (
    "✅ selesai · ❌ tidak · ⏸ lewati (sakit, dinas luar, cuti) — melewati tidak memutus beruntun."
)


def keyboard(habit_id: int, day: date) -> InlineKeyboardMarkup:
    """The same buttons as Aksi's one-habit sheet."""
    stamp = f"{day:%Y%m%d}"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(f"✅ {HABIT}", callback_data=f"ci:y:{habit_id}.{stamp}"),
                InlineKeyboardButton("❌", callback_data=f"ci:n:{habit_id}.{stamp}"),
                InlineKeyboardButton("⏸", callback_data=f"ci:s:{habit_id}.{stamp}"),
            ],
            [
                InlineKeyboardButton("💬 Refleksi", callback_data=f"ci:note:0.{stamp}"),
                InlineKeyboardButton("📅 Hari lain", callback_data=f"ci:days:0.{stamp}"),
            ],
        ]
    )


def sheet(day: date, done: bool) -> str:
    state = "✅ selesai" if done else "⬜ belum dilaporkan"
    blocks = [f"📝 <b>Laporan hari ini</b> · {day:%d-%m-%Y}", f"1. {HABIT} — {state}"]
    if done:
        blocks.append(
            "🎉 Semua kebiasaan hari ini sudah dilaporkan. Terima kasih atas komitmen Anda!"
        )
    blocks.append(LEGEND)
    return "\n\n".join(blocks)


async def lapor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    today = datetime.now(ZONE).date()
    # No habits here: the chat id stands in for the habit id.
    await context.bot.send_message(
        chat.id,
        sheet(today, done=False),
        parse_mode=ParseMode.HTML,
        link_preview_options=NO_PREVIEW,
        reply_markup=keyboard(chat.id, today),
    )


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    match = _DATA_RE.match(query.data or "")
    if match is None or match[1] != "y":
        await query.answer("Tombol ini sudah tidak berlaku.", show_alert=True)
        return
    day = datetime.strptime(match[3], "%Y%m%d").date()
    await query.answer("Tersimpan ✅")
    await query.edit_message_text(
        sheet(day, done=True),
        parse_mode=ParseMode.HTML,
        link_preview_options=NO_PREVIEW,
        reply_markup=keyboard(int(match[2]), day),
    )


def build() -> Application:  # type: ignore[type-arg]
    base_url = os.environ.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot")
    rate = float(os.environ.get("AKSI_MAX_MESSAGES_PER_SECOND", "30"))
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(base_url)
        .base_file_url(base_url.replace("/bot", "/file/bot", 1))
        .rate_limiter(AIORateLimiter(overall_max_rate=rate, max_retries=3))
        # ECHO_CONCURRENCY: updates handled at once (bench/checkin.py --rtt-ms gives it Aksi's).
        .concurrent_updates(int(os.environ.get("ECHO_CONCURRENCY", "0")) or False)
        .build()
    )
    app.add_handler(CommandHandler("lapor", lapor, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(press, pattern=r"^ci:"))
    return app


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # SIGTERM stops run_polling cleanly (PTB's default stop signals).
    build().run_polling(drop_pending_updates=False, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
