"""The tables of the training's supervised workflow (LAN's rules): who mentors whom, and the
action plan as sent for the mentor's approval. Times are UTC (`storage.base`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime, utcnow


class Mentorship(Base):
    """A participant's mentor (their direct superior or coach), from the invitation on.

    state: invited (a link waits for the mentor; `token` until `expires_at`, bound to whoever
    opens it first), active (`mentor_person_id` mentors the participant), declined, withdrawn
    (the participant made a new link or cancelled it), ended (another mentor took over, or it
    was ended). Rows are never overwritten: the history of who mentored whom, and when."""

    __tablename__ = "mentorships"
    # At most one active mentor and one open invitation per participant, whatever two
    # workers or two quick taps do at once (core.mentors also locks the participant's row).
    __table_args__ = tuple(
        Index(
            f"uq_mentorships_one_{state}",
            "participant_id",
            unique=True,
            sqlite_where=text(f"state = '{state}'"),
            postgresql_where=text(f"state = '{state}'"),
        )
        for state in ("active", "invited")
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    mentor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True, index=True
    )
    mentor_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The mentor's language as last seen (None: the default), for what is sent to them.
    mentor_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    token: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    opened_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(8))  # "link" or "cli"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PlanReview(Base):
    """The action plan as sent to the mentor, and their decision (core.approvals).

    state: waiting, approved, changes (with the mentor's `comment`), superseded (the plan was
    saved again before a decision). A saved change after a decision is a new row: the history
    of what was approved, when and by whom, is never overwritten. `snapshot` is the plan as
    sent (JSON: title and habits)."""

    __tablename__ = "plan_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="SET NULL"), nullable=True, index=True
    )
    snapshot: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    # The mentor pressed "ask for changes": their next typed text is the comment.
    comment_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Milestone(Base):
    """A step of the participant's action plan with a date (*tahapan*; core.milestones): done
    or not, with the local day it was marked done. A row without `due_on` is one being written
    (its title typed, its date not yet); the participant's plan as sent to the mentor includes
    the milestones' titles and dates."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(160))
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the participant's day
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evidence(Base):
    """A photo or a document a participant sent as evidence (*bukti*; core.evidence), for a
    check-in day (`day`, their own date) or a milestone (`milestone_id`). The file stays with
    the channel: `file_ref` fetches it again there; the row keeps its size, type and SHA-256."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("milestones.id", ondelete="SET NULL"), nullable=True, index=True
    )
    day: Mapped[date | None] = mapped_column(Date, nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    file_ref: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # "photo" or "document"
    name: Mapped[str] = mapped_column(String(128))
    mime_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consultation(Base):
    """A consultation between a participant and their mentor, on record (the *form pengendalian*;
    core.consultations): when, about what, what came of it, the next step. Recorded by either
    side (`recorded_by`, `by_mentor`), confirmed — or disputed — by the other. While it is
    being written `step` says which answer comes next (date, topic, outcome, next) and `state`
    is "draft"; then "unconfirmed", "confirmed" or "disputed"."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    mentorship_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentorships.id", ondelete="SET NULL"), nullable=True
    )
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    by_mentor: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(8), nullable=True)
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    topic: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_step: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MentorDigest(Base):
    """The mentor's weekly digest of their mentees, claimed before it is sent (one per mentor
    and week: `week_of` is the Monday, in the zone it is sent in; scheduler.mentor_digest)."""

    __tablename__ = "mentor_digests"
    __table_args__ = (UniqueConstraint("person_id", "week_of"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    week_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUp(Base):
    """A message of the follow-up after the course (core.follow_up), claimed before it is sent:
    `offset_days` 0 is the welcome to the follow-up the day after the last day, 30, 60, 90…
    the question "is your action still running?" that many days after it. `status`: sending,
    sent, late (due while the bot was down, skipped), failed, unreachable (the person blocked
    the bot: counted, never retried). The answer (running, partly, stopped) and a note on what
    helped or blocked it come back from the participant."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("participant_id", "offset_days"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    offset_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
