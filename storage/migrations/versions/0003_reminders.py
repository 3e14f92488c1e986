"""reminders

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_deliveries_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "participant_id",
            "kind",
            "local_date",
            "slot",
            name=op.f("uq_deliveries_participant_id"),
        ),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_reminders_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "participant_id", "kind", "local_time", name=op.f("uq_reminders_participant_id")
        ),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminders_next_due_at"), ["next_due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reminders_participant_id"), ["participant_id"], unique=False
        )

    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_time", sa.String(length=5), server_default="07:00", nullable=False)
        )
        batch_op.add_column(
            sa.Column("evening_time", sa.String(length=5), server_default="19:00", nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "morning_summary_time", sa.String(length=5), server_default="06:00", nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("session_lead_minutes", sa.Integer(), server_default="30", nullable=False)
        )

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_times", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("reminder_workdays_only", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reminders_paused", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("unreachable_at")
        batch_op.drop_column("reminders_paused")
        batch_op.drop_column("reminder_workdays_only")
        batch_op.drop_column("reminder_times")

    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_column("session_lead_minutes")
        batch_op.drop_column("morning_summary_time")
        batch_op.drop_column("evening_time")
        batch_op.drop_column("reminder_time")

    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminders_participant_id"))
        batch_op.drop_index(batch_op.f("ix_reminders_next_due_at"))

    op.drop_table("reminders")
    op.drop_table("deliveries")
