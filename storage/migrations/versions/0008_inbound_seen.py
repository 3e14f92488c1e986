"""inbound updates seen, by channel and the channel's own id (re-deliveries are dropped)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_seen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_seen")),
        sa.UniqueConstraint("channel", "key", name=op.f("uq_inbound_seen_channel")),
    )
    op.create_index(
        op.f("ix_inbound_seen_received_at"), "inbound_seen", ["received_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_seen_received_at"), table_name="inbound_seen")
    op.drop_table("inbound_seen")
