"""Employers' search: the numbered log of changes to ``skill_learners`` that keeps each
process's in-memory search index exact

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    head = op.create_table(
        "skill_index_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_index_head")),
    )
    op.create_table(
        "skill_index_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_skill_index_log")),
    )
    # Epoch 1, no change yet: a process builds its index from skill_learners as it stands.
    op.bulk_insert(head, [{"id": 1, "epoch": 1, "seq": 0}])


def downgrade() -> None:
    op.drop_table("skill_index_log")
    op.drop_table("skill_index_head")
