"""The storage schema, as SQLAlchemy Core tables.

``seat_facts`` is the ledger: append-only, never updated, never deleted.
``billing_spans`` is a derived, rebuildable projection of it: one row per
``BillingSpan`` of a seat's timeline, valid in knowledge time over
``[known_from, known_until)``. It is the only table whose rows are ever
updated, and only their ``known_until``, which is set once, when a later
append changes the seat's timeline. ``ledger_head`` (one row) is the
serialisation point of writers; ``organisations`` and ``admins`` hold the
rest of the state.

Instants are stored as BIGINT microseconds since the Unix epoch (UTC), so
they are exact and sort the same way on every database; dates are DATE.
The Alembic migrations in ``migrations/versions`` create exactly this
schema (an integration test compares them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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
    Index("ix_seat_facts_request", "request"),
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
