"""The write lock: writers take it first, so the ledger head is read and advanced atomically.

On SQLite the lock is ``BEGIN IMMEDIATE`` (see ``engine``); on PostgreSQL it
is a transaction-scoped advisory lock on one constant key, released at
commit or rollback.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

# "seatledger" as a 63-bit key; any constant works, as long as all writers share it.
ADVISORY_LOCK_KEY = 0x5EA7_1ED6_E500_0001


def take_write_lock(conn: Connection) -> None:
    """Block until this transaction holds the store's write lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    # SQLite: the connection began with BEGIN IMMEDIATE, which holds the lock already.
