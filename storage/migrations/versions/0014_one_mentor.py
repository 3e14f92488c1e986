"""mentorships: at most one active mentor and one open invitation per participant (partial
unique indexes, on SQLite and PostgreSQL alike)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("active", "invited")


def upgrade() -> None:
    # Two taps at once before these indexes could leave two rows in one state: the latest
    # stays, the others end (active) or are withdrawn (invited), as the rules would have done.
    for state, becomes in (("active", "ended"), ("invited", "withdrawn")):
        op.execute(
            sa.text(
                "UPDATE mentorships SET state = :becomes WHERE state = :state AND id NOT IN "
                "(SELECT MAX(id) FROM mentorships WHERE state = :state GROUP BY participant_id)"
            ).bindparams(becomes=becomes, state=state)
        )
    for state in _STATES:
        where = sa.text(f"state = '{state}'")
        op.create_index(
            f"uq_mentorships_one_{state}",
            "mentorships",
            ["participant_id"],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )


def downgrade() -> None:
    for state in _STATES:
        op.drop_index(f"uq_mentorships_one_{state}", table_name="mentorships")
