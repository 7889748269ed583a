"""Wallet: shared credentials, collections, re-verification notices; issuers' LinkedIn id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_collections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_wallet_collections_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_collections")),
    )
    with op.batch_alter_table("wallet_collections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_collections_learner_id"), ["learner_id"], unique=False
        )

    op.create_table(
        "wallet_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("ref", sa.String(length=36), nullable=False),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_wallet_notices_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_notices")),
        sa.UniqueConstraint("learner_id", "ref", "what", name=op.f("uq_wallet_notices_learner_id")),
    )
    with op.batch_alter_table("wallet_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_notices_learner_id"), ["learner_id"], unique=False
        )

    op.create_table(
        "wallet_shares",
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("ref", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_wallet_shares_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("learner_id", "ref", name=op.f("pk_wallet_shares")),
    )
    op.create_table(
        "wallet_collection_entries",
        sa.Column("collection_id", sa.String(length=36), nullable=False),
        sa.Column("ref", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["wallet_collections.id"],
            name=op.f("fk_wallet_collection_entries_collection_id_wallet_collections"),
        ),
        sa.PrimaryKeyConstraint("collection_id", "ref", name=op.f("pk_wallet_collection_entries")),
    )
    with op.batch_alter_table("issuers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("linkedin_organization_id", sa.String(length=20), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("issuers", schema=None) as batch_op:
        batch_op.drop_column("linkedin_organization_id")

    op.drop_table("wallet_collection_entries")
    op.drop_table("wallet_shares")
    with op.batch_alter_table("wallet_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_notices_learner_id"))

    op.drop_table("wallet_notices")
    with op.batch_alter_table("wallet_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_collections_learner_id"))

    op.drop_table("wallet_collections")
