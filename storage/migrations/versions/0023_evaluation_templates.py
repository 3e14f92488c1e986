"""evaluations imported from CSV (evaluation_templates), the one reminder of a form
(evaluation_forms.reminded_at) and a cohort's trainer evaluations opened when each session ends
(cohorts.evaluation_auto)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_evaluation_templates_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_templates")),
    )
    op.create_index(
        op.f("ix_evaluation_templates_cohort_id"),
        "evaluation_templates",
        ["cohort_id"],
        unique=False,
    )
    with op.batch_alter_table("cohorts") as batch_op:
        batch_op.add_column(
            sa.Column("evaluation_auto", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("evaluation_forms") as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluation_forms") as batch_op:
        batch_op.drop_column("reminded_at")
    with op.batch_alter_table("cohorts") as batch_op:
        batch_op.drop_column("evaluation_auto")
    op.drop_index(op.f("ix_evaluation_templates_cohort_id"), table_name="evaluation_templates")
    op.drop_table("evaluation_templates")
