"""Transactions on a SQL database: the ``UnitOfWork`` port.

A write transaction holds the store's write lock from its first statement
(``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so the
ledger head is read and advanced by one writer at a time. A read
transaction sees one consistent snapshot (a deferred ``BEGIN`` in WAL mode
on SQLite, ``REPEATABLE READ READ ONLY`` on PostgreSQL). Nothing is kept
unless ``commit`` is called inside the ``with`` block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from seatledger.adapters.sql.engine import WRITE_OPTION
from seatledger.adapters.sql.locks import take_write_lock
from seatledger.adapters.sql.migrate import require_current
from seatledger.adapters.sql.repository import SqlLedger


class SqlUnitOfWork:
    """One transaction at a time on an engine (made by ``make_engine``).

    Not shared between threads: give each thread its own unit of work (they
    may share the engine, whose pool hands each its own connection).
    Transactions do not nest; opening one inside another is a bug and raises.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._write = False
        self.commits = 0

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[SqlLedger]:
        if self._conn is not None:
            raise RuntimeError("a transaction is already open on this unit of work")
        conn = self.engine.connect()
        try:
            if write:
                conn.execution_options(**{WRITE_OPTION: True})
            elif conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            conn.begin()
            if write:
                take_write_lock(conn)
            self._conn, self._write = conn, write
            try:
                yield SqlLedger(conn)
            except DBAPIError:
                # A missing or outdated schema is an operator's mistake: say so clearly.
                conn.rollback()
                require_current(self.engine)
                raise
        finally:
            self._conn, self._write = None, False
            try:
                if conn.in_transaction():
                    conn.rollback()
            finally:
                conn.close()

    def commit(self) -> None:
        if self._conn is None or not self._write:
            raise RuntimeError("commit outside a write transaction")
        self._conn.commit()
        self.commits += 1
