"""Notifications: each organisation's contact, and the outbox of messages to deliver.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Written by hand, frozen like 0001 and 0002. Both tables are operational
state, updated in place: ``outbox`` rows move from pending to delivered or
undeliverable; ``contacts`` are replaced when an organisation changes them.
The outbox key is the message id, so a message enqueued twice is kept once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("emails", sa.Text(), nullable=False),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("webhook_secret", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_contacts_org_id_organisations"
        ),
        sa.PrimaryKeyConstraint("org_id", name="pk_contacts"),
    )
    op.create_table(
        "outbox",
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("enqueued_at", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_channels", sa.String(200), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_outbox_org_id_organisations"
        ),
        sa.PrimaryKeyConstraint("message_id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("contacts")
