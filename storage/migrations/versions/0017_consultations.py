"""consultations: a participant's consultations with their mentor, recorded by one side and
confirmed by the other (core.consultations)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("mentorship_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("by_mentor", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=8), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("next_step", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["mentorship_id"],
            ["mentorships.id"],
            name=op.f("fk_consultations_mentorship_id_mentorships"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_consultations_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["people.id"],
            name=op.f("fk_consultations_recorded_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    op.create_index(
        op.f("ix_consultations_participant_id"), "consultations", ["participant_id"], unique=False
    )
    op.create_index(
        op.f("ix_consultations_recorded_by"), "consultations", ["recorded_by"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_consultations_recorded_by"), table_name="consultations")
    op.drop_index(op.f("ix_consultations_participant_id"), table_name="consultations")
    op.drop_table("consultations")
