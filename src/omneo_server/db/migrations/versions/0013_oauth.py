"""oauth: clients, logins and refresh tokens; tokens that act for a user

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
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
        "oauth_clients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        *_tenant_scoped(),
    )
    op.create_index(op.f("ix_oauth_clients_tenant_id"), "oauth_clients", ["tenant_id"])
    # Plain ADD COLUMNs, references included, in the SQL both databases take (no table rebuild on
    # SQLite, whose DROP would cascade to what references the table).
    op.add_column("api_tokens", sa.Column("type", sa.String(length=20), server_default="api", nullable=False))
    op.execute("ALTER TABLE api_tokens ADD COLUMN user_id INTEGER REFERENCES users (id) ON DELETE CASCADE")
    op.execute("ALTER TABLE api_tokens ADD COLUMN client_id INTEGER REFERENCES oauth_clients (id) ON DELETE CASCADE")
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("family", sa.String(length=36), nullable=False),
        sa.Column(
            "access_token_id",
            sa.String(length=36),
            sa.ForeignKey("api_tokens.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        *_tenant_scoped(),
    )
    for column in ("tenant_id", "family", "access_token_id", "user_id"):
        op.create_index(op.f(f"ix_refresh_tokens_{column}"), "refresh_tokens", [column])


def downgrade() -> None:
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens")
    for column in ("client_id", "user_id", "type"):
        op.execute(f"ALTER TABLE api_tokens DROP COLUMN {column}")
    op.drop_table("oauth_clients")
