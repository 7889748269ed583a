"""learners: accounts, verified e-mail addresses, sign-in tokens and sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learners",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=True),
        sa.Column("profile_slug", sa.String(length=64), nullable=True),
        sa.Column("did", sa.String(length=200), nullable=True),
        sa.Column("did_key_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
        sa.UniqueConstraint("profile_slug", name=op.f("uq_learners_profile_slug")),
    )
    op.create_table(
        "learner_emails",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_learner_emails_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_learner_emails")),
    )
    with op.batch_alter_table("learner_emails", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_emails_learner_id"), ["learner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("learner_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_emails_learner_id"))
    op.drop_table("learner_emails")
    op.drop_table("learners")
