"""Employers' console sessions kept on the server, so signing out ends them

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employer_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("employer_id", sa.String(36), sa.ForeignKey("employers.id"), nullable=False),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("employer_staff.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_employer_sessions_employer_id", "employer_sessions", ["employer_id"])
    op.create_index("ix_employer_sessions_expires_at", "employer_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_employer_sessions_expires_at", "employer_sessions")
    op.drop_index("ix_employer_sessions_employer_id", "employer_sessions")
    op.drop_table("employer_sessions")
