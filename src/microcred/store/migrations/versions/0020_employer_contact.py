"""employers: presentations' domain, staff tokens, handles found, contact requests

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("employers") as batch:
        batch.add_column(sa.Column("domain", sa.String(length=253), nullable=True))
    op.create_table(
        "employer_staff",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("employer_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_employer_staff_employer_id_employers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_staff")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_employer_staff_token_hash")),
    )
    op.create_index(
        op.f("ix_employer_staff_employer_id"), "employer_staff", ["employer_id"], unique=False
    )
    op.create_table(
        "employer_handles",
        sa.Column("employer_id", sa.String(length=36), nullable=False),
        sa.Column("handle", sa.String(length=40), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_employer_handles_employer_id_employers"),
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_employer_handles_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("employer_id", "handle", name=op.f("pk_employer_handles")),
    )
    op.create_index(
        op.f("ix_employer_handles_learner_id"), "employer_handles", ["learner_id"], unique=False
    )
    op.create_table(
        "employer_contact_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("employer_id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.String(length=36), nullable=False),
        sa.Column("handle", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("asked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_employer_contact_requests_employer_id_employers"),
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_employer_contact_requests_learner_id_learners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_contact_requests")),
        sa.UniqueConstraint(
            "employer_id",
            "learner_id",
            name=op.f("uq_employer_contact_requests_employer_id"),
        ),
    )
    op.create_index(
        op.f("ix_employer_contact_requests_employer_id"),
        "employer_contact_requests",
        ["employer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_employer_contact_requests_learner_id"),
        "employer_contact_requests",
        ["learner_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_employer_contact_requests_learner_id"), table_name="employer_contact_requests"
    )
    op.drop_index(
        op.f("ix_employer_contact_requests_employer_id"), table_name="employer_contact_requests"
    )
    op.drop_table("employer_contact_requests")
    op.drop_index(op.f("ix_employer_handles_learner_id"), table_name="employer_handles")
    op.drop_table("employer_handles")
    op.drop_index(op.f("ix_employer_staff_employer_id"), table_name="employer_staff")
    op.drop_table("employer_staff")
    with op.batch_alter_table("employers") as batch:
        batch.drop_column("domain")
