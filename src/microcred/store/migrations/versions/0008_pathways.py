"""Pathways and micro-degrees: pathways, their co-issuers, awards, the parts awards count,
and endorsements

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0013"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "pathways",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("policy", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_pathways_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_pathways_issuer_id_issuers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathways")),
    )
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pathways_issuer_id"), ["issuer_id"], unique=False)

    op.create_table(
        "pathway_issuers",
        sa.Column("pathway_id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_pathway_issuers_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathways.id"], name=op.f("fk_pathway_issuers_pathway_id_pathways")
        ),
        sa.PrimaryKeyConstraint("pathway_id", "issuer_id", name=op.f("pk_pathway_issuers")),
    )
    with op.batch_alter_table("pathway_issuers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pathway_issuers_issuer_id"), ["issuer_id"], unique=False
        )

    op.create_table(
        "pathway_awards",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pathway_id", sa.String(length=36), nullable=False),
        sa.Column("learner_key", sa.String(length=400), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=True),
        sa.Column("clr", sa.JSON(), nullable=True),
        sa.Column("failing", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_pathway_awards_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathways.id"], name=op.f("fk_pathway_awards_pathway_id_pathways")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_awards")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_pathway_awards_credential_id")),
        sa.UniqueConstraint("pathway_id", "learner_key", name=op.f("uq_pathway_awards_pathway_id")),
    )

    op.create_table(
        "pathway_award_parts",
        sa.Column("award_id", sa.String(length=36), nullable=False),
        sa.Column("part_ref", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("digest", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"],
            ["pathway_awards.id"],
            name=op.f("fk_pathway_award_parts_award_id_pathway_awards"),
        ),
        sa.PrimaryKeyConstraint("award_id", "part_ref", name=op.f("pk_pathway_award_parts")),
    )
    with op.batch_alter_table("pathway_award_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pathway_award_parts_part_ref"), ["part_ref"], unique=False
        )

    op.create_table(
        "pathway_endorsements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pathway_id", sa.String(length=36), nullable=False),
        sa.Column("issuer_id", sa.String(length=36), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status_list_seq", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"], ["issuers.id"], name=op.f("fk_pathway_endorsements_issuer_id_issuers")
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"],
            ["pathways.id"],
            name=op.f("fk_pathway_endorsements_pathway_id_pathways"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_endorsements")),
    )
    with op.batch_alter_table("pathway_endorsements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pathway_endorsements_issuer_id"), ["issuer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pathway_endorsements_pathway_id"), ["pathway_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pathway_endorsements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_endorsements_pathway_id"))
        batch_op.drop_index(batch_op.f("ix_pathway_endorsements_issuer_id"))
    op.drop_table("pathway_endorsements")
    with op.batch_alter_table("pathway_award_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_award_parts_part_ref"))
    op.drop_table("pathway_award_parts")
    op.drop_table("pathway_awards")
    with op.batch_alter_table("pathway_issuers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_issuers_issuer_id"))
    op.drop_table("pathway_issuers")
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathways_issuer_id"))
    op.drop_table("pathways")
