"""The Alembic environment of the meeting service: runs on the connection it is handed
(:func:`anyvideo.meetings.db.migrate`), online only."""

from __future__ import annotations

from alembic import context

from anyvideo.meetings.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
