"""The evaluations of trainers and of the organisation (core.evaluations): forms, their items
and the participants' answers. Times are UTC (`storage.base`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow


class EvaluationForm(Base):
    """An evaluation form opened for a cohort (core.evaluations): of a trainer (`session_id`,
    its speaker as `subject`), of the organisation, or imported. `closed_at` set: no more
    answers."""

    __tablename__ = "evaluation_forms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # trainer, organisation, custom
    title: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When those who had not finished were reminded (once, REMIND_AFTER after opening).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EvaluationItem(Base):
    """One item of a form, in both languages: `scale` 5 (1-5), 4 (1-4), yesno, or text."""

    __tablename__ = "evaluation_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_forms.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    scale: Mapped[str] = mapped_column(String(8))


class EvaluationAnswer(Base):
    """A participant's answer to one item: `value` for a scale (yes 1, no 0), `text` for free
    text (None: skipped). Kept to know who has finished; results never show who answered what
    (core.evaluations.results)."""

    __tablename__ = "evaluation_answers"
    __table_args__ = (UniqueConstraint("item_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_forms.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("evaluation_items.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvaluationTemplate(Base):
    """A form imported from a CSV file for a cohort (`aksi evaluation import`): its title and
    items (JSON: each item's words in both languages and its scale), opened from
    /hasilevaluasi like the shipped templates."""

    __tablename__ = "evaluation_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    items: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
