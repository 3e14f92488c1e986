"""consent per contact: when they asked for no more messages (contacts.opted_out_at), their last
explicit opt-in and its words (contacts.opted_in_at, contacts.opt_in_text)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("opted_in_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("opt_in_text", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("opt_in_text")
        batch_op.drop_column("opted_in_at")
        batch_op.drop_column("opted_out_at")
