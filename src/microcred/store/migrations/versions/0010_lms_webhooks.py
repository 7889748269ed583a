"""Learning platforms and webhooks out: webhook subscriptions, deliveries and attempts; award
rules, learning records and awards; LRS keys; LTI 1.3 platforms, tool keys and launches

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_tool_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column(
            "public_jwk",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sealed_private", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_lti_tool_keys")),
    )
    op.create_table(
        "lms_learners",
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("learner", sa.String(length=320), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lms_learners_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("issuer_id", "learner", name=op.f("pk_lms_learners")),
    )
    op.create_table(
        "lms_lrs_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lms_lrs_keys_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_lrs_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_lms_lrs_keys_key")),
    )
    op.create_index(op.f("ix_lms_lrs_keys_issuer_id"), "lms_lrs_keys", ["issuer_id"], unique=False)
    op.create_table(
        "lms_progress",
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("learner", sa.String(length=320), nullable=False),
        sa.Column("activity_key", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=2000), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("launched", sa.Boolean(), nullable=False),
        sa.Column("best_score", sa.Double(), nullable=True),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lms_progress_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint(
            "issuer_id", "learner", "activity_key", name=op.f("pk_lms_progress")
        ),
    )
    op.create_table(
        "lti_platforms",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("platform_issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column(
            "deployment_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("auth_url", sa.String(length=2000), nullable=False),
        sa.Column("token_url", sa.String(length=2000), nullable=False),
        sa.Column("jwks_url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lti_platforms_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_platforms")),
        sa.UniqueConstraint(
            "platform_issuer", "client_id", name=op.f("uq_lti_platforms_platform_issuer")
        ),
    )
    op.create_index(
        op.f("ix_lti_platforms_issuer_id"), "lti_platforms", ["issuer_id"], unique=False
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column(
            "events",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("sealed_secret", sa.LargeBinary(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_webhook_subscriptions_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index(
        op.f("ix_webhook_subscriptions_issuer_id"),
        "webhook_subscriptions",
        ["issuer_id"],
        unique=False,
    )
    op.create_table(
        "lms_rules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "activities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("min_score", sa.Double(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_lms_rules_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lms_rules_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_rules")),
    )
    op.create_index(
        op.f("ix_lms_rules_achievement_id"), "lms_rules", ["achievement_id"], unique=False
    )
    op.create_index(op.f("ix_lms_rules_issuer_id"), "lms_rules", ["issuer_id"], unique=False)
    op.create_table(
        "lms_statements",
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("lrs_key_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("learner", sa.String(length=320), nullable=True),
        sa.Column("verb", sa.String(length=2000), nullable=False),
        sa.Column("activity_id", sa.String(length=2000), nullable=True),
        sa.Column("statement", sa.JSON(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lms_statements_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["lrs_key_id"],
            ["lms_lrs_keys.id"],
            name=op.f("fk_lms_statements_lrs_key_id_lms_lrs_keys"),
        ),
        sa.PrimaryKeyConstraint("issuer_id", "id", name=op.f("pk_lms_statements")),
    )
    op.create_index(
        op.f("ix_lms_statements_lrs_key_id"), "lms_statements", ["lrs_key_id"], unique=False
    )
    op.create_table(
        "lti_contexts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("platform_id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("memberships_url", sa.String(length=2000), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lti_contexts_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_contexts_platform_id_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_contexts")),
        sa.UniqueConstraint("platform_id", "context_id", name=op.f("uq_lti_contexts_platform_id")),
    )
    op.create_index(op.f("ix_lti_contexts_issuer_id"), "lti_contexts", ["issuer_id"], unique=False)
    op.create_index(
        op.f("ix_lti_contexts_platform_id"), "lti_contexts", ["platform_id"], unique=False
    )
    op.create_table(
        "lti_launches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("platform_id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("message_type", sa.String(length=64), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("context_id", sa.String(length=255), nullable=True),
        sa.Column("activity_id", sa.String(length=2000), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lti_launches_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_launches_platform_id_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_launches")),
    )
    op.create_index(op.f("ix_lti_launches_issuer_id"), "lti_launches", ["issuer_id"], unique=False)
    op.create_index(
        op.f("ix_lti_launches_platform_id"), "lti_launches", ["platform_id"], unique=False
    )
    op.create_table(
        "lti_line_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("platform_id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("activity_id", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lti_line_items_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_line_items_platform_id_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_line_items")),
        sa.UniqueConstraint("platform_id", "url_hash", name=op.f("uq_lti_line_items_platform_id")),
    )
    op.create_index(
        op.f("ix_lti_line_items_issuer_id"), "lti_line_items", ["issuer_id"], unique=False
    )
    op.create_index(
        op.f("ix_lti_line_items_platform_id"), "lti_line_items", ["platform_id"], unique=False
    )
    op.create_table(
        "lti_registrations",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("platform_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lti_registrations_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_registrations_platform_id_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_lti_registrations")),
    )
    op.create_index(
        op.f("ix_lti_registrations_issuer_id"), "lti_registrations", ["issuer_id"], unique=False
    )
    op.create_table(
        "lti_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.String(length=36), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("target_link_uri", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_states_platform_id_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_lti_states")),
    )
    op.create_index(op.f("ix_lti_states_expires_at"), "lti_states", ["expires_at"], unique=False)
    op.create_index(op.f("ix_lti_states_platform_id"), "lti_states", ["platform_id"], unique=False)
    op.create_table(
        "lti_used_nonces",
        sa.Column("platform_id", sa.String(length=36), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platforms.id"],
            name=op.f("fk_lti_used_nonces_platform_id_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("platform_id", "nonce_hash", name=op.f("pk_lti_used_nonces")),
    )
    op.create_index(
        op.f("ix_lti_used_nonces_expires_at"), "lti_used_nonces", ["expires_at"], unique=False
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_webhook_deliveries_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_issuer_id"), "webhook_deliveries", ["issuer_id"], unique=False
    )
    op.create_index(
        "ix_webhook_deliveries_state_next",
        "webhook_deliveries",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_webhook_deliveries_subscription_created",
        "webhook_deliveries",
        ["subscription_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "webhook_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"], unique=False
    )
    op.create_table(
        "lms_awards",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=False),
        sa.Column("learner", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_lms_awards_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_lms_awards_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["lms_rules.id"], name=op.f("fk_lms_awards_rule_id_lms_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lms_awards")),
        sa.UniqueConstraint("rule_id", "learner", name=op.f("uq_lms_awards_rule_id")),
    )
    op.create_index(
        op.f("ix_lms_awards_credential_id"), "lms_awards", ["credential_id"], unique=False
    )
    op.create_index(op.f("ix_lms_awards_issuer_id"), "lms_awards", ["issuer_id"], unique=False)
    op.create_table(
        "webhook_expiries",
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_webhook_expiries_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_webhook_expiries")),
    )


def downgrade() -> None:
    for table in (
        "webhook_expiries",
        "lms_awards",
        "webhook_attempts",
        "webhook_deliveries",
        "lti_used_nonces",
        "lti_states",
        "lti_registrations",
        "lti_line_items",
        "lti_launches",
        "lti_contexts",
        "lms_statements",
        "lms_rules",
        "webhook_subscriptions",
        "lti_platforms",
        "lms_progress",
        "lms_lrs_keys",
        "lms_learners",
        "lti_tool_keys",
    ):
        op.drop_table(table)
