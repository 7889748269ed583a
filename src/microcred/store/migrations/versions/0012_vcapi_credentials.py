"""Credentials issued through the VC-API are stored: they need no achievement

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.alter_column("achievement_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("achievement_version", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Credentials without an achievement (VC-API issued) cannot be kept by the older schema.
    op.execute("DELETE FROM credentials WHERE achievement_id IS NULL")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.alter_column("achievement_version", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("achievement_id", existing_type=sa.String(length=36), nullable=False)
