"""Endorsements of achievements, issuers and pathways, ours and external (issue 15)

Revision ID: 0016b
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016b"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endorsements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("endorsed_issuer_id", sa.String(length=36), nullable=False),
        sa.Column("endorser_issuer_id", sa.String(length=36), nullable=True),
        sa.Column("endorser", sa.String(length=2000), nullable=False),
        sa.Column("endorser_name", sa.String(length=500), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status_list_seq", sa.Integer(), nullable=True),
        sa.Column("status_index", sa.Integer(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endorsed_issuer_id"],
            ["issuers.id"],
            name=op.f("fk_endorsements_endorsed_issuer_id_issuers"),
        ),
        sa.ForeignKeyConstraint(
            ["endorser_issuer_id"],
            ["issuers.id"],
            name=op.f("fk_endorsements_endorser_issuer_id_issuers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsements")),
    )
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endorsements_subject_id"), ["subject_id"])
        batch_op.create_index(
            batch_op.f("ix_endorsements_endorsed_issuer_id"), ["endorsed_issuer_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_endorsements_endorser_issuer_id"), ["endorser_issuer_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endorsements_endorser_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_endorsements_endorsed_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_endorsements_subject_id"))
    op.drop_table("endorsements")
