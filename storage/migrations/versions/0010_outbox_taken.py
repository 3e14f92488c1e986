"""outbox.taken_at: the sender has taken the message up and it is on its way

A message in flight is recorded on its row, not in the sending process's memory: a stop counts
it as going out whichever worker it is asked on, and a new sender (after a worker died) knows
which were in flight and sends them again (the at-most-one-duplicate rule).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("taken_at")
