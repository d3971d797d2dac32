"""Each archive keeps the room it was recorded in: a meeting whose room was reopened has
archives of several rooms, and the meeting's ``session_id`` is only the newest of them.

Existing archives get their meeting's room, which is what the list showed for them before.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("video_chat_archives") as table:
        table.add_column(sa.Column("session_id", sa.String(256), nullable=True))
    archives, meetings = (
        sa.table("video_chat_archives", sa.column("meeting_id"), sa.column("session_id")),
        sa.table("video_chat_sessions", sa.column("id"), sa.column("session_id")),
    )
    room = sa.select(meetings.c.session_id).where(meetings.c.id == archives.c.meeting_id).scalar_subquery()
    op.execute(archives.update().values(session_id=room))


def downgrade() -> None:
    with op.batch_alter_table("video_chat_archives") as table:
        table.drop_column("session_id")
