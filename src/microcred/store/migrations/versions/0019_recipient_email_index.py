"""Index credentials by recipient e-mail: the wallet, the learner's claim and the notices join
credentials to a learner's addresses by it

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch_op:
        batch_op.create_index("ix_credentials_recipient_email", ["recipient_email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch_op:
        batch_op.drop_index("ix_credentials_recipient_email")
