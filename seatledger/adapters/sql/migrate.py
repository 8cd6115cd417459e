"""Schema migrations, run in code: no ``alembic.ini`` is needed at run time.

``upgrade`` takes the write lock (``BEGIN IMMEDIATE`` on SQLite, an
advisory lock on PostgreSQL) and runs every migration in one transaction,
so two processes upgrading at once do it one after the other, and a
failed migration leaves the database as it was.

Alembic is imported only inside the functions that migrate: every command
line call checks the schema revision, and importing Alembic (with its
PostgreSQL dialect support) would cost about a third of a second each
time. The revision is read with a plain ``SELECT`` from Alembic's own
``alembic_version`` table, and the newest revision is the constant
``HEAD_REVISION``, which a test checks against the migration scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from seatledger.adapters.sql.engine import WRITE_OPTION
from seatledger.adapters.sql.locks import take_write_lock

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# The newest revision in migrations/versions; a new migration must update it (a test checks).
HEAD_REVISION = "0017"
# The one-key advisory lock every upgrade of a PostgreSQL database holds (one-key and
# two-key advisory locks never collide); its value spells "seatledger init".
MIGRATION_LOCK_KEY = 0x5EA71ED6E21217
VERSION_TABLE = "alembic_version"


class SchemaNotCurrent(RuntimeError):
    """The database has no seatledger schema, or an older one: run ``seatledger init``."""


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision this version of seatledger knows."""
    return HEAD_REVISION


def scripts_head_revision() -> str | None:
    """The newest revision according to the migration scripts themselves (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest revision (does nothing if it is there already).

    ``revision`` names an older target, for tests of the migrations themselves.
    """
    from alembic import command

    config = alembic_config()
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                # Extensions are per database, not per schema: two upgrades of different
                # schemas of one database would race on CREATE EXTENSION (migration 0004).
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            take_write_lock(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no seatledger schema)."""
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, VERSION_TABLE):
            return None
        found = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(found) > 1:
        raise SchemaNotCurrent(f"the database is at several revisions at once: {sorted(found)}")
    return str(found[0]) if found else None


def is_current(engine: Engine) -> bool:
    """True if the database is at the newest revision this seatledger knows."""
    return schema_revision(engine) == HEAD_REVISION


def require_current(engine: Engine) -> None:
    """Raise ``SchemaNotCurrent`` with a clear message unless the schema is up to date."""
    found = schema_revision(engine)
    wanted = HEAD_REVISION
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
