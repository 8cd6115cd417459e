"""Billing: contract versions, usage records, invoices and their evidence; append-only triggers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Written by hand, frozen like 0001 (money is plain VARCHAR(64) exact decimal
text here, the ``ExactDecimal`` type in ``tables``; instants BIGINT
microseconds). Besides the four new tables it makes the database refuse
any UPDATE or DELETE on the append-only tables: ``seat_facts`` (from 0001),
``contract_versions``, ``usage_records``, ``invoices`` and
``invoice_evidence_seats``. ``billing_spans`` (a rebuildable projection),
``ledger_head``, ``organisations`` and ``admins`` stay writable.

On SQLite the refusal is a ``BEFORE UPDATE``/``BEFORE DELETE`` trigger per
table that ``RAISE(ABORT, ...)``s, which the driver reports as an
IntegrityError; on PostgreSQL one plpgsql function raises SQLSTATE 23001
(restrict_violation, also an IntegrityError) from row triggers on each table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = (
    "seat_facts",
    "contract_versions",
    "usage_records",
    "invoices",
    "invoice_evidence_seats",
)
PG_FUNCTION = "seatledger_refuse_change"


def money() -> sa.String:
    return sa.String(64)


def upgrade() -> None:
    op.create_table(
        "contract_versions",
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("effective_from", sa.String(7), nullable=False),
        sa.Column("plan", sa.String(64), nullable=True),
        sa.Column("cadence", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(500), nullable=False),
        sa.Column("year_start", sa.String(5), nullable=True),
        sa.Column("count_days_before", sa.Integer(), nullable=False),
        sa.Column("licensed", sa.Integer(), nullable=True),
        sa.Column("overage_price", money(), nullable=True),
        sa.Column("vat_percent", money(), nullable=False),
        sa.Column("trial_until", sa.Date(), nullable=True),
        sa.Column("payment_method", sa.String(32), nullable=False),
        sa.Column("discount_code", sa.String(64), nullable=True),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_contract_versions_org_id_organisations"
        ),
        sa.PrimaryKeyConstraint("org_id", "version", name="pk_contract_versions"),
    )
    op.create_table(
        "usage_records",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_usage_records_org_id_organisations"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_usage_records"),
    )
    op.create_index("ix_usage_records_org_id_used_on", "usage_records", ["org_id", "used_on"])
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("subtotal", money(), nullable=False),
        sa.Column("vat_rate", money(), nullable=False),
        sa.Column("vat", money(), nullable=False),
        sa.Column("total", money(), nullable=False),
        sa.Column("rounding", sa.String(64), nullable=False),
        sa.Column("evidence_hash", sa.String(64), nullable=False),
        sa.Column("as_known_at", sa.BigInteger(), nullable=True),
        sa.Column("issued_at", sa.BigInteger(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name="fk_invoices_org_id_organisations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("org_id", "period", "kind", name="uq_invoices_org_id_period_kind"),
    )
    op.create_index("ix_invoices_period", "invoices", ["period"])
    op.create_table(
        "invoice_evidence_seats",
        sa.Column("invoice_id", sa.String(128), nullable=False),
        sa.Column("seat_id", sa.String(64), nullable=False),
        sa.Column("billed_from", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("activated_on", sa.Date(), nullable=False),
        sa.Column("deactivated_on", sa.Date(), nullable=True),
        sa.Column("paying_org", sa.String(64), nullable=False),
        sa.Column("billed_until", sa.Date(), nullable=True),
        sa.Column("addons", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name="fk_invoice_evidence_seats_invoice_id_invoices"
        ),
        sa.PrimaryKeyConstraint(
            "invoice_id", "seat_id", "billed_from", name="pk_invoice_evidence_seats"
        ),
    )
    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'seatledger: {table} is append-only'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'seatledger: % is append-only (% refused)', "
            "TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation'; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
            )
    else:
        raise RuntimeError(f"seatledger has no append-only triggers for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    if dialect == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    op.drop_table("invoice_evidence_seats")
    op.drop_index("ix_invoices_period", table_name="invoices")
    op.drop_table("invoices")
    op.drop_index("ix_usage_records_org_id_used_on", table_name="usage_records")
    op.drop_table("usage_records")
    op.drop_table("contract_versions")
