"""The channel contract: what every chat channel (Telegram, WhatsApp, the in-memory one of the
tests) gives the features and what it takes from them. In the spirit of errbot's backends and
RapidPro courier's channel handlers: a channel turns its own updates into `Inbound` events and
sends `Outbound` messages, and says what it can do (`Capabilities`); a feature never sees a
channel's own types.

Text is written in Aksi's markup (`core.i18n`): a small HTML subset — `<b>`, `<i>`, `<u>`,
`<s>`, `<code>`, `<pre>`, `<a href>` and the entities `&lt; &gt; &amp; &quot;` — which the
catalogs use and announcements are stored in. Each channel renders it its own way (Telegram
takes it as it is; WhatsApp gets `*bold*` and links written out; a plain channel the text).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from html import escape
from pathlib import PurePath
from typing import Literal, Protocol

TELEGRAM = "telegram"  # the channel everyone reaches Aksi on today

# --- who -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Address:
    """A chat on a channel: ("telegram", "123456789"), ("whatsapp", "6281234567890")."""

    channel: str
    external_id: str


@dataclass(frozen=True, slots=True)
class Sender:
    """Who wrote, as the channel knows them: their display name and language hint (the app's
    language, when the channel tells it)."""

    address: Address
    display_name: str = ""
    username: str = ""
    language_hint: str | None = None
    first_name: str = ""  # how to greet them (the display name's first part when unknown)


# --- inbound -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """`/name args…` (a command menu entry, or typed)."""

    sender: Sender
    name: str
    args: tuple[str, ...] = ()
    # The whole message, plain and as markup (the writer's bold, italic, links kept), for a
    # command that takes free text after its name (/umumkan).
    text: str = ""
    markup: str = ""

    @classmethod
    def of(cls, sender: Sender, text: str, markup: str) -> Command:
        """A command line as typed: `/name args…` (a bot's name after `@` dropped)."""
        words = text.split()
        return cls(sender, words[0][1:].split("@")[0], tuple(words[1:]), text, markup)


@dataclass(frozen=True, slots=True)
class Text:
    """Free text; `markup` keeps the writer's formatting (bold, italic, links) as the
    engine's markup (`core.i18n`), escaped like any text when the channel gave none."""

    sender: Sender
    text: str
    markup: str = ""

    @property
    def html(self) -> str:
        return self.markup or escape(self.text, quote=False)


@dataclass(frozen=True, slots=True)
class Press:
    """A button pressed: its action data and the message it was on (to edit it in place)."""

    sender: Sender
    data: str
    message: MessageRef | None
    press_id: str = ""  # to acknowledge it (Telegram's callback query id)


@dataclass(frozen=True, slots=True)
class FileIn:
    """A document or a photo sent: fetch its bytes with `Channel.download(file)`; `file_id`
    fetches it again later (Telegram's file_id is the bot's own, and lasts)."""

    sender: Sender
    file_id: str
    name: str
    size: int | None
    mime_type: str = ""
    caption: str = ""
    kind: Literal["document", "photo"] = "document"


@dataclass(frozen=True, slots=True)
class PollAnswer:
    """A choice in a poll the bot sent (`Poll`), by the channel's poll id; no options: the
    choice taken back."""

    sender: Sender
    poll_id: str
    options: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Other:
    """Something the channel carries that Aksi does not read (a sticker, a voice note, a
    video): answered with a pointer to what it does read."""

    sender: Sender
    kind: str = ""


Inbound = Command | Text | Press | FileIn | PollAnswer | Other


# --- outbound ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    """A button: its label (plain text) and the action data it sends back (`core.buttons`)."""

    label: str
    data: str


Rows = Sequence[Sequence[Action]]


def button_rows(rows: Iterable[Iterable[Action]]) -> Rows:
    """Rows of buttons, top to bottom, each left to right."""
    return [list(row) for row in rows]


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: Literal["photo", "document"]
    data: bytes
    filename: str
    caption: str = ""  # markup


@dataclass(frozen=True, slots=True)
class Poll:
    """A channel's own poll (where `Capabilities.native_polls`), never anonymous (the answers
    come back as `PollAnswer`): a quiz when `correct` (0-based) is set, its `explanation` shown
    after answering; `seconds`: how long it stays open."""

    question: str  # plain text
    options: tuple[str, ...]
    multiple: bool = False
    correct: int | None = None
    explanation: str = ""  # plain text
    seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message: text in markup (already rendered from a catalog key and its values), rows
    of buttons, or an attachment (its caption in markup), or a poll."""

    text: str = ""
    rows: Rows = ()
    attachment: Attachment | None = None
    poll: Poll | None = None
    link_previews: bool = False  # participants are often on weak connections
    # The reader's language, for the few words a channel adds of its own (WhatsApp's "Pilih"
    # on a list); "" when not known (the channel's default).
    lang: str = ""
    # What kind of message nobody asked for this is (`UNPROMPTED`: a reminder, an
    # announcement…); "" for an answer to what the person just wrote. A channel that allows
    # free messages only inside a service window (WhatsApp) sends one of these outside it as
    # the approved template of its kind, or not at all (`NeedsTemplate`).
    kind: str = ""

    def unasked(self) -> Outbound:
        """This message as one nobody asked for: its own kind, else a NOTICE."""
        return self if self.kind else replace(self, kind=NOTICE)


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot sent, as the channel identifies it (to edit it)."""

    address: Address
    message_id: str


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    ref: MessageRef | None = None
    status: Literal["sent"] = "sent"
    poll_id: str = ""  # a poll sent: the channel's id for it (its answers name it)
    # Sent as its kind's template (outside a service window): its text only, not its buttons.
    template: bool = False


@dataclass(frozen=True, slots=True)
class RetryLater:
    """Try again after `seconds`: the channel asked everyone to wait (`pause_all`: Telegram's
    429), or this message met network trouble."""

    seconds: float
    reason: str = ""
    pause_all: bool = False
    status: Literal["retry"] = "retry"


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The chat takes nothing from the bot any more (blocked, deleted, gone): stop sending to it
    until the person writes again."""

    reason: str = ""
    status: Literal["unreachable"] = "unreachable"


@dataclass(frozen=True, slots=True)
class Failed:
    """This message was refused or could not be sent; the next one may well go through."""

    reason: str = ""
    status: Literal["failed"] = "failed"


@dataclass(frozen=True, slots=True)
class NeedsTemplate:
    """Not sent: the person's service window is closed and no approved template is configured
    for this kind of message (counted as such in delivery reports, never silently dropped)."""

    kind: str
    reason: str = "needs a template"
    status: Literal["needs_template"] = "needs_template"


SendResult = Sent | RetryLater | Unreachable | Failed | NeedsTemplate
Outcome = Literal["sent", "failed", "unreachable", "needs_template"]

# The kinds of unprompted message (`Outbound.kind`), each with its template on WhatsApp.
REMINDER = "reminder"  # the daily commitment reminder
SESSION = "session"  # a session reminder, an attendance window opening
FOLLOW_UP = "follow_up"  # the evening follow-up of a day not yet reported
ANNOUNCEMENT = "announcement"
DIGEST = "digest"  # the morning and weekly summaries, a mentor's digest
NOTICE = "notice"  # anything else a person did not ask for (a mentor's request, a question)
UNPROMPTED = (REMINDER, SESSION, FOLLOW_UP, ANNOUNCEMENT, DIGEST, NOTICE)


def one_shot_outcome(result: SendResult) -> Outcome:
    """What a message sent once (a reminder, a digest) records: a wait asked for counts as not
    sent (the next one is tried afresh)."""
    return "failed" if isinstance(result, RetryLater) else result.status


# --- what a channel can do -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capabilities:
    max_buttons: int  # buttons in one message, all rows together
    max_button_row: int  # buttons side by side
    max_text: int  # characters in one message (as the channel counts them)
    max_caption: int
    max_action_bytes: int  # button data
    formatting: bool  # bold, italic, links shown as such
    native_polls: bool
    command_menu: bool
    edits: bool  # a sent message can be changed in place
    # Free messages only within this long after the person's last message (WhatsApp: 24 h);
    # None: any time.
    service_window: timedelta | None = None
    languages: Sequence[str] = field(default=("id", "en"))
    # The file endings a document may have (lower case, with the dot); None: any.
    documents: frozenset[str] | None = None

    def takes_document(self, filename: str) -> bool:
        """Whether a document named `filename` can be sent on the channel."""
        return self.documents is None or PurePath(filename.lower()).suffix in self.documents


def within_window(capabilities: Capabilities, last_inbound: datetime | None, now: datetime) -> bool:
    """Whether a free message may go to someone who last wrote at `last_inbound`: the channel
    has no service window, or they wrote inside it."""
    window = capabilities.service_window
    return window is None or (last_inbound is not None and now - last_inbound < window)


class DownloadFailed(Exception):
    """A file sent in could not be fetched from the channel."""


class Channel(Protocol):
    """What the engine asks of a channel."""

    name: str
    capabilities: Capabilities

    async def send(self, address: Address, message: Outbound) -> SendResult: ...

    async def edit(self, ref: MessageRef, message: Outbound) -> SendResult: ...

    async def acknowledge(self, press: Press, notice: str = "", alert: bool = False) -> None:
        """Answer a button press (stops the client's spinner); `notice` is shown briefly, or as
        a dialog with `alert`."""
        ...

    async def drop_actions(self, ref: MessageRef) -> None:
        """Remove the buttons of a sent message (so an old question cannot be answered
        twice); one that cannot be changed any more is left as it is."""
        ...

    async def stop_poll(self, ref: MessageRef) -> SendResult:
        """Close a poll the bot sent (no more answers; its results stay shown)."""
        ...

    async def download(self, file: FileIn) -> bytes:
        """The file's bytes; `DownloadFailed` when the channel cannot give them."""
        ...

    def join_link(self, token: str) -> str:
        """A link that opens a chat with Aksi and sends `token` (a personal join link)."""
        ...
