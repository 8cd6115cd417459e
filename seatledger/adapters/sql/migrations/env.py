"""Alembic environment: migrations run on a connection handed in by ``migrate.upgrade``.

Run from the command line (``alembic -x url=...``) it makes its own engine
with ``seatledger.adapters.sql.make_engine``, so SQLite gets the same
pragmas and write lock as the application.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from seatledger.adapters.sql.engine import WRITE_OPTION, make_engine
from seatledger.adapters.sql.tables import metadata

config = context.config
target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn.execution_options(**{WRITE_OPTION: True}))
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("seatledger migrations run online only")
run_migrations_online()
