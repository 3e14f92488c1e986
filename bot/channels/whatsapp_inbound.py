"""WhatsApp Cloud API webhooks, in (issue 15, item 1): Meta's verification challenge, the
signature of each post, and a post's body read into the channel contract's events.

The body is read here rather than by pywa: pywa 4.5 handles only the first message or status of
a post (Meta batches several into one) and drops a message whose contact carries no `user_id`
(read in pywa 4.5.0's source) — either would lose a participant's message.

- A typed text is a command when it is only a command's word, `GABUNG KODE`, or `/name`
  (`core.keywords`); anything else is text — and a number answering the numbered menu last
  shown to that person (`bot.channels.whatsapp_render`) the press of that option
  (`menu_press`, once the message is known to be new).
- A reply button or list row pressed is a `Press` with the option's id (our action data) and
  the message it was on.
- A picture or document is a `FileIn` (its media id fetches it); a reaction is ignored;
  anything else (voice notes, stickers, locations) is `Other`, answered with a pointer to
  what Aksi reads.
- Delivery statuses (sent, delivered, read, failed with Meta's error code) come out as such.
A message missing what it needs (no sender, no id) is skipped and counted, never the whole post.
The sender is their number (`from`) or, for someone who hides it behind a username, their
business-scoped user id (`from_user_id`, "ID.1502576394655843"): a contact keyed on either.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.channel import (
    Address,
    FileIn,
    Inbound,
    MessageRef,
    Other,
    Press,
    Sender,
    Text,
)
from core.keywords import read_typed
from core.markup import from_whatsapp

WHATSAPP = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Messages that ask nothing of the bot: a reaction (👍 on its message), a system notice.
IGNORED = frozenset({"reaction", "system", "ephemeral"})


def challenge(params: Mapping[str, str], verify_token: str) -> str | None:
    """The answer to Meta's GET when the webhook is set up: `hub.challenge` when the mode is
    "subscribe" and `hub.verify_token` is ours (compared in constant time), else None."""
    given = params.get("hub.verify_token", "").encode()
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(given, verify_token.encode()):
        return None
    answer = params.get("hub.challenge", "")
    return answer if answer and len(answer) <= 256 else None


def signed(body: bytes, header: str, app_secret: str) -> bool:
    """Whether `header` (X-Hub-Signature-256: `sha256=<hex>`) is the HMAC-SHA256 of the raw
    `body` with the app secret."""
    if not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").encode(), expected.encode())


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message in: Meta's id for it (re-deliveries repeat it), when it was written, the
    event for the engine."""

    message_id: str
    at: datetime
    event: Inbound
    # The message as Meta posted it and its writer's profile name: what several workers queue
    # (`read_queued` reads it back).
    raw: dict[str, Any] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True, slots=True)
class Status:
    """What became of a message the bot sent: sent, delivered, read or failed (with Meta's
    error code)."""

    message_id: str
    recipient: str
    status: str
    at: datetime
    error_code: int | None = None


@dataclass
class Post:
    """What one webhook post carried."""

    messages: list[Incoming] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    skipped: int = 0  # messages or statuses missing what they need
    ignored: int = 0  # reactions and the like: nothing to answer


class NotAWebhook(ValueError):
    """The body is not a WhatsApp Business Account webhook."""


def read_post(data: object, phone_number_id: str, commands: Collection[str]) -> Post:
    """Every message and status of a post for our number (`phone_number_id`; another number of
    the same app is none of ours), in order. NotAWebhook when the body is not one."""
    if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
        raise NotAWebhook("not a whatsapp_business_account webhook")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise NotAWebhook("no entry list")
    post = Post()
    for entry in entries:
        for change in _dicts(entry.get("changes") if isinstance(entry, dict) else None):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if not isinstance(metadata, dict) or metadata.get("phone_number_id") != phone_number_id:
                continue
            names = {
                str(c.get(key) or ""): _profile_name(c)
                for c in _dicts(value.get("contacts"))
                for key in ("wa_id", "user_id")
            }
            for message in _dicts(value.get("messages")):
                if message.get("type") in IGNORED:
                    post.ignored += 1
                    continue
                found = _message(message, names, commands)
                if found is None:
                    post.skipped += 1
                else:
                    post.messages.append(found)
            for status in _dicts(value.get("statuses")):
                read = _status(status)
                if read is None:
                    post.skipped += 1
                else:
                    post.statuses.append(read)
    return post


def read_queued(raw: dict[str, Any], name: str, commands: Collection[str]) -> Incoming | None:
    """A message queued by `Incoming.raw` and `name`, read again (on whichever worker has its
    chat's turn)."""
    who = raw.get("from") or raw.get("from_user_id")
    return _message(raw, {str(who): name}, commands)


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _profile_name(contact: dict[str, Any]) -> str:
    profile = contact.get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    return " ".join(str(name).split())[:128] if name else ""


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _text_of(obj: object, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else ""


def _message(
    message: dict[str, Any], names: Mapping[str, str], commands: Collection[str]
) -> Incoming | None:
    # The phone number when Meta gives it (how the contact has been known), else the
    # business-scoped user id of someone who has hidden theirs behind a username.
    who, message_id = message.get("from") or message.get("from_user_id"), message.get("id")
    at = _when(message.get("timestamp"))
    if not isinstance(who, str) or not who or not isinstance(message_id, str) or at is None:
        return None
    if not message_id or len(message_id) > 128 or len(who) > 64:
        return None
    name = names.get(who, "")
    sender = Sender(Address(WHATSAPP, who), name, first_name=name.split(" ")[0] if name else "")
    kind = message.get("type")
    on = _text_of(message.get("context"), "id")
    ref = MessageRef(sender.address, on) if on else None
    event: Inbound
    if kind == "text":
        body = _text_of(message.get("text"), "body")
        event = read_typed(sender, body, from_whatsapp(body), commands)
    elif kind == "interactive":
        interactive = message.get("interactive")
        reply_kind = _text_of(interactive, "type")
        data = _text_of(
            interactive.get(reply_kind) if isinstance(interactive, dict) else None, "id"
        )
        if reply_kind not in ("button_reply", "list_reply") or not data:
            event = Other(sender, f"interactive:{reply_kind}"[:40])
        else:
            event = Press(sender, data, ref, message_id)
    elif kind == "button":  # a template's quick reply
        data = _text_of(message.get("button"), "payload")
        event = Press(sender, data, ref, message_id) if data else Other(sender, "button")
    elif kind in ("image", "document"):
        media = message.get(kind)
        media_id = _text_of(media, "id")
        if not media_id:
            return None
        event = FileIn(
            sender,
            media_id,
            _text_of(media, "filename")[:255],
            None,
            _text_of(media, "mime_type")[:127],
            _text_of(media, "caption"),
            "photo" if kind == "image" else "document",
        )
    else:
        event = Other(sender, str(kind)[:40])
    return Incoming(message_id, at, event, message, name)


def _status(status: dict[str, Any]) -> Status | None:
    message_id, state = status.get("id"), status.get("status")
    at = _when(status.get("timestamp"))
    if not isinstance(message_id, str) or not message_id or at is None:
        return None
    if state not in ("sent", "delivered", "read", "failed"):
        return None
    errors = _dicts(status.get("errors"))
    code = errors[0].get("code") if errors else None
    return Status(
        message_id,
        str(status.get("recipient_id") or ""),
        str(state),
        at,
        code if isinstance(code, int) and not isinstance(code, bool) else None,
    )


def menu_press(event: Inbound, menu: Mapping[int, str]) -> Inbound:
    """A typed number (ASCII digits only: "²" is a digit to Python, not to `int`) answering
    the numbered menu last shown to its writer (`menu`) is the press of that option; anything
    else is itself. Called once a message is known to be new, so a re-delivery takes nothing."""
    if not isinstance(event, Text) or not menu:
        return event
    typed = event.text.strip()
    if not (typed.isascii() and typed.isdigit() and len(typed) <= 3):
        return event
    chosen = menu.get(int(typed))
    return Press(event.sender, chosen, None) if chosen is not None else event
