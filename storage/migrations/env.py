"""Alembic environment: runs on the connection Aksi hands over (see storage.db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import storage.evaluations
import storage.mentoring  # the tables, registered on Base
import storage.messaging
import storage.models
import storage.quizzes
import storage.training  # noqa: F401
from storage.base import Base

config = context.config
connection: Connection | None = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `aksi db upgrade`, which provides the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
