"""the channels a cohort is joined on (cohorts.channels: "telegram", "whatsapp" or both; empty
for the cohorts before it: any channel)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cohorts") as batch_op:
        batch_op.add_column(sa.Column("channels", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cohorts") as batch_op:
        batch_op.drop_column("channels")
