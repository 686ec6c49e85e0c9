"""configuration epoch: what hot commands cache of a tenant's configuration

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (no table rebuild on SQLite, whose DROP would cascade).
    op.add_column("tenants", sa.Column("config_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.execute("ALTER TABLE tenants DROP COLUMN config_epoch")
