"""profile documents: the profile read model

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 03:16:41.419480
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profile_documents",
        sa.Column("profile_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("valid_until", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_profile_documents_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_profile_documents_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("profile_id", name=op.f("pk_profile_documents")),
    )
    op.create_index(op.f("ix_profile_documents_tenant_id"), "profile_documents", ["tenant_id"], unique=False)
    # A plain ADD COLUMN on both databases (no table rebuild on SQLite, whose DROP would cascade).
    op.add_column("tenants", sa.Column("profile_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_index(op.f("ix_profile_documents_tenant_id"), table_name="profile_documents")
    op.drop_table("profile_documents")
    op.execute("ALTER TABLE tenants DROP COLUMN profile_epoch")
