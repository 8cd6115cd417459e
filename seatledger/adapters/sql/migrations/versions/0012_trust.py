"""Trust: operators' passphrase hashes, TRUNCATE refused, the projection's rows kept honest.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

Written by hand and frozen like the others (plain strings, no import of the
domain).

* ``operators.credential_hash``: the self-describing scrypt hash of an
  operator's passphrase (NULL: registered without one), so an operator can
  prove who they are (decision 0029).
* On PostgreSQL the append-only triggers are row-level, and TRUNCATE fires
  no row trigger: statement-level ``BEFORE TRUNCATE`` triggers, calling
  migration 0002's ``seatledger_refuse_change``, refuse it on every
  append-only table and on ``billing_spans`` (SQLite has no TRUNCATE).
* ``billing_spans`` is the projection the billing run reads. A span is
  written once and only ever closed (``known_until`` set, once): an UPDATE
  that changes any other column, or re-opens or re-closes a span, is
  refused on SQLite and PostgreSQL (decision 0030). Deleting rows is still
  how ``rebuild_projection`` replaces it; ``invoice verify`` rebuilds what it
  checks from the facts, not from this table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = "seatledger_refuse_change"  # created by migration 0002
GUARDED = (
    "seat_facts",
    "contract_versions",
    "usage_records",
    "invoices",
    "invoice_evidence_seats",
    "idempotency_keys",
    "operators",
    "audit_log",
    "usage_supersessions",
    "organisation_zones",
    "billing_spans",
)
SPAN_COLUMNS = (
    "id",
    "seat_id",
    "org_id",
    "start_on",
    "end_on",
    "activated_on",
    "deactivated_on",
    "ended_by",
    "holder",
    "seat_kind",
    "addons",
    "known_from",
)
# True when an UPDATE of a span does more than close it once.
_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in SPAN_COLUMNS)
_PG_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in SPAN_COLUMNS)
SPAN_GUARD = "billing_spans_close_only"
PG_SPAN_FUNCTION = "seatledger_spans_close_only"


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild), so the append-only triggers stay in place.
    op.add_column("operators", sa.Column("credential_hash", sa.String(500), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            f"CREATE TRIGGER {SPAN_GUARD} BEFORE UPDATE ON billing_spans "
            f"WHEN {_CHANGED} OR OLD.known_until IS NOT NULL "
            "BEGIN SELECT RAISE(ABORT, 'seatledger: billing_spans rows are only closed'); END"
        )
    elif dialect == "postgresql":
        for table in GUARDED:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
            )
        op.execute(
            f"CREATE FUNCTION {PG_SPAN_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {_PG_CHANGED} OR OLD.known_until IS NOT NULL THEN "
            "RAISE EXCEPTION 'seatledger: billing_spans rows are only closed' "
            "USING ERRCODE = 'restrict_violation'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {SPAN_GUARD} BEFORE UPDATE ON billing_spans "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_SPAN_FUNCTION}()"
        )
    else:
        raise RuntimeError(f"seatledger has no append-only triggers for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {SPAN_GUARD}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {SPAN_GUARD} ON billing_spans")
        op.execute(f"DROP FUNCTION IF EXISTS {PG_SPAN_FUNCTION}()")
        for table in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_column("operators", "credential_hash")
