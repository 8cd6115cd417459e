"""Invoice documents: legal numbers and dates on invoices; the seller and the buyers' details.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Written by hand. ``invoices`` gains its legal number (series, year, sequence,
unique together) and its issue and due dates, all null on the invoices issued
before (decision 0025). Plain ADD COLUMN and CREATE UNIQUE INDEX, no table
rebuild, so the append-only triggers stay in place. ``seller`` holds the
vendor's details (one row) and ``organisation_parties`` each organisation's
details as a buyer.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("number_series", sa.String(64), nullable=True))
    op.add_column("invoices", sa.Column("number_year", sa.Integer(), nullable=True))
    op.add_column("invoices", sa.Column("number_seq", sa.Integer(), nullable=True))
    op.add_column("invoices", sa.Column("issue_date", sa.Date(), nullable=True))
    op.add_column("invoices", sa.Column("due_date", sa.Date(), nullable=True))
    op.create_index(
        "ux_invoices_number_series_number_year_number_seq",
        "invoices",
        ["number_series", "number_year", "number_seq"],
        unique=True,
    )
    op.create_table(
        "seller",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("legal_name", sa.String(500), nullable=False),
        *_party_columns(),
        sa.Column("iban", sa.String(64), nullable=True),
        sa.Column("invoice_series", sa.String(64), nullable=False),
        sa.Column("payment_days", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_seller"),
    )
    op.create_table(
        "organisation_parties",
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("legal_name", sa.String(500), nullable=True),
        *_party_columns(),
        sa.Column("buyer_reference", sa.String(500), nullable=True),
        sa.Column("sepa_mandate", sa.String(500), nullable=True),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name="fk_organisation_parties_org_id_organisations",
        ),
        sa.PrimaryKeyConstraint("org_id", name="pk_organisation_parties"),
    )


def _party_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("vat_id", sa.String(64), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("city", sa.String(500), nullable=True),
        sa.Column("postcode", sa.String(64), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("peppol_id", sa.String(500), nullable=True),
    ]


def downgrade() -> None:
    op.drop_table("organisation_parties")
    op.drop_table("seller")
    op.drop_index("ux_invoices_number_series_number_year_number_seq", table_name="invoices")
    for column in ("due_date", "issue_date", "number_seq", "number_year", "number_series"):
        op.drop_column("invoices", column)
