"""Europass: issuers' legal (eIDAS) identifiers for European Digital Credentials

Revision ID: 0013
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "europass_legal_identifiers",
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("notation", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_europass_legal_identifiers_issuer_id_issuers"),
        ),
        sa.PrimaryKeyConstraint("issuer_id", name=op.f("pk_europass_legal_identifiers")),
    )


def downgrade() -> None:
    op.drop_table("europass_legal_identifiers")
