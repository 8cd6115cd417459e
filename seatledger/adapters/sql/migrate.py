"""Schema migrations, run in code: no ``alembic.ini`` is needed at run time.

``upgrade`` takes the write lock (``BEGIN IMMEDIATE`` on SQLite, an
advisory lock on PostgreSQL) and runs every migration in one transaction,
so two processes upgrading at once do it one after the other, and a
failed migration leaves the database as it was.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from seatledger.adapters.sql.engine import WRITE_OPTION
from seatledger.adapters.sql.locks import take_write_lock

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SchemaNotCurrent(RuntimeError):
    """The database has no seatledger schema, or an older one: run ``seatledger init``."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest revision this version of seatledger knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (does nothing if it is there already)."""
    config = alembic_config()
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            take_write_lock(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no seatledger schema)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(engine: Engine) -> bool:
    """True if the database is at the newest revision this seatledger knows."""
    return schema_revision(engine) == head_revision()


def require_current(engine: Engine) -> None:
    """Raise ``SchemaNotCurrent`` with a clear message unless the schema is up to date."""
    found = schema_revision(engine)
    wanted = head_revision()
    if found == wanted:
        return
    where = engine.url.render_as_string(hide_password=True)
    if found is None:
        tables = set(inspect(engine).get_table_names())
        extra = f" (it has tables: {', '.join(sorted(tables))})" if tables else ""
        raise SchemaNotCurrent(
            f"the database {where} has no seatledger schema{extra}: run `seatledger init`"
        )
    raise SchemaNotCurrent(
        f"the database {where} is at schema revision {found}, this seatledger needs {wanted}: "
        "run `seatledger init` to upgrade it"
    )
