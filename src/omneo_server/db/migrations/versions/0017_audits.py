"""audits: who changed what, written with every change; who queued a job

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("auditable_type", sa.String(length=50), nullable=False),
        sa.Column("auditable_id", sa.String(length=64), nullable=True),
        sa.Column("old_values", sa.JSON(), nullable=True),
        sa.Column("new_values", sa.JSON(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=1023), nullable=True),
        sa.Column("token_name", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("profile_id", sa.String(length=36), nullable=True),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index(op.f("ix_audits_tenant_id"), "audits", ["tenant_id"])
    op.create_index("ix_audits_tenant_record", "audits", ["tenant_id", "auditable_type", "auditable_id"])
    op.create_index("ix_audits_tenant_profile", "audits", ["tenant_id", "profile_id"])
    op.add_column("queued_jobs", sa.Column("origin", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE queued_jobs DROP COLUMN origin")
    op.drop_table("audits")
