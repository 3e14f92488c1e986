"""The tables: cohorts, people and their contacts, memberships, plans, reminders, roles and
announcements. Times are UTC (`storage.base`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, UTCDateTime, utcnow


class Cohort(Base):
    """A training cohort (angkatan), joined by its code."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The channels people join it on, comma-separated ("telegram,whatsapp"); None: any.
    channels: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Reminder defaults, in each participant's own local time ("HH:MM").
    reminder_time: Mapped[str] = mapped_column(String(5), default="07:00", server_default="07:00")
    evening_time: Mapped[str | None] = mapped_column(
        String(5), nullable=True, default="19:00", server_default="19:00"
    )
    morning_summary_time: Mapped[str | None] = mapped_column(
        String(5), nullable=True, default="06:00", server_default="06:00"
    )
    session_lead_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The facilitators' daily digest, in the cohort's time zone ("HH:MM"); None: no digest.
    digest_time: Mapped[str | None] = mapped_column(
        String(5), nullable=True, default="18:00", server_default="18:00"
    )
    # After the last day, participants are alumni for this many days (core.follow_up): their
    # check-ins keep working, reminders come on `follow_up_weekdays` only (ISO weekday digits,
    # "135": Monday, Wednesday, Friday) and a question comes every 30 days. 0: none.
    follow_up_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    follow_up_weekdays: Mapped[str] = mapped_column(String(7), default="135", server_default="135")
    # The attendance window of each session (core.attendance): from this many minutes before
    # its start to this many after it; a session may have its own.
    attendance_before: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    attendance_after: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # Open each session's trainer evaluation when it ends (core.evaluations), inviting everyone.
    evaluation_auto: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    sessions: Mapped[list[Session]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="Session.starts_at"
    )


class Person(Base):
    """Someone Aksi knows: a participant, a facilitator or an admin, on one or more channels
    (`Contact`). Their memberships and roles refer to the person, never to a channel's id."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Contact.id"
    )


class Contact(Base):
    """How a person is reached on one channel: ("telegram", their user id), ("whatsapp", their
    number). A person is answered on the contact they wrote from; jobs reach them on their
    reachable contact written from most recently (`core.contacts`)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    # The channel's handle for them (a Telegram @username), matched against a roster's column.
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Set when the channel says they cannot be reached (blocked the bot, number gone); cleared
    # when they write again.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When they last wrote from here (to a few minutes: `core.contacts.TOUCH_EVERY`).
    last_inbound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Consent (`core.contacts.opt_out`): set when they asked for no more messages (BERHENTI),
    # cleared when they ask again (MULAI); the last explicit opt-in and its words.
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    opted_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    opt_in_text: Mapped[str | None] = mapped_column(String(300), nullable=True)

    person: Mapped[Person] = relationship(back_populates="contacts")


class Participant(Base):
    """A person's membership of one cohort, with what they told the bot."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    full_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    unit: Mapped[str | None] = mapped_column(String(160), nullable=True)
    # None: follow the Telegram client's language / the cohort's time zone until chosen.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Which onboarding question awaits a typed answer ("full_name", "unit"), if any.
    awaiting: Mapped[str | None] = mapped_column(String(64), nullable=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Daily reminder times ("07:30,12:00", local); None: the cohort's default time.
    reminder_times: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reminder_workdays_only: Mapped[bool] = mapped_column(default=False, server_default="0")
    reminders_paused: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Reminders paused until this local date, when they come back by themselves; None: not
    # paused until a date. With a reason (sick, duty, leave) the paused days are logged as
    # skipped (core.pauses).
    reminders_paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    pause_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # What the person had told the bot before a roster row gave them its name and unit: put
    # back if a facilitator undoes the match (core.roster.untie).
    own_full_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    own_unit: Mapped[str | None] = mapped_column(String(160), nullable=True)
    # When the participant stopped the follow-up after the course (core.follow_up); None: not.
    follow_up_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    cohort: Mapped[Cohort] = relationship()


class Session(Base):
    """One video-conference session of a cohort's schedule."""

    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("cohort_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(200))
    speaker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    # This session's own attendance window (minutes before its start, after it); None: the
    # cohort's.
    attendance_before: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attendance_after: Mapped[int | None] = mapped_column(Integer, nullable=True)

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")


class Material(Base):
    """A learning material link, grouped by module."""

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("cohort_id", "module", "title"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ActionPlan(Base):
    """A participant's action plan (rencana aksi): the change they bring to their unit."""

    __tablename__ = "action_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    habits: Mapped[list[Habit]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Habit.position"
    )


class Habit(Base):
    """A daily commitment of a plan: yes/no or numeric, on a schedule."""

    __tablename__ = "habits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # core.habits.Kind
    unit: Mapped[str | None] = mapped_column(String(32), nullable=True)
    target: Mapped[float | None] = mapped_column(nullable=True)
    schedule: Mapped[str] = mapped_column(String(64))  # core.habits.Schedule.encode()
    created_on: Mapped[date] = mapped_column(Date)  # the participant's local date
    # A removed habit keeps its history for reports but is no longer asked about.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    plan: Mapped[ActionPlan] = relationship(back_populates="habits")


class CheckIn(Base):
    """One habit on one local day: done, not done or skipped (with a reason), and a value."""

    __tablename__ = "check_ins"
    __table_args__ = (UniqueConstraint("habit_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    habit_id: Mapped[int] = mapped_column(ForeignKey("habits.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # core.habits.Status
    value: Mapped[float | None] = mapped_column(nullable=True)
    skip_reason: Mapped[str | None] = mapped_column(String(120), nullable=True)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reflection(Base):
    """A participant's short reflection on a day."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("participant_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanDraft(Base):
    """A /rencana conversation in progress: its step and the plan as edited so far (JSON).

    Kept in the database so a restart does not lose it; saved into the plan only at the end."""

    __tablename__ = "plan_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), unique=True
    )
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reminder(Base):
    """A reminder a participant is due: which kind, at what local time, and when next (UTC).

    One repeating job selects the rows whose `next_due_at` has come; an index makes that cheap."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("participant_id", "kind", "local_time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # daily, evening, morning, snooze (one-off)
    local_time: Mapped[str] = mapped_column(String(5))
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Delivery(Base):
    """A reminder sent (or deliberately not sent) for one participant, kind, local day and slot.

    The unique key is the at-most-once guarantee: a row is claimed before the message goes."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("participant_id", "kind", "local_date", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    local_date: Mapped[date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(16))  # the local time, or the session id
    # sent, quiet, late, failed, unreachable, needs_template (WhatsApp's window closed)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RosterEntry(Base):
    """A person on the cohort's official participant list, with a personal join link token.

    `participant_id` ties the row to the Telegram account that joined with it (or was matched
    to it by a facilitator); None: not joined yet."""

    __tablename__ = "roster_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(128))
    unit: Mapped[str | None] = mapped_column(String(160), nullable=True)
    nip: Mapped[str | None] = mapped_column(String(18), nullable=True)
    telegram_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    join_token: Mapped[str] = mapped_column(String(32), unique=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Staff(Base):
    """A facilitator (widyaiswara, fasilitator, organiser) of one cohort."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("cohort_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # Their language as last seen (None: the default); digests and reports use it.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default="1")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[int | None] = mapped_column(  # a person; None: from the command line
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )


class StaffDelivery(Base):
    """A digest sent to a facilitator for one local day: claimed before it is sent."""

    __tablename__ = "staff_deliveries"
    __table_args__ = (UniqueConstraint("staff_id", "kind", "local_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Announcement(Base):
    """A facilitator's announcement to a cohort, from its draft to its delivery report.

    state: compose (waiting for the text), preview, time (waiting for a send time),
    scheduled, sending, done, cancelled."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # Where the author wrote it from: where its preview and delivery report go.
    author_contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    author_language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str | None] = mapped_column(Text, nullable=True)  # Aksi's markup
    audience: Mapped[str] = mapped_column(String(16), default="all")  # all, not_checked_in
    state: Mapped[str] = mapped_column(String(16), index=True)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxMessage(Base):
    """One announcement to one participant's contact: pending until the channel's answer is
    recorded.

    status: pending, sent, failed, unreachable, needs_template, cancelled. The unique key means
    nobody is queued twice. `taken_at`: the sender took it up and it is on its way (cleared when the
    result is recorded); a stop leaves such a row to go out."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("announcement_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The channel's id for the message sent when it is not a number (WhatsApp's "wamid.…"):
    # its delivery statuses (`Receipt`) name it.
    external_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Confirmation(Base):
    """A destructive action waiting for its person's "yes": what it will do (action and its
    data as JSON) and until when the question stands.

    The buttons carry the row's id and its random `nonce`. Anything else the person does
    meanwhile voids it (`voided_at`), and it expires at `expires_at`; a pressed, voided or
    expired row is never carried out (core.confirmations)."""

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
