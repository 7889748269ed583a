"""LRS pull: the LRSs an issuer reads xAPI statements from on a schedule

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lms_lrs_sources",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("endpoint", sa.String(length=2000), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("sealed_credentials", sa.LargeBinary(), nullable=False),
        sa.Column("since", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_stored", sa.Integer(), nullable=False),
        sa.Column("last_refused", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lms_lrs_sources_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["lms_lrs_keys.id"], name=op.f("fk_lms_lrs_sources_key_id_lms_lrs_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_lrs_sources")),
    )
    op.create_index(
        op.f("ix_lms_lrs_sources_issuer_id"), "lms_lrs_sources", ["issuer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lms_lrs_sources_issuer_id"), table_name="lms_lrs_sources")
    op.drop_table("lms_lrs_sources")
