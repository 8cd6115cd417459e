"""Transactions on a SQL database: the ``UnitOfWork`` port.

A write transaction holds the store's write lock from its first statement
(``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so the
ledger head is read and advanced by one writer at a time. A read
transaction sees one consistent snapshot (a deferred ``BEGIN`` in WAL mode
on SQLite, ``REPEATABLE READ READ ONLY`` on PostgreSQL). Nothing is kept
unless ``commit`` is called inside the ``with`` block.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from seatledger.adapters.secret_box import SecretBox, key_for
from seatledger.adapters.sql.engine import WRITE_OPTION
from seatledger.adapters.sql.locks import take_write_lock
from seatledger.adapters.sql.migrate import require_current
from seatledger.adapters.sql.repository import SqlLedger
from seatledger.adapters.store_errors import StoreBusy

BEGIN_ATTEMPTS = 3


class SqlUnitOfWork:
    """One transaction at a time on an engine (made by ``make_engine``).

    Not shared between threads: give each thread its own unit of work (they
    may share the engine, whose pool hands each its own connection).
    Transactions do not nest; opening one inside another is a bug and raises.
    """

    def __init__(self, engine: Engine, secrets: SecretBox | None = None) -> None:
        self.engine = engine
        # The key of webhook secrets (decision 0040); not given: the ledger's own key file.
        self.secrets = (
            secrets
            if secrets is not None
            else key_for(engine.url.render_as_string(hide_password=False), os.environ)
        )
        self._conn: Connection | None = None
        self._ledger: SqlLedger | None = None
        self._write = False
        self.commits = 0

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[SqlLedger]:
        if self._conn is not None:
            raise RuntimeError("a transaction is already open on this unit of work")
        conn = self._begin(write)
        try:
            self._conn, self._write = conn, write
            self._ledger = SqlLedger(conn, self.secrets)
            try:
                yield self._ledger
            except DBAPIError:
                # A missing or outdated schema is an operator's mistake: say so clearly.
                conn.rollback()
                require_current(self.engine)
                raise
        finally:
            self._conn, self._write, self._ledger = None, False, None
            try:
                if conn.in_transaction():
                    conn.rollback()
            finally:
                conn.close()

    def _begin(self, write: bool) -> Connection:
        """A connection in a new transaction, holding the write lock for a write.

        SQLite waits up to its busy timeout for another writer; if the lock is
        still held, the attempt is repeated a bounded number of times, then
        ``StoreBusy`` says so instead of a driver error.
        """
        for attempt in range(1, BEGIN_ATTEMPTS + 1):
            conn = self.engine.connect()
            try:
                if write:
                    conn.execution_options(**{WRITE_OPTION: True})
                elif conn.dialect.name == "postgresql":
                    conn.execution_options(
                        isolation_level="REPEATABLE READ", postgresql_readonly=True
                    )
                conn.begin()
                if write:
                    take_write_lock(conn)
                return conn
            except OperationalError as exc:
                conn.close()
                if "database is locked" not in str(exc.orig):
                    raise
                if attempt == BEGIN_ATTEMPTS:
                    raise StoreBusy(BEGIN_ATTEMPTS) from exc
        raise AssertionError("unreachable")

    def commit(self) -> None:
        if self._conn is None or not self._write:
            raise RuntimeError("commit outside a write transaction")
        if self._ledger is not None:
            self._ledger.flush()  # what a billing batch held back
        self._conn.commit()
        self.commits += 1
