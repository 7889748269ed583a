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
    op.create_table(
        "learner_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=True),
        sa.Column("next_path", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_learner_tokens_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_learner_tokens")),
    )
    with op.batch_alter_table("learner_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_tokens_learner_id"), ["learner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learner_tokens_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "learner_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_learner_sessions_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_learner_sessions")),
    )
    with op.batch_alter_table("learner_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_sessions_learner_id"), ["learner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learner_sessions_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "learner_rate_limits",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_learner_rate_limits")),
    )
    with op.batch_alter_table("learner_rate_limits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_rate_limits_window_ends_at"), ["window_ends_at"], unique=False
        )
    op.create_table(
        "learner_passkeys",
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_learner_passkeys_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_learner_passkeys")),
    )
    with op.batch_alter_table("learner_passkeys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_passkeys_learner_id"), ["learner_id"], unique=False
        )
    op.create_table(
        "learner_challenges",
        sa.Column("challenge_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_learner_challenges_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("challenge_hash", name=op.f("pk_learner_challenges")),
    )
    with op.batch_alter_table("learner_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_challenges_learner_id"), ["learner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learner_challenges_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("learner_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_challenges_expires_at"))
        batch_op.drop_index(batch_op.f("ix_learner_challenges_learner_id"))
    op.drop_table("learner_challenges")
    with op.batch_alter_table("learner_passkeys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_passkeys_learner_id"))
    op.drop_table("learner_passkeys")
    with op.batch_alter_table("learner_rate_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_rate_limits_window_ends_at"))
    op.drop_table("learner_rate_limits")
    with op.batch_alter_table("learner_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_learner_sessions_learner_id"))
    op.drop_table("learner_sessions")
    with op.batch_alter_table("learner_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_tokens_expires_at"))
        batch_op.drop_index(batch_op.f("ix_learner_tokens_learner_id"))
    op.drop_table("learner_tokens")
    with op.batch_alter_table("learner_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_emails_learner_id"))
    op.drop_table("learner_emails")
    op.drop_table("learners")
