"""Durable jobs (webhook events, copies to the storage target) and the storage target.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from anyvideo.meetings.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def audit_columns() -> list[sa.Column[object]]:
    """Seed 001's audit fields and soft delete, as revision 0001 made them (a revision stays as written)."""
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
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(512), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", UTCDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(256), nullable=True),
        sa.Column("lease_expires", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        *audit_columns(),
    )
    op.create_index("ix_jobs_state_run_at", "jobs", ["state", "run_at"])
    op.create_table(
        "storage_targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("container", sa.String(256), nullable=False),
        sa.Column("prefix", sa.String(1024), nullable=False),
        sa.Column("endpoint_url", sa.String(1024), nullable=True),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("credentials", sa.Text(), nullable=False),
        *audit_columns(),
    )


def downgrade() -> None:
    op.drop_table("storage_targets")
    op.drop_index("ix_jobs_state_run_at", table_name="jobs")
    op.drop_table("jobs")
