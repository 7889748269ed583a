"""OpenID for Verifiable Credential Issuance: offers and tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oid4vci_offers",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_oid4vci_offers_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_oid4vci_offers")),
    )
    op.create_table(
        "oid4vci_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_oid4vci_tokens_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_oid4vci_tokens")),
    )
    op.create_table(
        "oid4vci_used_nonces",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_oid4vci_used_nonces")),
    )
    op.create_table(
        "oid4vci_copies",
        sa.Column("copy_id", sa.String(length=36), nullable=False),
        sa.Column("original_id", sa.String(length=36), nullable=False),
        sa.Column("holder_did", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["copy_id"], ["credentials.id"], name=op.f("fk_oid4vci_copies_copy_id_credentials")
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["credentials.id"],
            name=op.f("fk_oid4vci_copies_original_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("copy_id", name=op.f("pk_oid4vci_copies")),
    )
    for table, column in (
        ("oid4vci_offers", "credential_id"),
        ("oid4vci_offers", "expires_at"),
        ("oid4vci_tokens", "credential_id"),
        ("oid4vci_tokens", "expires_at"),
        ("oid4vci_used_nonces", "expires_at"),
        ("oid4vci_copies", "original_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade() -> None:
    for table in ("oid4vci_copies", "oid4vci_used_nonces", "oid4vci_tokens", "oid4vci_offers"):
        op.drop_table(table)
