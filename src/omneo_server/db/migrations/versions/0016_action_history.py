"""action history: which profile each reaction run acted for, and for which event type

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild on SQLite).
    op.add_column("reaction_runs", sa.Column("profile_id", sa.String(length=36), nullable=True))
    op.add_column("reaction_runs", sa.Column("event_type", sa.String(length=100), nullable=True))
    op.create_index(op.f("ix_reaction_runs_profile_id"), "reaction_runs", ["profile_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reaction_runs_profile_id"), table_name="reaction_runs")
    op.execute("ALTER TABLE reaction_runs DROP COLUMN event_type")
    op.execute("ALTER TABLE reaction_runs DROP COLUMN profile_id")
