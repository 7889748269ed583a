"""API keys remember the staff user who made them, so removing that person revokes them

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

Keys made before this are tied to their maker from the audit log ("apikey.created" by
"staff:<email>" on "api-key:<prefix>") where that person is still on the staff.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_api_keys_created_by"), ["created_by"], unique=False)
    op.execute(
        "UPDATE api_keys SET created_by = ("
        " SELECT s.id FROM audit_events a JOIN staff_users s"
        " ON a.actor = 'staff:' || s.email AND s.issuer_id = api_keys.issuer_id"
        " WHERE a.action = 'apikey.created' AND a.subject = 'api-key:' || api_keys.prefix"
        " LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_created_by"))
        batch_op.drop_column("created_by")
