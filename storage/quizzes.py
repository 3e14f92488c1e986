"""Quizzes (pre-test, post-test) and pulse questions (core.quizzes, core.pulses): the questions,
and one row per question asked of a participant — written before it is sent, its channel's
poll id kept to match the poll answer that comes back, its answer written once. Times are UTC
(`storage.base`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow


class Quiz(Base):
    """A quiz imported for a cohort (`kind` pre, post or quiz); opened to the participants by a
    facilitator (`opened_at`), closed for good (`closed_at`). `seconds`: the time for each
    question (None: untimed)."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class QuizQuestion(Base):
    """One multiple-choice question: its options (JSON list of texts), the correct one
    (0-based) and an optional explanation shown after answering."""

    __tablename__ = "quiz_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text)
    correct: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)


class QuizAnswer(Base):
    """A question asked of a participant (`asked_at`) and, once answered, the option chosen
    (`answered_at` set; `chosen` None: the time ran out). `poll_id`: the channel's poll, when
    asked as one."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("question_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    poll_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    chosen: Mapped[int | None] = mapped_column(Integer, nullable=True)
    correct: Mapped[bool] = mapped_column(Boolean, default=False)


class Pulse(Base):
    """A quick question a facilitator asks the cohort: options (JSON list), `scale` for 1–5;
    the facilitator's live view (`view_*`) is edited as answers come in."""

    __tablename__ = "pulses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text)
    scale: Mapped[bool] = mapped_column(Boolean, default=False)
    asked_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    view_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    view_chat: Mapped[str | None] = mapped_column(String(64), nullable=True)
    view_message: Mapped[str | None] = mapped_column(String(64), nullable=True)
    view_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    view_lang: Mapped[str | None] = mapped_column(String(8), nullable=True)


class PulseAnswer(Base):
    """The question as sent to one participant (its message, to close it; its poll id) and
    their answer (`option`, 0-based; None: not answered, or taken back)."""

    __tablename__ = "pulse_answers"
    __table_args__ = (UniqueConstraint("pulse_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pulse_id: Mapped[int] = mapped_column(ForeignKey("pulses.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    chat: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str | None] = mapped_column(String(64), nullable=True)
    poll_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    option: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
