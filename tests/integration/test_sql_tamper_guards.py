"""The database itself refuses TRUNCATE of history and edits of the projection (migration 0012)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from test_sql_billing import filled

from seatledger.adapters.sql import make_engine, upgrade

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


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize(
    "change",
    [
        "org_id = 'nowhere'",
        "seat_kind = 'student'",
        "holder = 'someone else'",
        "known_from = known_from + 1",
    ],
)
def test_a_span_may_not_be_rewritten(engine: Engine, change: str) -> None:
    filled(engine)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT * FROM billing_spans ORDER BY id")).all()
    with (
        engine.connect() as conn,
        conn.begin(),
        pytest.raises(IntegrityError, match="billing_spans rows are only closed"),
    ):
        conn.execute(text(f"UPDATE billing_spans SET {change}"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM billing_spans ORDER BY id")).all() == before


def test_a_span_is_closed_once_and_never_reopened(engine: Engine) -> None:
    filled(engine)
    with engine.connect() as conn, conn.begin():
        conn.execute(text("UPDATE billing_spans SET known_until = known_from + 1"))
    for again in ("known_until = known_until + 1", "known_until = NULL"):
        with (
            engine.connect() as conn,
            conn.begin(),
            pytest.raises(IntegrityError, match="billing_spans rows are only closed"),
        ):
            conn.execute(text(f"UPDATE billing_spans SET {again}"))


@pytest.mark.postgres
@pytest.mark.parametrize("table", GUARDED)
def test_truncate_is_refused_on_postgresql(postgres_engine: Engine, table: str) -> None:
    filled(postgres_engine)
    rows = count(postgres_engine, table)
    with (
        postgres_engine.connect() as conn,
        conn.begin(),
        pytest.raises(IntegrityError, match=f"{table} is append-only \\(TRUNCATE refused\\)"),
    ):
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert count(postgres_engine, table) == rows
