"""encrypt signing secrets at rest

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from omneo_server.db import secretbox

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Named here rather than taken from ``secretbox.ENCRYPTED_COLUMNS``, which may grow columns that
#: do not exist yet at this revision.
COLUMNS = (("tenants", "id", "signing_key"), ("webhooks", "id", "secret"))


def upgrade() -> None:
    # Fernet tokens outgrow String(128). Only PostgreSQL enforces the length (and varchar -> text
    # needs no table rewrite there). SQLite does not, and changing a type there means recreating
    # the table, whose DROP cascades (foreign_keys=ON) to every row referencing it: leave it be.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "tenants", "signing_key", existing_type=sa.String(length=128), type_=sa.Text(), existing_nullable=False
        )
        op.alter_column(
            "webhooks", "secret", existing_type=sa.String(length=128), type_=sa.Text(), existing_nullable=True
        )
    secretbox.encrypt_plaintext(op.get_bind(), COLUMNS)


def downgrade() -> None:
    # Back to plain text, with the same keys; a signing key fits String(128) again once decrypted.
    cipher = secretbox.box()
    secretbox.rewrite(
        op.get_bind(), lambda value: cipher.decrypt(value) if secretbox.looks_encrypted(value) else None, COLUMNS
    )
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "webhooks", "secret", existing_type=sa.Text(), type_=sa.String(length=128), existing_nullable=True
        )
        op.alter_column(
            "tenants", "signing_key", existing_type=sa.Text(), type_=sa.String(length=128), existing_nullable=False
        )
