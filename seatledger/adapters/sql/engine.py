"""Engines: SQLite tuned for one embedded writer at a time, or PostgreSQL.

SQLite connections run in WAL mode with foreign keys on, a busy timeout and
a page cache of up to ``CACHE_MIB`` MiB (allocated only as pages are used).
pysqlite's own transaction handling is switched off (the SQLAlchemy
"serializable isolation / savepoints" recipe) and the ``begin`` event emits
the BEGIN itself: ``BEGIN IMMEDIATE`` for a connection carrying the
``seatledger_write`` execution option, so a writer takes the database's
write lock before it reads the ledger head, and a deferred ``BEGIN`` for
readers, who then see one snapshot.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL, Connection

# The execution option that marks a write transaction (see ``begin_write``).
WRITE_OPTION = "seatledger_write"
BUSY_TIMEOUT_SECONDS = 10.0
# SQLite's page cache per connection (its default is 2 MiB). A bulk import adds
# index entries all over ``billing_spans``' three indexes: with the default cache
# the transaction keeps spilling dirty pages to the WAL and reading them back,
# which made inserting 100,000 spans take about twice as long.
CACHE_MIB = 64


def parse_url(url: str) -> URL:
    """A URL as given, or a bare file path made into ``sqlite:///path``."""
    if "://" in url:
        return make_url(url)
    return URL.create("sqlite", database=url)


def make_engine(url: str) -> Engine:
    """An engine for a database URL (or a bare SQLite file path)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed)


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy (the "begin" event below) emit BEGIN, not pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute(f"PRAGMA cache_size=-{CACHE_MIB * 1024}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
