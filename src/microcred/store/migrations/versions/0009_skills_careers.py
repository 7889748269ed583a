"""skills and careers: O*NET / ESCO taxonomy, achievement offers, employers and consented search

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skill_occupations",
        sa.Column("id", sa.String(length=300), nullable=False),
        sa.Column("framework", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("alt_titles", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("job_zone", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_occupations")),
    )
    with op.batch_alter_table("skill_occupations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skill_occupations_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_skill_occupations_framework"), ["framework"], unique=False
        )

    op.create_table(
        "skills",
        sa.Column("id", sa.String(length=300), nullable=False),
        sa.Column("framework", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("category", sa.String(length=300), nullable=False),
        sa.Column("alt_names", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skills")),
    )
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skills_framework"), ["framework"], unique=False)

    op.create_table(
        "skill_links",
        sa.Column("occupation_id", sa.String(length=300), nullable=False),
        sa.Column("skill_id", sa.String(length=300), nullable=False),
        sa.Column("hot", sa.Boolean(), nullable=False),
        sa.Column("in_demand", sa.Boolean(), nullable=False),
        sa.Column("essential", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["occupation_id"],
            ["skill_occupations.id"],
            name=op.f("fk_skill_links_occupation_id_skill_occupations"),
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_skill_links_skill_id_skills")
        ),
        sa.PrimaryKeyConstraint("occupation_id", "skill_id", name=op.f("pk_skill_links")),
    )
    with op.batch_alter_table("skill_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skill_links_skill_id"), ["skill_id"], unique=False)

    op.create_table(
        "career_offers",
        sa.Column("achievement_id", sa.String(length=36), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("duration_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_career_offers_achievement_id_achievements"),
        ),
        sa.PrimaryKeyConstraint("achievement_id", name=op.f("pk_career_offers")),
    )

    op.create_table(
        "employers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employers")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_employers_token_hash")),
    )
    op.create_table(
        "skill_shares",
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("ref", sa.String(length=36), nullable=False),
        sa.Column("skill_id", sa.String(length=300), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_skill_shares_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("learner_id", "ref", "skill_id", name=op.f("pk_skill_shares")),
    )
    with op.batch_alter_table("skill_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skill_shares_skill_id"), ["skill_id"], unique=False)
    op.create_table(
        "employer_searches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("employer_id", sa.String(length=36), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_employer_searches_employer_id_employers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_searches")),
    )
    with op.batch_alter_table("employer_searches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_employer_searches_employer_at", ["employer_id", "at"], unique=False
        )
    op.create_table(
        "employer_hits",
        sa.Column("search_id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_employer_hits_learner_id_learners")
        ),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["employer_searches.id"],
            name=op.f("fk_employer_hits_search_id_employer_searches"),
        ),
        sa.PrimaryKeyConstraint("search_id", "learner_id", name=op.f("pk_employer_hits")),
    )
    with op.batch_alter_table("employer_hits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_employer_hits_learner_id"), ["learner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("employer_hits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employer_hits_learner_id"))
    op.drop_table("employer_hits")
    with op.batch_alter_table("employer_searches", schema=None) as batch_op:
        batch_op.drop_index("ix_employer_searches_employer_at")
    op.drop_table("employer_searches")
    with op.batch_alter_table("skill_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skill_shares_skill_id"))
    op.drop_table("skill_shares")
    op.drop_table("employers")
    op.drop_table("career_offers")
    with op.batch_alter_table("skill_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skill_links_skill_id"))
    op.drop_table("skill_links")
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skills_framework"))
    op.drop_table("skills")
    with op.batch_alter_table("skill_occupations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skill_occupations_framework"))
        batch_op.drop_index(batch_op.f("ix_skill_occupations_code"))
    op.drop_table("skill_occupations")
