"""Pathways edited and archived: every definition by version, a proposed change awaiting its
co-issuers, the state an archived pathway goes back to, and the version an award was judged
against

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "pathway_versions",
        sa.Column("pathway_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathways.id"], name=op.f("fk_pathway_versions_pathway_id_pathways")
        ),
        sa.PrimaryKeyConstraint("pathway_id", "version", name=op.f("pk_pathway_versions")),
    )
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("archived_from", sa.String(length=16), nullable=True))
    with op.batch_alter_table("pathway_awards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
    with op.batch_alter_table("pathway_issuers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_version", sa.Integer(), nullable=True))
    # What exists was saved once: its definition is version 1, and its awards judged by it.
    op.execute(
        "INSERT INTO pathway_versions (pathway_id, version, definition, created_at, created_by) "
        "SELECT id, version, definition, created_at, 'system' FROM pathways"
    )
    op.execute(
        "UPDATE pathway_awards SET version = "
        "(SELECT version FROM pathways WHERE pathways.id = pathway_awards.pathway_id)"
    )
    op.execute(
        "UPDATE pathway_issuers SET approved_version = "
        "(SELECT version FROM pathways WHERE pathways.id = pathway_issuers.pathway_id) "
        "WHERE approved_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("pathway_issuers", schema=None) as batch_op:
        batch_op.drop_column("approved_version")
    with op.batch_alter_table("pathway_awards", schema=None) as batch_op:
        batch_op.drop_column("version")
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.drop_column("archived_from")
        batch_op.drop_column("proposed_version")
    op.drop_table("pathway_versions")
