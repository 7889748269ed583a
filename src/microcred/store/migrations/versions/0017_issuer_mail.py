"""Issuer mail: sender name and Reply-To, templates per language; expiry reminders

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issuer_mail_settings",
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_issuer_mail_settings_issuer_id_issuers"),
        ),
        sa.PrimaryKeyConstraint("issuer_id", name=op.f("pk_issuer_mail_settings")),
    )
    op.create_table(
        "issuer_mail_templates",
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuers.id"],
            name=op.f("fk_issuer_mail_templates_issuer_id_issuers"),
        ),
        sa.PrimaryKeyConstraint("issuer_id", "language", name=op.f("pk_issuer_mail_templates")),
    )
    op.create_table(
        "achievement_renewals",
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_achievement_renewals_achievement_id_achievements"),
        ),
        sa.PrimaryKeyConstraint("achievement_id", name=op.f("pk_achievement_renewals")),
    )
    op.create_table(
        "expiry_reminders",
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_expiry_reminders_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_expiry_reminders")),
    )


def downgrade() -> None:
    op.drop_table("expiry_reminders")
    op.drop_table("achievement_renewals")
    op.drop_table("issuer_mail_templates")
    op.drop_table("issuer_mail_settings")
