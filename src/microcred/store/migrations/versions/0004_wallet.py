"""wallet: held and imported credentials, collections, alerts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_claims",
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_wallet_claims_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_wallet_claims_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("learner_id", "credential_id", name=op.f("pk_wallet_claims")),
    )
    op.create_table(
        "wallet_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("format", sa.String(length=100), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("credential_key", sa.String(length=2000), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("original", sa.LargeBinary(), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("issuer_name", sa.String(length=500), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verification", sa.JSON(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_wallet_items_learner_id_learners")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["wallet_items.id"], name=op.f("fk_wallet_items_parent_id_wallet_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_items")),
        sa.UniqueConstraint("learner_id", "digest", name=op.f("uq_wallet_items_learner_id")),
    )
    with op.batch_alter_table("wallet_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_wallet_items_learner_added", ["learner_id", "added_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_wallet_items_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wallet_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_items_parent_id"))
        batch_op.drop_index("ix_wallet_items_learner_added")
    op.drop_table("wallet_items")
    op.drop_table("wallet_claims")
