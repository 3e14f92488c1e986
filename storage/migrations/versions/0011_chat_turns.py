"""several workers: updates queued per chat, chats' turns, the messages sent by all

- inbound_seen gains chat, seq, payload, handled_at: an update one worker took in waits there
  for the worker that has its chat's turn (`core.chat_turns`);
- chat_turns: which worker handles a chat now, until when;
- pace_slots: every message sent, by the database's clock, so the workers together stay within
  Telegram's 30 a second (`core.shared_pace`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_seen") as batch:
        batch.add_column(sa.Column("chat", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_inbound_seen_chat"), ["chat"], unique=False)
    op.create_table(
        "chat_turns",
        sa.Column("chat", sa.String(length=80), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat", name=op.f("pk_chat_turns")),
    )
    op.create_table(
        "pace_slots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pace_slots")),
    )
    op.create_index(op.f("ix_pace_slots_at"), "pace_slots", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pace_slots_at"), table_name="pace_slots")
    op.drop_table("pace_slots")
    op.drop_table("chat_turns")
    with op.batch_alter_table("inbound_seen") as batch:
        batch.drop_index(batch.f("ix_inbound_seen_chat"))
        batch.drop_column("handled_at")
        batch.drop_column("payload")
        batch.drop_column("seq")
        batch.drop_column("chat")
