"""messages kept for a closed window (held_messages); numbered menus shown (shown_menus)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_held_messages_person_id", "held_messages", ["person_id"])
    op.create_index("ix_held_messages_expires_at", "held_messages", ["expires_at"])
    op.create_table(
        "shown_menus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id"),
    )
    op.create_index("ix_shown_menus_shown_at", "shown_menus", ["shown_at"])


def downgrade() -> None:
    op.drop_index("ix_shown_menus_shown_at", table_name="shown_menus")
    op.drop_table("shown_menus")
    op.drop_index("ix_held_messages_expires_at", table_name="held_messages")
    op.drop_index("ix_held_messages_person_id", table_name="held_messages")
    op.drop_table("held_messages")
