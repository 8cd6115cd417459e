"""No two currently-known billing spans of one seat overlap, enforced by the database.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Written by hand. A seat's current spans (``known_until IS NULL``) are
half-open date ranges ``[start_on, end_on)`` (``end_on`` NULL: open) and
never overlap: for every date a seat has at most one paying organisation.

* PostgreSQL: an exclusion constraint ``EXCLUDE USING gist (seat_id WITH =,
  daterange(start_on, end_on) WITH &&) WHERE (known_until IS NULL)``; it
  needs the ``btree_gist`` extension (for ``=`` on a text column in a GiST
  index), created in schema ``public`` if missing, so that dropping an
  application schema never drops the extension other schemas rely on.
* SQLite: a ``BEFORE INSERT`` trigger that refuses a current span
  overlapping a current span of the same seat, and a ``BEFORE UPDATE`` one
  that refuses making a closed span current again over a current one.
  Dates are ISO text, so text comparison is date comparison. No batch
  migration is used (it would drop the append-only triggers of 0002).

Both refusals surface as ``IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "ex_billing_spans_no_overlap"
SQLITE_CHECK = (
    "SELECT RAISE(ABORT, 'seatledger: overlapping current billing spans for one seat') "
    "WHERE NEW.known_until IS NULL AND EXISTS (SELECT 1 FROM billing_spans AS s "
    "WHERE s.seat_id = NEW.seat_id AND s.known_until IS NULL AND s.id IS NOT NEW.id "
    "AND s.start_on < COALESCE(NEW.end_on, '9999-12-31') "
    "AND NEW.start_on < COALESCE(s.end_on, '9999-12-31'));"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        op.execute(
            f"ALTER TABLE billing_spans ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
            "(seat_id WITH =, daterange(start_on, end_on) WITH &&) WHERE (known_until IS NULL)"
        )
    elif dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER billing_spans_no_overlap_insert BEFORE INSERT ON billing_spans "
            f"BEGIN {SQLITE_CHECK} END"
        )
        op.execute(
            "CREATE TRIGGER billing_spans_no_overlap_update "
            "BEFORE UPDATE OF known_until, start_on, end_on, seat_id ON billing_spans "
            f"BEGIN {SQLITE_CHECK} END"
        )
    else:
        raise RuntimeError(f"seatledger has no overlap guard for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"ALTER TABLE billing_spans DROP CONSTRAINT IF EXISTS {CONSTRAINT}")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS billing_spans_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS billing_spans_no_overlap_update")
