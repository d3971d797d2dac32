"""Meetings, their attendees and their archives, with the audit fields and soft delete.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anyvideo.meetings.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def audit_columns() -> list[sa.Column[object]]:
    """Seed 001's audit fields and soft delete."""
    return [
        sa.Column("created_on", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(256), nullable=True),
        sa.Column("modified_on", UTCDateTime(), nullable=False),
        sa.Column("modified_by", sa.String(256), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_on", UTCDateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(256), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "video_chat_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_link", sa.String(64), nullable=False, unique=True),
        sa.Column("session_id", sa.String(256), nullable=True, index=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("is_scheduled", sa.Boolean(), nullable=False),
        sa.Column("schedule_time", UTCDateTime(), nullable=True),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("e2ee", sa.Boolean(), nullable=False),
        sa.Column("archive_id", sa.String(256), nullable=True),
        sa.Column("upload_target", sa.String(256), nullable=True),
        sa.Column("start_time", UTCDateTime(), nullable=True),
        sa.Column("end_time", UTCDateTime(), nullable=True),
        sa.Column("ext_id", sa.String(256), nullable=True),
        sa.Column("ext_metadata", sa.JSON(), nullable=True),
        *audit_columns(),
    )
    op.create_table(
        "session_attendees",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("video_chat_sessions.id"), nullable=False, index=True),
        sa.Column("session_id", sa.String(256), nullable=False),
        sa.Column("attendee", sa.String(256), nullable=False),
        sa.Column("participant_id", sa.String(256), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("joined_on", UTCDateTime(), nullable=True),
        sa.Column("left_on", UTCDateTime(), nullable=True),
        sa.Column("ext_id", sa.String(256), nullable=True),
        sa.Column("ext_metadata", sa.JSON(), nullable=True),
        *audit_columns(),
    )
    op.create_table(
        "video_chat_archives",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("archive_id", sa.String(256), nullable=False, unique=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("video_chat_sessions.id"), nullable=False, index=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),  # bytes: past 2 GiB on PostgreSQL too
        *audit_columns(),
    )


def downgrade() -> None:
    op.drop_table("video_chat_archives")
    op.drop_table("session_attendees")
    op.drop_table("video_chat_sessions")
