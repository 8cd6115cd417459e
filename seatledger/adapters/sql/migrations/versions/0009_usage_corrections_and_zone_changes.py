"""Corrections and retractions of usage; an organisation's later time zones.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Written by hand. Two new tables, both append-only by the triggers of
migrations 0002 and 0005 (``BEFORE UPDATE``/``BEFORE DELETE`` triggers that
``RAISE(ABORT, ...)`` on SQLite; on PostgreSQL row triggers calling 0002's
``seatledger_refuse_change``):

* ``usage_supersessions``: a correction or retraction of a usage record. The
  record it withdraws is its key (a record is withdrawn at most once); a
  correction names the new record that replaces it. ``usage_records`` is
  left as it was: a usage record's fields are part of the evidence of the
  invoices that billed it.
* ``organisation_zones``: a time zone an organisation has from a date on
  (decision 0022). ``organisations.timezone`` keeps the zone it was added
  with.

No existing row changes, so the upgrade is the same on an empty database
and on one with history.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("usage_supersessions", "organisation_zones")
PG_FUNCTION = "seatledger_refuse_change"  # created by migration 0002


def upgrade() -> None:
    op.create_table(
        "usage_supersessions",
        sa.Column("supersedes", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("replaced_by", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["supersedes"],
            ["usage_records.seq"],
            name="fk_usage_supersessions_supersedes_usage_records",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_usage_supersessions_org_id_organisations"
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by"],
            ["usage_records.seq"],
            name="fk_usage_supersessions_replaced_by_usage_records",
        ),
        sa.PrimaryKeyConstraint("supersedes", name="pk_usage_supersessions"),
    )
    op.create_index(
        "ix_usage_supersessions_org_id_recorded_at",
        "usage_supersessions",
        ["org_id", "recorded_at"],
    )
    op.create_table(
        "organisation_zones",
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("from_on", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(500), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_organisation_zones_org_id_organisations"
        ),
        sa.PrimaryKeyConstraint("org_id", "from_on", name="pk_organisation_zones"),
    )
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "sqlite":
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'seatledger: {table} is append-only'); END"
                )
        elif dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
            )
        else:
            raise RuntimeError(f"seatledger has no append-only triggers for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "sqlite":
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.drop_index("ix_usage_supersessions_org_id_recorded_at", table_name="usage_supersessions")
    op.drop_table("organisation_zones")
    op.drop_table("usage_supersessions")
