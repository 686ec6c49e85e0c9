"""organisations, role definitions and organisation memberships

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_scoped() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("handle", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("authorised_domains", sa.JSON(), nullable=False),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("locations", sa.JSON(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=True),
        *_tenant_scoped(),
        sa.UniqueConstraint("tenant_id", "handle", name=op.f("uq_organisations_tenant_id_handle")),
    )
    op.create_table(
        "role_definitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("handle", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=True),
        *_tenant_scoped(),
        sa.UniqueConstraint("tenant_id", "handle", name=op.f("uq_role_definitions_tenant_id_handle")),
    )
    op.create_table(
        "organisation_profiles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("profile_id", sa.String(length=36), sa.ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "role_definition_id", sa.Integer(), sa.ForeignKey("role_definitions.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        *_tenant_scoped(),
        sa.UniqueConstraint(
            "organisation_id", "profile_id", name=op.f("uq_organisation_profiles_organisation_id_profile_id")
        ),
    )
    for table in ("organisations", "role_definitions", "organisation_profiles"):
        op.create_index(op.f(f"ix_{table}_tenant_id"), table, ["tenant_id"])
    op.create_index(op.f("ix_organisation_profiles_organisation_id"), "organisation_profiles", ["organisation_id"])
    op.create_index(op.f("ix_organisation_profiles_profile_id"), "organisation_profiles", ["profile_id"])


def downgrade() -> None:
    op.drop_table("organisation_profiles")
    op.drop_table("role_definitions")
    op.drop_table("organisations")
