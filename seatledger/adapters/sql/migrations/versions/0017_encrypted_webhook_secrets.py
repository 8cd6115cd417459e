"""Webhook secrets encrypted at rest: room for the ciphertext.

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-01

Written by hand and frozen like the others. A stored secret is now a Fernet
token with a prefix (decision 0040), about 1.4 times the secret's UTF-8
length plus 80 characters, so ``contacts.webhook_secret`` becomes TEXT
(a secret stays at most 500 characters; the domain checks it). The plain-text
secrets already stored are encrypted by ``seatledger init`` right after the
upgrade, with the key outside the database: a migration holds no key.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.alter_column(
            "webhook_secret", existing_type=sa.String(500), type_=sa.Text(), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.alter_column(
            "webhook_secret", existing_type=sa.Text(), type_=sa.String(500), existing_nullable=True
        )
