"""Employers' search: one row per learner and shared skill, and learners per skill

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skill_learners",
        sa.Column("skill_id", sa.String(length=300), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("credentials", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_skill_learners_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("skill_id", "learner_id", name=op.f("pk_skill_learners")),
    )
    with op.batch_alter_table("skill_learners", schema=None) as batch_op:
        batch_op.create_index(
            "ix_skill_learners_learner_skill", ["learner_id", "skill_id"], unique=False
        )
    op.create_table(
        "skill_learner_counts",
        sa.Column("skill_id", sa.String(length=300), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("skill_id", name=op.f("pk_skill_learner_counts")),
    )
    # What was shared before this revision.
    op.execute(
        "INSERT INTO skill_learners (skill_id, learner_id, credentials)"
        " SELECT skill_id, learner_id, COUNT(*) FROM skill_shares GROUP BY skill_id, learner_id"
    )
    op.execute(
        "INSERT INTO skill_learner_counts (skill_id, learners)"
        " SELECT skill_id, COUNT(*) FROM skill_learners GROUP BY skill_id"
    )


def downgrade() -> None:
    op.drop_table("skill_learner_counts")
    with op.batch_alter_table("skill_learners", schema=None) as batch_op:
        batch_op.drop_index("ix_skill_learners_learner_skill")
    op.drop_table("skill_learners")
