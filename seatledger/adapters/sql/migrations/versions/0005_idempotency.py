"""Idempotency keys: each key with its command, its arguments' fingerprint and first result.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

Written by hand. ``idempotency_keys`` is append-only like the history: a
key is inserted in the same transaction as the write it names and never
updated or deleted. The refusal reuses migration 0002's mechanism: on SQLite
``BEFORE UPDATE``/``BEFORE DELETE`` triggers that ``RAISE(ABORT, ...)``; on
PostgreSQL a row trigger calling 0002's function ``seatledger_refuse_change``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "idempotency_keys"
PG_FUNCTION = "seatledger_refuse_change"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("command", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=f"pk_{TABLE}"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'seatledger: {TABLE} is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    else:
        raise RuntimeError(f"seatledger has no append-only triggers for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{action}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
    op.drop_table(TABLE)
