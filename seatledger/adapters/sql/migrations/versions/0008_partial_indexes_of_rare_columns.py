"""Index only the rows that have a transfer request, or a second organisation in the audit.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

Written by hand. ``seat_facts.request`` is set only on transfer facts and
``audit_log.other_org_id`` only on entries that involve two organisations
(transfers); every other row — every fact and audit entry of an import —
still added a NULL entry to their indexes. Both become partial
(``… IS NOT NULL``). Every query on them names a value (``request = :r``,
``request IN (…)`` with ``request IS NOT NULL``, ``other_org_id = :o``),
which implies the predicate, so SQLite and PostgreSQL still use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column)
INDEXES = (
    ("ix_seat_facts_request", "seat_facts", "request"),
    ("ix_audit_log_other_org_id_seq", "audit_log", "other_org_id"),
)


def _columns(column: str) -> list[str]:
    return [column, "seq"] if column == "other_org_id" else [column]


def upgrade() -> None:
    for index, table, column in INDEXES:
        present = sa.text(f"{column} IS NOT NULL")
        op.drop_index(index, table_name=table)
        op.create_index(
            index, table, _columns(column), sqlite_where=present, postgresql_where=present
        )


def downgrade() -> None:
    for index, table, column in INDEXES:
        op.drop_index(index, table_name=table)
        op.create_index(index, table, _columns(column))
