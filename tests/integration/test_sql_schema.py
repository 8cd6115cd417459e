"""The SQL adapter's engine and schema: pragmas, locks, migrations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from seatledger.adapters.sql import (
    SchemaNotCurrent,
    SqlUnitOfWork,
    head_revision,
    is_current,
    make_engine,
    schema_revision,
    upgrade,
)
from seatledger.adapters.sql.locks import ADVISORY_LOCK_CLASS
from seatledger.adapters.sql.tables import metadata
from seatledger.domain.identifiers import OrgId
from seatledger.domain.organisation import Organisation


def test_the_migrated_schema_is_exactly_the_tables_metadata(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_a_new_database_has_no_revision_until_it_is_upgraded(bare_engine: Engine) -> None:
    assert schema_revision(bare_engine) is None
    assert not is_current(bare_engine)
    upgrade(bare_engine)
    assert schema_revision(bare_engine) == head_revision() == "0017"
    assert is_current(bare_engine)


def test_upgrading_twice_changes_nothing(engine: Engine) -> None:
    with SqlUnitOfWork(engine).transaction(write=True) as ledger:
        ledger.add_organisation(
            Organisation(OrgId("acme"), "Acme"), datetime(2026, 1, 1, tzinfo=UTC)
        )
        ledger.conn.commit()
    upgrade(engine)
    assert is_current(engine)
    with SqlUnitOfWork(engine).transaction(write=False) as ledger:
        assert [o.id for o in ledger.list_organisations()] == ["acme"]


def test_a_database_without_the_schema_is_refused_with_a_clear_message(
    bare_engine: Engine,
) -> None:
    uow = SqlUnitOfWork(bare_engine)
    with pytest.raises(SchemaNotCurrent, match="no seatledger schema"):  # noqa: SIM117
        with uow.transaction(write=False) as ledger:
            ledger.head()


def test_a_downgraded_database_is_refused_naming_both_revisions(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(SchemaNotCurrent, match="revision 0000"):  # noqa: SIM117
        with SqlUnitOfWork(engine).transaction(write=False) as ledger:
            ledger.conn.execute(text("SELECT no_such_column FROM seat_facts"))


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(str(tmp_path / "bare-path.db"))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -64 * 1024
    engine.dispose()


def test_a_sqlite_write_transaction_holds_the_write_lock_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    uow = SqlUnitOfWork(engine)
    other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        with uow.transaction(write=True):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # Readers are not blocked by the writer (WAL).
            assert other.execute("SELECT last_seq FROM ledger_head").fetchone() == (0,)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_a_sqlite_read_transaction_does_not_take_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "read.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        with SqlUnitOfWork(engine).transaction(write=False) as ledger:
            ledger.head()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_the_foreign_keys_refuse_a_fact_for_an_unknown_organisation(engine: Engine) -> None:
    with (
        engine.connect() as conn,
        conn.begin(),
        pytest.raises(IntegrityError, match=r"(?i)foreign"),
    ):
        conn.execute(
            text(
                "INSERT INTO seat_facts (seq, seat_id, kind, effective_on, recorded_at, actor,"
                " org_id, addons) VALUES (1, 's', 'activated', '2026-01-01', 0, 'x', 'nobody',"
                " '[]')"
            )
        )


@pytest.mark.postgres
def test_a_postgresql_write_transaction_holds_its_schemas_advisory_lock(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    try:
        with SqlUnitOfWork(engine).transaction(write=True) as ledger:
            held = ledger.conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted"
                    " AND classid = :class_key AND objid = hashtext(current_schema())::oid"
                ),
                {"class_key": ADVISORY_LOCK_CLASS},
            ).scalar_one()
        assert held == 1
        assert "alembic_version" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _span(
    conn: Connection, seat: str, start: str, end: str | None, known_until: int | None
) -> None:
    conn.execute(
        text(
            "INSERT INTO billing_spans (seat_id, org_id, start_on, end_on, activated_on, "
            "holder, seat_kind, addons, known_from, known_until) VALUES (:seat, 'o', :start, "
            ":end, :start, 'h', 'regular', '[]', 1, :until)"
        ),
        {
            "seat": seat,
            "start": date.fromisoformat(start),
            "end": date.fromisoformat(end) if end else None,
            "until": known_until,
        },
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-01-15", "2026-02-01"), ("2025-12-01", None), ("2026-01-31", "2026-03-01")],
)
def test_the_database_refuses_overlapping_current_spans_of_one_seat(
    engine: Engine, start: str, end: str | None
) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations VALUES ('o', 'O', 'UTC', 'EUR', true, 0)"))
        _span(conn, "s1", "2026-01-01", "2026-02-01", None)
        # Adjacent (half-open), another seat, or no longer known: all allowed.
        _span(conn, "s1", "2026-02-01", None, None)
        _span(conn, "s2", "2026-01-01", None, None)
        _span(conn, "s1", "2026-01-10", None, 5)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _span(conn, "s1", start, end, None)
