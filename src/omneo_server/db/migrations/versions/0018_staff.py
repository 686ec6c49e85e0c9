"""staff: the profiles working for the retailer, by the ids sales name them with

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("profile_id", sa.String(length=36), sa.ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("staff_number", sa.String(length=100), nullable=True),
        sa.Column("location_id", sa.Integer(), sa.ForeignKey("locations.id", ondelete="SET NULL"), nullable=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id", ondelete="SET NULL"), nullable=True),
        sa.Column("role_type", sa.String(length=20), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("tenant_id", "profile_id", name=op.f("uq_staff_tenant_id_profile_id")),
        sa.UniqueConstraint("tenant_id", "staff_number", name=op.f("uq_staff_tenant_id_staff_number")),
    )
    op.create_index(op.f("ix_staff_location_id"), "staff", ["location_id"])
    op.create_index(op.f("ix_staff_tenant_id"), "staff", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("staff")
