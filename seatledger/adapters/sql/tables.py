"""The storage schema, as SQLAlchemy Core tables.

``seat_facts`` is the ledger: append-only, never updated, never deleted.
``billing_spans`` is a derived, rebuildable projection of it: one row per
``BillingSpan`` of a seat's timeline, valid in knowledge time over
``[known_from, known_until)``. It is the only table whose rows are ever
updated, and only their ``known_until``, which is set once, when a later
append changes the seat's timeline. ``ledger_head`` (one row) is the
serialisation point of writers; ``organisations`` and ``admins`` hold the
rest of the state.

Billing: ``contract_versions`` and ``usage_records`` are appended like
facts; ``invoices`` holds one row per issued invoice (its figures as
columns, the rest of the invoice as a JSON document) and
``invoice_evidence_seats`` the seats it counted, one row each. These five
tables and ``seat_facts`` are append-only: migration 0002 adds triggers that
make the database itself refuse an UPDATE or DELETE on them. So is
``idempotency_keys`` (migration 0005): each key with its command, the
fingerprint of its arguments and its first result; and so are
``usage_supersessions`` (corrections and retractions of usage) and
``organisation_zones`` (an organisation's later time zones), migration 0009.

Instants are stored as BIGINT microseconds since the Unix epoch (UTC), so
they are exact and sort the same way on every database; dates are DATE;
money is the exact decimal text (``117.00`` stays ``117.00``: its scale is
part of the invoice's content hash); periods are ``YYYY-MM`` text.
The Alembic migrations in ``migrations/versions`` create exactly this
schema (an integration test compares them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Constraint names are explicit so that migrations can name them portably.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def to_micros(instant: datetime) -> int:
    """An aware instant as whole microseconds since the epoch; naive datetimes are refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"refusing to store a naive datetime: {instant.isoformat()}")
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """Microseconds since the epoch as an aware UTC instant."""
    return EPOCH + timedelta(microseconds=value)


class UtcMicroseconds(TypeDecorator[datetime]):
    """An aware instant stored exactly as BIGINT microseconds since the epoch, UTC."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        return None if value is None else to_micros(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


def decimal_text(value: Decimal) -> str:
    """A decimal as exact text: ``Decimal(decimal_text(d))`` has d's value, sign and scale."""
    if not value.is_finite():
        raise ValueError(f"refusing to store a non-finite amount: {value}")
    return str(value)


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Decimal`` stored as its exact text on every database (SQLite has no decimal type)."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else decimal_text(value)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


@lru_cache(maxsize=4096)
def addons_text(addons: frozenset[str]) -> str:
    """Add-ons as JSON text, sorted, so equal sets are stored as equal strings."""
    return json.dumps(sorted(addons), separators=(",", ":"))


@lru_cache(maxsize=4096)
def addons_of(text: str) -> frozenset[str]:
    return frozenset(json.loads(text))


# Identifier, free-text and enum widths: ids are at most 64 characters, texts 500.
ID = 64
TEXT = 500
KIND = 32

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("name", String(TEXT), nullable=False),
    Column("timezone", String(TEXT), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("billing_relationship", Boolean(create_constraint=False), nullable=False),
    Column("created_at", UtcMicroseconds(), nullable=False),
)

# An organisation's later time zones, each from a date on (migration 0009, decision 0022).
# ``organisations.timezone`` stays the zone it was added with. Append-only.
organisation_zones = Table(
    "organisation_zones",
    metadata,
    Column("org_id", String(ID), ForeignKey("organisations.id"), primary_key=True),
    Column("from_on", Date, primary_key=True),
    Column("timezone", String(TEXT), nullable=False),
    Column("recorded_at", UtcMicroseconds(), nullable=False),
    Column("actor", String(TEXT), nullable=False),
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_recorded_at", UtcMicroseconds(), nullable=True),
    CheckConstraint("id = 1", name="single_row"),
)

seat_facts = Table(
    "seat_facts",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("seat_id", String(ID), nullable=False),
    Column("kind", String(KIND), nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("recorded_at", UtcMicroseconds(), nullable=False),
    Column("actor", String(TEXT), nullable=False),
    Column("reason", String(TEXT), nullable=True),
    Column("org_id", String(ID), ForeignKey("organisations.id"), nullable=True),
    Column("from_org_id", String(ID), ForeignKey("organisations.id"), nullable=True),
    Column("holder", String(TEXT), nullable=True),
    Column("seat_kind", String(KIND), nullable=True),
    Column("addons", Text, nullable=False),
    Column("supersedes", BigInteger, ForeignKey("seat_facts.seq"), nullable=True),
    Column("request", String(TEXT), nullable=True),
    Column("expires_on", Date, nullable=True),
    Index("ix_seat_facts_seat_id_seq", "seat_id", "seq"),
    # Partial (migration 0008, on PostgreSQL too): only transfer facts have a request.
    Index("ix_seat_facts_request", "request", sqlite_where=text("request IS NOT NULL")),
)

billing_spans = Table(
    "billing_spans",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("seat_id", String(ID), nullable=False),
    Column("org_id", String(ID), ForeignKey("organisations.id"), nullable=False),
    Column("start_on", Date, nullable=False),
    Column("end_on", Date, nullable=True),
    Column("activated_on", Date, nullable=False),
    Column("deactivated_on", Date, nullable=True),
    Column("ended_by", String(KIND), nullable=True),
    Column("holder", String(TEXT), nullable=False),
    Column("seat_kind", String(KIND), nullable=False),
    Column("addons", Text, nullable=False),
    Column("known_from", UtcMicroseconds(), nullable=False),
    Column("known_until", UtcMicroseconds(), nullable=True),
    Index("ix_billing_spans_org_id_start_on", "org_id", "start_on", "known_from", "known_until"),
    Index("ix_billing_spans_seat_id_known_until", "seat_id", "known_until"),
    # The spans known now, covering "billable on a date" as known now (migration 0007, which
    # makes it partial on PostgreSQL too: naming ``postgresql_where`` here would import the
    # PostgreSQL dialect into every SQLite process, and the schema is only built by migrations).
    Index(
        "ix_billing_spans_current",
        "org_id",
        "start_on",
        "end_on",
        "seat_id",
        "holder",
        "seat_kind",
        "activated_on",
        "deactivated_on",
        "addons",
        "known_until",
        sqlite_where=text("known_until IS NULL"),
    ),
)

admins = Table(
    "admins",
    metadata,
    Column("org_id", String(ID), ForeignKey("organisations.id"), primary_key=True),
    Column("id", String(TEXT), primary_key=True),
    Column("pin_hash", String(TEXT), nullable=False),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked", Boolean(create_constraint=False), nullable=False),
)

# --- billing ---------------------------------------------------------------------
PERIOD = 7  # YYYY-MM
INVOICE_ID = 128

contract_versions = Table(
    "contract_versions",
    metadata,
    Column("org_id", String(ID), ForeignKey("organisations.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("effective_from", String(PERIOD), nullable=False),
    Column("plan", String(ID), nullable=True),
    Column("cadence", String(KIND), nullable=False),
    Column("reference", String(TEXT), nullable=False),
    Column("year_start", String(5), nullable=True),
    Column("count_days_before", Integer, nullable=False),
    Column("licensed", Integer, nullable=True),
    Column("overage_price", ExactDecimal(), nullable=True),
    Column("vat_percent", ExactDecimal(), nullable=False),
    Column("trial_until", Date, nullable=True),
    Column("payment_method", String(KIND), nullable=False),
    Column("discount_code", String(ID), nullable=True),
    Column("recorded_at", UtcMicroseconds(), nullable=False),
    Column("actor", String(TEXT), nullable=False),
    # The contract's billing policies (``ContractPolicies``) not at their default, as JSON.
    Column("policies", Text, nullable=False, server_default="{}"),
)

usage_records = Table(
    "usage_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("org_id", String(ID), ForeignKey("organisations.id"), nullable=False),
    Column("kind", String(ID), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("used_on", Date, nullable=False),
    Column("recorded_at", UtcMicroseconds(), nullable=False),
    Column("actor", String(TEXT), nullable=False),
    Index("ix_usage_records_org_id_used_on", "org_id", "used_on"),
)

# Corrections and retractions of usage (migration 0009): each names the record it withdraws
# (at most once) and, for a correction, the record that replaces it. Append-only.
usage_supersessions = Table(
    "usage_supersessions",
    metadata,
    Column(
        "supersedes",
        BigInteger,
        ForeignKey("usage_records.seq"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("org_id", String(ID), ForeignKey("organisations.id"), nullable=False),
    Column("replaced_by", BigInteger, ForeignKey("usage_records.seq"), nullable=True),
    Column("reason", String(TEXT), nullable=False),
    Column("recorded_at", UtcMicroseconds(), nullable=False),
    Column("actor", String(TEXT), nullable=False),
    Index("ix_usage_supersessions_org_id_recorded_at", "org_id", "recorded_at"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", String(INVOICE_ID), primary_key=True),
    Column("org_id", String(ID), ForeignKey("organisations.id"), nullable=False),
    Column("period", String(PERIOD), nullable=False),
    Column("kind", String(KIND), nullable=False),
    Column("status", String(KIND), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("subtotal", ExactDecimal(), nullable=False),
    Column("vat_rate", ExactDecimal(), nullable=False),
    Column("vat", ExactDecimal(), nullable=False),
    Column("total", ExactDecimal(), nullable=False),
    Column("rounding", String(ID), nullable=False),
    Column("evidence_hash", String(64), nullable=False),
    Column("as_known_at", UtcMicroseconds(), nullable=True),
    Column("issued_at", UtcMicroseconds(), nullable=True),
    Column("document", Text, nullable=False),
    # The legal number (migration 0011, decision 0025): gapless per series and year. Null on
    # invoices issued before numbering.
    Column("number_series", String(ID), nullable=True),
    Column("number_year", Integer, nullable=True),
    Column("number_seq", Integer, nullable=True),
    Column("issue_date", Date, nullable=True),
    Column("due_date", Date, nullable=True),
    UniqueConstraint("org_id", "period", "kind"),
    Index("ix_invoices_period", "period"),
    # A unique index, not a constraint: SQLite adds it without rebuilding the table (and so
    # without dropping its append-only triggers).
    Index(
        "ux_invoices_number_series_number_year_number_seq",
        "number_series",
        "number_year",
        "number_seq",
        unique=True,
    ),
)

# The seller (one row, ``seller set``) and each organisation's details as a buyer
# (``org set``), migration 0011. Current settings: the audit trail keeps earlier values, and
# every issued document keeps the parties as they were.
seller = Table(
    "seller",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("legal_name", String(TEXT), nullable=False),
    Column("vat_id", String(ID), nullable=True),
    Column("address", String(TEXT), nullable=True),
    Column("city", String(TEXT), nullable=True),
    Column("postcode", String(ID), nullable=True),
    Column("country", String(2), nullable=True),
    Column("peppol_id", String(TEXT), nullable=True),
    Column("iban", String(ID), nullable=True),
    Column("invoice_series", String(ID), nullable=False),
    Column("payment_days", Integer, nullable=False),
    Column("recorded_at", UtcMicroseconds(), nullable=False),
)

organisation_parties = Table(
    "organisation_parties",
    metadata,
    Column("org_id", String(ID), ForeignKey("organisations.id"), primary_key=True),
    Column("legal_name", String(TEXT), nullable=True),
    Column("vat_id", String(ID), nullable=True),
    Column("address", String(TEXT), nullable=True),
    Column("city", String(TEXT), nullable=True),
    Column("postcode", String(ID), nullable=True),
    Column("country", String(2), nullable=True),
    Column("peppol_id", String(TEXT), nullable=True),
    Column("buyer_reference", String(TEXT), nullable=True),
    Column("sepa_mandate", String(TEXT), nullable=True),
    Column("recorded_at", UtcMicroseconds(), nullable=False),
)

invoice_evidence_seats = Table(
    "invoice_evidence_seats",
    metadata,
    Column("invoice_id", String(INVOICE_ID), ForeignKey("invoices.id"), primary_key=True),
    Column("seat_id", String(ID), primary_key=True),
    Column("billed_from", Date, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("holder", String(TEXT), nullable=False),
    Column("kind", String(KIND), nullable=False),
    Column("activated_on", Date, nullable=False),
    Column("deactivated_on", Date, nullable=True),
    Column("paying_org", String(ID), nullable=False),
    Column("billed_until", Date, nullable=True),
    Column("addons", Text, nullable=False),
)

# One seal per issued document (or checkpoint), chained by hash and signed (migration 0016).
invoice_seals = Table(
    "invoice_seals",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("invoice_id", String(INVOICE_ID), nullable=True),
    Column("content_hash", String(64), nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("key_id", String(64), nullable=True),
    Column("signature", String(200), nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("command", String(100), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # SHA-256 hex of the arguments
    Column("result", Text, nullable=False),  # the first result, as JSON
    Column("recorded_at", UtcMicroseconds(), nullable=False),
)

# The tables the database refuses to UPDATE or DELETE (triggers of migrations 0002 and 0005).
APPEND_ONLY = (
    "seat_facts",
    "contract_versions",
    "usage_records",
    "invoices",
    "invoice_evidence_seats",
    "idempotency_keys",
)

contacts = Table(
    "contacts",
    metadata,
    Column("org_id", String(ID), ForeignKey("organisations.id"), primary_key=True),
    Column("emails", Text, nullable=False),  # a JSON list
    Column("webhook_url", String(2000), nullable=True),
    # The shared HMAC secret, encrypted (decision 0040): decrypted only to sign with.
    Column("webhook_secret", Text, nullable=True),
    # The secret a rotation replaced, encrypted the same way: still signed with until the next
    # change (migration 0014).
    Column("previous_webhook_secret", String(TEXT), nullable=True),
    # When the receiver answered 410 Gone (migration 0014): no webhook until set again.
    Column("webhook_disabled_at", UtcMicroseconds(), nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("message_id", String(200), primary_key=True),
    Column("kind", String(KIND), nullable=False),
    Column("org_id", String(ID), ForeignKey("organisations.id"), nullable=False),
    Column("subject", String(1000), nullable=False),
    Column("body", Text, nullable=False),
    Column("data", Text, nullable=False),  # the message's JSON data
    Column("created_at", UtcMicroseconds(), nullable=False),
    Column("enqueued_at", UtcMicroseconds(), nullable=False),
    Column("next_attempt_at", UtcMicroseconds(), nullable=False),
    Column("status", String(KIND), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("delivered_channels", String(200), nullable=False),  # comma-separated
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UtcMicroseconds(), nullable=True),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# --- authorisation and the audit trail (migration 0006) ------------------------------

operators = Table(
    "operators",
    metadata,
    Column("name", String(TEXT), primary_key=True),
    Column("added_at", UtcMicroseconds(), nullable=False),
    Column("added_by", String(TEXT), nullable=False),
    # The passphrase's scrypt hash (migration 0012; NULL: registered without one).
    Column("credential_hash", String(TEXT), nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("recorded_at", UtcMicroseconds(), nullable=False),
    Column("actor", String(TEXT), nullable=False),
    Column("role", String(KIND), nullable=False),
    Column("action", String(KIND), nullable=False),
    Column("org_id", String(ID), nullable=True),
    Column("other_org_id", String(ID), nullable=True),
    Column("seat_id", String(ID), nullable=True),
    Column("subject", String(TEXT), nullable=True),
    Column("summary", String(TEXT), nullable=False),
    Index("ix_audit_log_org_id_seq", "org_id", "seq"),
    # Partial (migration 0008, on PostgreSQL too): only transfers involve a second organisation.
    Index(
        "ix_audit_log_other_org_id_seq",
        "other_org_id",
        "seq",
        sqlite_where=text("other_org_id IS NOT NULL"),
    ),
    Index("ix_audit_log_seat_id_seq", "seat_id", "seq"),
)

# Appended only, like APPEND_ONLY (triggers of migration 0006).
APPEND_ONLY_AUDIT = ("operators", "audit_log")

# Appended only, like APPEND_ONLY (triggers of migration 0009).
APPEND_ONLY_CONTROLS = ("usage_supersessions", "organisation_zones")

# --- the HTTP API's keys (migration 0014) ------------------------------------------------

api_keys = Table(
    "api_keys",
    metadata,
    Column("name", String(ID), primary_key=True),
    Column("org_id", String(ID), ForeignKey("organisations.id"), nullable=True),
    # SHA-256 (hex) of the key; the key itself is never stored.
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", UtcMicroseconds(), nullable=False),
    Column("created_by", String(TEXT), nullable=False),
    Column("revoked_at", UtcMicroseconds(), nullable=True),
)
