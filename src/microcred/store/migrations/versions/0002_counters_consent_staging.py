"""credential events, the recipient's name choice, staged console uploads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    # One row per (credential, kind, channel, day), counted up in place.
    op.create_table(
        "credential_events",
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_credential_events_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_events_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_credential_events_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint(
            "credential_id", "kind", "channel", "day", name=op.f("pk_credential_events")
        ),
    )
    with op.batch_alter_table("credential_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credential_events_issuer_kind_day", ["issuer_id", "kind", "day"], unique=False
        )
        # At most one "claimed" per credential, whatever races.
        batch_op.create_index(
            "uq_credential_events_claimed",
            ["credential_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'claimed'"),
            postgresql_where=sa.text("kind = 'claimed'"),
        )

    op.create_table(
        "staged_uploads",
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_staged_uploads_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_staged_uploads_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_staged_uploads")),
    )
    with op.batch_alter_table("staged_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staged_uploads_issuer_id"), ["issuer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staged_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staged_uploads_issuer_id"))
    op.drop_table("staged_uploads")
    with op.batch_alter_table("credential_events", schema=None) as batch_op:
        batch_op.drop_index("uq_credential_events_claimed")
        batch_op.drop_index("ix_credential_events_issuer_kind_day")
    op.drop_table("credential_events")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("name_public")
