"""pace_slots.bulk and pace_slots.chat: what kind of message took the slot, and for whom

Announcements count only their own kind against their share of the window (replies take the
rest), and an announcement to a chat waits while another worker's message to that chat is
less than Telegram's per-chat second old (`core.shared_pace`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pace_slots") as batch:
        batch.add_column(sa.Column("bulk", sa.Boolean(), server_default="0", nullable=False))
        batch.add_column(sa.Column("chat", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pace_slots") as batch:
        batch.drop_column("chat")
        batch.drop_column("bulk")
