"""mentorships and plan_reviews: a participant's mentor, from the invitation link on
(core.mentors), and the action plan sent to them with their decisions (core.approvals)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentorships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("mentor_person_id", sa.Integer(), nullable=True),
        sa.Column("mentor_name", sa.String(length=128), nullable=True),
        sa.Column("mentor_language", sa.String(length=8), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=True),
        sa.Column("opened_by", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["mentor_person_id"],
            ["people.id"],
            name=op.f("fk_mentorships_mentor_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"],
            ["people.id"],
            name=op.f("fk_mentorships_opened_by_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_mentorships_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorships")),
        sa.UniqueConstraint("token", name=op.f("uq_mentorships_token")),
    )
    op.create_index(
        op.f("ix_mentorships_mentor_person_id"), "mentorships", ["mentor_person_id"], unique=False
    )
    op.create_index(
        op.f("ix_mentorships_participant_id"), "mentorships", ["participant_id"], unique=False
    )

    op.create_table(
        "plan_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("mentorship_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("comment_asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["people.id"],
            name=op.f("fk_plan_reviews_decided_by_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mentorship_id"],
            ["mentorships.id"],
            name=op.f("fk_plan_reviews_mentorship_id_mentorships"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_plan_reviews_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_reviews")),
    )
    op.create_index(
        op.f("ix_plan_reviews_mentorship_id"), "plan_reviews", ["mentorship_id"], unique=False
    )
    op.create_index(
        op.f("ix_plan_reviews_participant_id"), "plan_reviews", ["participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_reviews_participant_id"), table_name="plan_reviews")
    op.drop_index(op.f("ix_plan_reviews_mentorship_id"), table_name="plan_reviews")
    op.drop_table("plan_reviews")
    op.drop_index(op.f("ix_mentorships_participant_id"), table_name="mentorships")
    op.drop_index(op.f("ix_mentorships_mentor_person_id"), table_name="mentorships")
    op.drop_table("mentorships")
