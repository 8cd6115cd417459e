"""The HTTP API's keys, and the webhook secret a rotation replaced.

Revision ID: 0014
Revises: 0016
Create Date: 2026-12-01

Written by hand. ``api_keys`` holds one row per key: its name (the actor the
ledger records), the organisation it is limited to (none: an operator key),
the SHA-256 of the key (the key itself is never stored), and when it was
made and revoked. ``contacts.previous_webhook_secret`` keeps the secret a
rotation replaced, so deliveries carry both signatures until the next change;
``contacts.webhook_disabled_at`` is when the receiver answered 410 Gone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("organisations.id"), nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(500), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("digest", name="uq_api_keys_digest"),
    )
    # A plain ADD COLUMN (no table rebuild).
    op.add_column("contacts", sa.Column("previous_webhook_secret", sa.String(500), nullable=True))
    op.add_column("contacts", sa.Column("webhook_disabled_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("contacts", "webhook_disabled_at")
    op.drop_column("contacts", "previous_webhook_secret")
    op.drop_table("api_keys")
