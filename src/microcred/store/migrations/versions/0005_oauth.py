"""OAuth 2.0 for the Open Badges 3.0 API: clients, codes, tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # tables to come with microcred.obapi


def downgrade() -> None:
    pass
