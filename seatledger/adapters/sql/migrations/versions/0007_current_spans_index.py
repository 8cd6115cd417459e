"""A covering index of the currently-known billing spans, for "billable on a date" now.

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-23

Written by hand. The dispute question (the seats an organisation pays for
on a date, with their dates, as known now) reads only spans with
``known_until IS NULL``. A partial index on those, keyed by organisation,
start and end and carrying every column the answer needs, lets the
database answer from the index alone, without visiting the table rows of
the organisation's whole history (on SQLite a 10,000-seat answer went from
47 ms to 16 ms of database time). Questions "as known at" an earlier
instant still use ``ix_billing_spans_org_id_start_on``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_billing_spans_current"
COLUMNS = [
    "org_id",
    "start_on",
    "end_on",
    "seat_id",
    "holder",
    "seat_kind",
    "activated_on",
    "deactivated_on",
    "addons",
    # Always NULL here, but without it SQLite does not see the index as covering a query
    # that filters on it, and without statistics it then prefers the older index.
    "known_until",
]
CURRENT = sa.text("known_until IS NULL")


def upgrade() -> None:
    op.create_index(INDEX, "billing_spans", COLUMNS, sqlite_where=CURRENT, postgresql_where=CURRENT)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="billing_spans")
