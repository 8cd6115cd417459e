"""The write lock: writers take it first, so the ledger head is read and advanced atomically.

On SQLite the lock is ``BEGIN IMMEDIATE`` (see ``engine``); on PostgreSQL it
is a transaction-scoped advisory lock, released at commit or rollback. Its
key is seatledger's own class key plus a hash of the schema the ledger
lives in, so two ledgers in two schemas of one database (or two tests) never
wait for each other, while all writers of one ledger share one lock.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

# "seatledger" as a 31-bit class key for the two-key form of advisory locks.
ADVISORY_LOCK_CLASS = 0x5EA71ED6


def take_write_lock(conn: Connection) -> None:
    """Block until this transaction holds the write lock of the ledger it works on."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:class_key, hashtext(current_schema()))"),
            {"class_key": ADVISORY_LOCK_CLASS},
        )
    # SQLite: the connection began with BEGIN IMMEDIATE, which holds the lock already.
