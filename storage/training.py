"""The tables of what organisers record for every session: attendance (core.attendance). Times
are UTC (`storage.base`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow


class Attendance(Base):
    """A participant's attendance of one session, one row at most (core.attendance).

    state: present (by the participant in the window, or marked by a facilitator), asked (an
    excuse — `kind` izin or sakit, with `reason` — waiting for a facilitator), excused (the
    excuse accepted, or marked by hand), refused (the excuse refused: absent), writing (an
    excuse whose reason is being typed). No row: absent. `source`: self, facilitator."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(8), nullable=True)  # izin, sakit
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
