"""Personal join tokens, and the links that carry them to Telegram's `/start`.

A token is `r-` and 24 random letters and digits. The lowercase `r` means a token can never
equal a cohort code (codes are stored upper-case), so `/start` can look a token up first, case
sensitively, and only then try the text as a code. Kept apart so that the format is defined once
for the roster import, the demo and the join handler.
"""

from __future__ import annotations

import re
import secrets
import string

TOKEN_PREFIX = "r-"
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_TOKEN_RANDOM = 24  # 62^24: about 143 bits
TOKEN_RE = re.compile(rf"^{TOKEN_PREFIX}[A-Za-z0-9]{{{_TOKEN_RANDOM}}}$")


def new_token(taken: set[str]) -> str:
    """A fresh personal token (`r-` and 24 random letters or digits) not in `taken`."""
    while True:
        token = TOKEN_PREFIX + "".join(
            secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_RANDOM)
        )
        if token not in taken:
            taken.add(token)
            return token


def looks_like_token(text: str) -> bool:
    return bool(TOKEN_RE.match(text))


def link_for(bot_username: str, token: str) -> str:
    """The personal join link: Telegram opens the bot and sends `/start <token>`."""
    return f"https://t.me/{bot_username.strip().removeprefix('@')}?start={token}"


def whatsapp_link_for(number: str, token: str) -> str:
    """The personal join link on WhatsApp: it opens a chat with Aksi's number with
    `GABUNG <token>` typed, for the person to send."""
    return f"https://wa.me/{number}?text=GABUNG%20{token}"
