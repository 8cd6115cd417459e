"""The SQL storage adapter: SQLite (embedded default) or PostgreSQL, via SQLAlchemy 2 Core.

``make_engine(url)`` makes a tuned engine, ``upgrade(engine)`` brings the
schema to the newest Alembic revision, and ``SqlUnitOfWork(engine)``
implements the ``UnitOfWork`` port, yielding ``SqlLedger`` repositories.
"""

from seatledger.adapters.sql.engine import make_engine
from seatledger.adapters.sql.migrate import (
    SchemaNotCurrent,
    head_revision,
    is_current,
    require_current,
    schema_revision,
    upgrade,
)
from seatledger.adapters.sql.repository import CorruptHistory, SqlLedger
from seatledger.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "CorruptHistory",
    "SchemaNotCurrent",
    "SqlLedger",
    "SqlUnitOfWork",
    "head_revision",
    "is_current",
    "make_engine",
    "require_current",
    "schema_revision",
    "upgrade",
]
