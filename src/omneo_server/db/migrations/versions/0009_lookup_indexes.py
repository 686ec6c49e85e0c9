"""lookup indexes: lead with the tenant, then what a request names

Without planner statistics SQLite breaks a tie between one-column indexes towards
``ix_<table>_tenant_id`` and walks every row the tenant has (a profile's transactions, a sale's
claims, the expiry sweeps); these indexes match more of each ``WHERE`` and win outright. The list is
``tables.LOOKUP_INDEXES`` as of this revision (a migration never imports the models it outlives).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("transactions", "ix_transactions_tenant_profile", ("tenant_id", "profile_id", "transacted_at"), False),
    ("transactions", "ix_transactions_tenant_external", ("tenant_id", "external_id"), False),
    ("transactions", "ix_transactions_tenant_receipt", ("tenant_id", "receipt_ref"), False),
    ("transactions", "ix_transactions_tenant_transacted", ("tenant_id", "transacted_at"), False),
    ("orders", "ix_orders_tenant_profile", ("tenant_id", "profile_id"), False),
    ("transaction_claims", "ix_transaction_claims_tenant_profile", ("tenant_id", "profile_id"), False),
    ("transaction_claims", "ix_transaction_claims_tenant_status", ("tenant_id", "status"), False),
    ("interactions", "ix_interactions_tenant_profile", ("tenant_id", "profile_id"), False),
    ("interactions", "ix_interactions_identity", ("identity_id",), False),
    ("rewards", "ix_rewards_tenant_profile", ("tenant_id", "profile_id"), False),
    ("rewards", "ix_rewards_tenant_expires", ("tenant_id", "expires_at"), False),
    ("points", "ix_points_tenant_profile", ("tenant_id", "profile_id"), False),
    ("points", "ix_points_tenant_expires", ("tenant_id", "expires_at"), False),
    ("credits", "ix_credits_tenant_profile", ("tenant_id", "profile_id"), False),
    ("credits", "ix_credits_tenant_expires", ("tenant_id", "expires_at"), False),
    ("benefits", "ix_benefits_tenant_profile", ("tenant_id", "profile_id"), False),
    ("benefits", "ix_benefits_definition", ("benefit_definition_id", "is_void"), False),
    ("redemptions", "ix_redemptions_tenant_profile", ("tenant_id", "profile_id"), False),
    ("ledger_entries", "ix_ledger_entries_tenant_profile", ("tenant_id", "profile_id"), False),
    ("tier_points", "ix_tier_points_tenant_profile", ("tenant_id", "profile_id"), False),
    (
        "achievement_points",
        "ix_achievement_points_tenant_profile",
        ("tenant_id", "profile_id", "achievement_definition_id"),
        False,
    ),
    ("achievement_points", "ix_achievement_points_definition", ("achievement_definition_id",), False),
    ("profile_achievements", "ix_profile_achievements_tenant_profile", ("tenant_id", "profile_id"), False),
    ("profile_achievements", "ix_profile_achievements_definition", ("achievement_definition_id",), False),
    ("profile_tiers", "ix_profile_tiers_tenant_anniversary", ("tenant_id", "anniversary_at"), False),
    ("profile_tiers", "ix_profile_tiers_definition", ("tier_definition_id",), False),
    ("profile_statuses", "ix_profile_statuses_expires", ("expires_at",), False),
    ("identities", "ix_identities_tenant_identifier", ("tenant_id", "identifier"), False),
    ("profiles", "ix_profiles_tenant_created_live", ("tenant_id", "created_at", "id"), True),
    ("profiles", "ix_profiles_tenant_id_live", ("tenant_id", "id"), True),
    ("locations", "ix_locations_tenant_code", ("tenant_id", "external_code"), False),
    ("custom_fields", "ix_custom_fields_owner", ("owner_type", "owner_id"), False),
    ("queued_jobs", "ix_queued_jobs_tenant_status", ("tenant_id", "status", "created_at"), False),
)


def upgrade() -> None:
    for table, name, columns, live in INDEXES:
        if live:  # live profiles only
            live_only = sa.text("deleted_at IS NULL")
            op.create_index(name, table, list(columns), sqlite_where=live_only, postgresql_where=live_only)
        else:
            op.create_index(name, table, list(columns))


def downgrade() -> None:
    for table, name, _columns, _live in reversed(INDEXES):
        op.drop_index(name, table_name=table)
