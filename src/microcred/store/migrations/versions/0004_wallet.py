"""wallet: held and imported credentials, collections, alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # tables to come with microcred.wallet


def downgrade() -> None:
    pass
