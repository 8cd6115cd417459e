"""Contract versions keep their billing policies.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Written by hand. ``contract_versions.policies`` holds the policies of money
over a contract's life (annual start, leaving annual, transfers of paid
coverage, negative balances, overage documents) that differ from their
defaults, as JSON. Every version stored before has the defaults: ``{}``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild), so the append-only triggers stay in place.
    op.add_column(
        "contract_versions",
        sa.Column("policies", sa.Text(), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    op.drop_column("contract_versions", "policies")
