"""The tables of messaging itself, whatever the feature: what came in (and which worker handles
each chat), the pace of what goes out, what became of it (receipts), what waits for a closed
window to open (held messages), the numbered menus shown, and the one-time codes that link a
person's contacts. Times are UTC (`storage.base`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Double, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime


class LinkCode(Base):
    """A one-time code that ties another contact to its person (`core.linking`): kept as its
    SHA-256 only, valid until `expires_at`, used at most once."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Receipt(Base):
    """What became of a message the bot sent, as its channel reported it later (WhatsApp's
    status webhooks): sent, delivered (on the phone), read, or failed with the channel's
    error. One row per message, the furthest status kept (`core.receipts`)."""

    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)


class InboundSeen(Base):
    """An inbound message or update a channel has taken in, by the channel's own id for it
    (Telegram's `update_id`, later WhatsApp's message id): a channel that re-delivers after a
    timeout, or after a restart, finds it here and the copy is dropped. Rows older than a
    channel's re-delivery horizon are pruned."""

    __tablename__ = "inbound_seen"
    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Taken in by one of several workers (`core.chat_turns`): queued for its chat, in `seq`
    # order (Telegram's update_id), the update itself in `payload`, until a worker that has the
    # chat's turn has handled it. Empty when the update went straight to this process's engine.
    chat: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ChatTurn(Base):
    """Which worker is handling a chat's updates now, until when (renewed while it works): one
    at a time per chat, whichever worker each update reached (`core.chat_turns`). A worker that
    died leaves its turn to run out."""

    __tablename__ = "chat_turns"

    chat: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class PaceSlot(Base):
    """A message some worker sent, at the database server's time (seconds since the epoch):
    every worker counts the last window's before sending, so together they stay within
    Telegram's 30 a second (`core.shared_pace`). Rows older than a few windows are dropped."""

    __tablename__ = "pace_slots"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[float] = mapped_column(Double, index=True)
    bulk: Mapped[bool] = mapped_column(default=False, server_default="0")
    chat: Mapped[int | None] = mapped_column(BigInteger)  # a Telegram chat id, when it is one


class HeldMessage(Base):
    """A message nobody asked for that a closed service window (WhatsApp's 24 hours) kept from
    its reader whole: sent as its kind's template without its buttons, or not at all. Shown
    whole when they next write, until `expires_at` (`core.held`); `body` is the message."""

    __tablename__ = "held_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ShownMenu(Base):
    """The numbered menu last shown at an address (a choice with more options than the channel
    has buttons for): number → action data, answering that person's next message only,
    whichever worker it reaches (`core.menus`)."""

    __tablename__ = "shown_menus"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    choices: Mapped[str] = mapped_column(Text)
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
