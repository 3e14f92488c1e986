"""follow-up after the course: the cohort's period and reminder days (none for cohorts that
ended before this release), the participant's stop, and the follow_ups table (core.follow_up)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cohorts") as batch:
        batch.add_column(
            sa.Column("follow_up_days", sa.Integer(), server_default="90", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "follow_up_weekdays", sa.String(length=7), server_default="135", nullable=False
            )
        )
    # Cohorts that ended before this release keep what their alumni were told: nothing more
    # after the last day (an organiser turns it on with `aksi cohort follow-up --days 90`).
    cohorts = sa.table("cohorts", sa.column("ends_on", sa.Date), sa.column("follow_up_days"))
    op.execute(
        cohorts.update()
        .where(cohorts.c.ends_on < datetime.now(UTC).date())
        .values(follow_up_days=0)
    )
    with op.batch_alter_table("participants") as batch:
        batch.add_column(
            sa.Column("follow_up_stopped_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_follow_ups_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint(
            "participant_id", "offset_days", name=op.f("uq_follow_ups_participant_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("follow_ups")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("follow_up_stopped_at")
    with op.batch_alter_table("cohorts") as batch:
        batch.drop_column("follow_up_weekdays")
        batch.drop_column("follow_up_days")
