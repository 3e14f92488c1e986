"""people and their contacts replace Telegram user ids, chat ids and usernames

Every Telegram user id found (participants, facilitators, announcement authors, open
confirmations) becomes a person with one contact ("telegram", the id); the rows that held the id
now hold the person, the outbox holds the contact it goes to, and a participant's username and
"unreachable" mark move to the contact.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TELEGRAM = "telegram"

WHEN = sa.DateTime(timezone=True)
_people = sa.Table(
    "people",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", WHEN),
)
_contacts = sa.table(
    "contacts",
    sa.column("id", sa.Integer),
    sa.column("person_id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("external_id", sa.String),
    sa.column("username", sa.String),
    sa.column("unreachable_at", WHEN),
    sa.column("last_inbound_at", WHEN),
    sa.column("created_at", WHEN),
)


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


def _create_tables() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_contacts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_contacts_channel")),
    )
    op.create_index(op.f("ix_contacts_person_id"), "contacts", ["person_id"], unique=False)


def _telegram_people(conn: sa.Connection) -> dict[int, int]:
    """A person and a Telegram contact for every user id the release knew: {user id: person}."""
    participants = sa.table(
        "participants",
        sa.column("telegram_user_id", sa.BigInteger),
        sa.column("telegram_username", sa.String),
        sa.column("unreachable_at", WHEN),
        sa.column("joined_at", WHEN),
    )
    found: dict[int, tuple[str | None, object, object]] = {}
    rows = conn.execute(
        sa.select(
            participants.c.telegram_user_id,
            participants.c.telegram_username,
            participants.c.unreachable_at,
            participants.c.joined_at,
        ).order_by(participants.c.joined_at)
    )
    for user_id, username, unreachable_at, joined_at in rows:
        found[int(user_id)] = (username, unreachable_at, joined_at)  # the latest membership wins
    others = [
        sa.select(_table("staff", "telegram_user_id").c.telegram_user_id),
        sa.select(_table("staff", "added_by").c.added_by).where(sa.column("added_by").isnot(None)),
        sa.select(_table("announcements", "author_user_id").c.author_user_id),
        sa.select(_table("confirmations", "user_id").c.user_id),
    ]
    now = datetime.now(UTC)
    for query in others:
        for (user_id,) in conn.execute(query):
            found.setdefault(int(user_id), (None, None, now))
    people: dict[int, int] = {}
    for user_id in sorted(found):
        username, unreachable_at, seen = found[user_id]
        person_id = conn.execute(sa.insert(_people).values(created_at=seen)).inserted_primary_key[0]
        conn.execute(
            sa.insert(_contacts).values(
                person_id=person_id,
                channel=TELEGRAM,
                external_id=str(user_id),
                username=username,
                unreachable_at=unreachable_at,
                last_inbound_at=seen,
                created_at=seen,
            )
        )
        people[user_id] = person_id
    return people


def _of_user(user_id: sa.ColumnClause[object], field: str) -> sa.ScalarSelect[object]:
    """`field` ("person_id" or "id") of the Telegram contact of the user id in `user_id`."""
    return (
        sa.select(_contacts.c[field])
        .where(
            _contacts.c.channel == TELEGRAM, _contacts.c.external_id == sa.cast(user_id, sa.String)
        )
        .scalar_subquery()
    )


def _person_of(user_id: sa.ColumnClause[object]) -> sa.ScalarSelect[object]:
    return _of_user(user_id, "person_id")


def _contact_of(user_id: sa.ColumnClause[object]) -> sa.ScalarSelect[object]:
    return _of_user(user_id, "id")


def upgrade() -> None:
    _create_tables()
    conn = op.get_bind()
    _telegram_people(conn)

    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
    participants = _table("participants", "person_id", "telegram_user_id")
    op.execute(participants.update().values(person_id=_person_of(participants.c.telegram_user_id)))
    with op.batch_alter_table("participants") as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_participants_cohort_id", type_="unique")
        batch.drop_index("ix_participants_telegram_user_id")
        batch.drop_column("telegram_user_id")
        batch.drop_column("chat_id")
        batch.drop_column("telegram_username")
        batch.drop_column("unreachable_at")
        batch.create_unique_constraint(
            batch.f("uq_participants_cohort_id"), ["cohort_id", "person_id"]
        )
        batch.create_index(batch.f("ix_participants_person_id"), ["person_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_participants_person_id_people"),
            "people",
            ["person_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("added_by_person", sa.Integer(), nullable=True))
    staff = _table("staff", "person_id", "telegram_user_id", "added_by", "added_by_person")
    op.execute(
        staff.update().values(
            person_id=_person_of(staff.c.telegram_user_id),
            added_by_person=_person_of(staff.c.added_by),
        )
    )
    with op.batch_alter_table("staff") as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_staff_cohort_id", type_="unique")
        batch.drop_index("ix_staff_telegram_user_id")
        batch.drop_column("telegram_user_id")
        batch.drop_column("added_by")
        batch.alter_column("added_by_person", new_column_name="added_by")
    with op.batch_alter_table("staff") as batch:
        batch.create_unique_constraint(batch.f("uq_staff_cohort_id"), ["cohort_id", "person_id"])
        batch.create_index(batch.f("ix_staff_person_id"), ["person_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_staff_person_id_people"),
            "people",
            ["person_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            batch.f("fk_staff_added_by_people"), "people", ["added_by"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("author_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("author_contact_id", sa.Integer(), nullable=True))
    announcements = _table(
        "announcements", "author_id", "author_contact_id", "author_user_id", "author_chat_id"
    )
    op.execute(
        announcements.update().values(
            author_id=_person_of(announcements.c.author_user_id),
            author_contact_id=_contact_of(announcements.c.author_user_id),
        )
    )
    with op.batch_alter_table("announcements") as batch:
        batch.alter_column("author_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("author_contact_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_index("ix_announcements_author_user_id")
        batch.drop_column("author_user_id")
        batch.drop_column("author_chat_id")
        batch.create_index(batch.f("ix_announcements_author_id"), ["author_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_announcements_author_id_people"),
            "people",
            ["author_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            batch.f("fk_announcements_author_contact_id_contacts"),
            "contacts",
            ["author_contact_id"],
            ["id"],
            ondelete="CASCADE",
        )

    # An announcement's queue: each message goes to the contact of the chat it was queued for.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
    outbox = _table("outbox", "contact_id", "chat_id")
    op.execute(outbox.update().values(contact_id=_contact_of(outbox.c.chat_id)))
    op.execute(outbox.delete().where(outbox.c.contact_id.is_(None)))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("contact_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("chat_id")
        batch.create_foreign_key(
            batch.f("fk_outbox_contact_id_contacts"),
            "contacts",
            ["contact_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("confirmations") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
    confirmations = _table("confirmations", "person_id", "user_id")
    op.execute(confirmations.update().values(person_id=_person_of(confirmations.c.user_id)))
    with op.batch_alter_table("confirmations") as batch:
        batch.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_index("ix_confirmations_user_id")
        batch.drop_column("user_id")
        batch.create_index(batch.f("ix_confirmations_person_id"), ["person_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_confirmations_person_id_people"),
            "people",
            ["person_id"],
            ["id"],
            ondelete="CASCADE",
        )


def _telegram_id_of(person: sa.ColumnClause[object]) -> sa.ScalarSelect[object]:
    """A person's Telegram id (their Telegram contact, else the person id) for going back."""
    telegram = (
        sa.select(sa.cast(_contacts.c.external_id, sa.BigInteger))
        .where(_contacts.c.person_id == person, _contacts.c.channel == TELEGRAM)
        .order_by(_contacts.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(telegram, person)  # type: ignore[return-value]


def downgrade() -> None:
    with op.batch_alter_table("confirmations") as batch:
        batch.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))
    confirmations = _table("confirmations", "person_id", "user_id")
    op.execute(confirmations.update().values(user_id=_telegram_id_of(confirmations.c.person_id)))
    with op.batch_alter_table("confirmations") as batch:
        batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_constraint("fk_confirmations_person_id_people", type_="foreignkey")
        batch.drop_index("ix_confirmations_person_id")
        batch.drop_column("person_id")
        batch.create_index("ix_confirmations_user_id", ["user_id"], unique=False)

    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
    outbox = _table("outbox", "contact_id", "chat_id")
    chat = (
        sa.select(sa.cast(_contacts.c.external_id, sa.BigInteger))
        .where(_contacts.c.id == outbox.c.contact_id)
        .scalar_subquery()
    )
    op.execute(outbox.update().values(chat_id=chat))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_constraint("fk_outbox_contact_id_contacts", type_="foreignkey")
        batch.drop_column("contact_id")

    with op.batch_alter_table("announcements") as batch:
        batch.add_column(sa.Column("author_user_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("author_chat_id", sa.BigInteger(), nullable=True))
    announcements = _table("announcements", "author_id", "author_user_id", "author_chat_id")
    op.execute(
        announcements.update().values(
            author_user_id=_telegram_id_of(announcements.c.author_id),
            author_chat_id=_telegram_id_of(announcements.c.author_id),
        )
    )
    with op.batch_alter_table("announcements") as batch:
        batch.alter_column("author_user_id", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("author_chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_constraint("fk_announcements_author_id_people", type_="foreignkey")
        batch.drop_constraint("fk_announcements_author_contact_id_contacts", type_="foreignkey")
        batch.drop_index("ix_announcements_author_id")
        batch.drop_column("author_id")
        batch.drop_column("author_contact_id")
        batch.create_index("ix_announcements_author_user_id", ["author_user_id"], unique=False)

    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("added_by_user", sa.BigInteger(), nullable=True))
    staff = _table("staff", "person_id", "telegram_user_id", "added_by", "added_by_user")
    op.execute(
        staff.update().values(
            telegram_user_id=_telegram_id_of(staff.c.person_id),
            added_by_user=_telegram_id_of(staff.c.added_by),
        )
    )
    with op.batch_alter_table("staff") as batch:
        batch.alter_column("telegram_user_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_constraint("fk_staff_person_id_people", type_="foreignkey")
        batch.drop_constraint("fk_staff_added_by_people", type_="foreignkey")
        batch.drop_constraint("uq_staff_cohort_id", type_="unique")
        batch.drop_index("ix_staff_person_id")
        batch.drop_column("person_id")
        batch.drop_column("added_by")
        batch.alter_column("added_by_user", new_column_name="added_by")
    with op.batch_alter_table("staff") as batch:
        batch.create_unique_constraint("uq_staff_cohort_id", ["cohort_id", "telegram_user_id"])
        batch.create_index("ix_staff_telegram_user_id", ["telegram_user_id"], unique=False)

    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("telegram_username", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))
    participants = _table(
        "participants",
        "person_id",
        "telegram_user_id",
        "chat_id",
        "telegram_username",
        "unreachable_at",
    )
    telegram = _contacts.alias("telegram")

    def _of_contact(column: sa.ColumnClause[object]) -> sa.ScalarSelect[object]:
        return (
            sa.select(column)
            .where(telegram.c.person_id == participants.c.person_id, telegram.c.channel == TELEGRAM)
            .order_by(telegram.c.id)
            .limit(1)
            .scalar_subquery()
        )

    user_id = _telegram_id_of(participants.c.person_id)
    op.execute(
        participants.update().values(
            telegram_user_id=user_id,
            chat_id=user_id,
            telegram_username=_of_contact(telegram.c.username),
            unreachable_at=_of_contact(telegram.c.unreachable_at),
        )
    )
    with op.batch_alter_table("participants") as batch:
        batch.alter_column("telegram_user_id", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch.drop_constraint("fk_participants_person_id_people", type_="foreignkey")
        batch.drop_constraint("uq_participants_cohort_id", type_="unique")
        batch.drop_index("ix_participants_person_id")
        batch.drop_column("person_id")
        batch.create_unique_constraint(
            "uq_participants_cohort_id", ["cohort_id", "telegram_user_id"]
        )
        batch.create_index("ix_participants_telegram_user_id", ["telegram_user_id"], unique=False)

    op.drop_index(op.f("ix_contacts_person_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_table("people")
