"""CI's last step: real ledgers, every invoice verified, before and after the migrations.

For SQLite (a temporary file) and, when ``SEATLEDGER_TEST_POSTGRES_URL`` is
set, PostgreSQL (a fresh schema, dropped afterwards), this script

1. runs the demo through the command line on an empty database (every
   migration from nothing to the head), then ``invoice verify --all``;
2. downgrades the ledger to ``FROM_REVISION`` (the last revision before
   idempotency keys and the audit trail), upgrades it again with
   ``seatledger init`` (the back-fill of the audit trail runs on real
   history), and runs ``invoice verify --all`` once more, and checks that
   the trail was back-filled.

Any difference, refusal or traceback fails the step (exit 1).

Usage: python scripts/verify_ledgers.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from seatledger.adapters.sql.engine import make_engine
from seatledger.adapters.sql.migrate import alembic_config, head_revision, schema_revision

FROM_REVISION = "0004"
POSTGRES_ENV = "SEATLEDGER_TEST_POSTGRES_URL"


def seatledger(url: str, *args: str) -> str:
    """Run the real command line; its stdout, or exit 1 with what it said."""
    argv = [str(Path(sys.executable).parent / "seatledger"), "--db", url, *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0 or "Traceback" in done.stderr:
        print(f"FAILED: seatledger {' '.join(args)} (exit {done.returncode})", file=sys.stderr)
        print(done.stderr[-4000:], file=sys.stderr)
        sys.exit(1)
    return done.stdout


def verify_all(url: str, when: str) -> int:
    report = json.loads(seatledger(url, "--json", "invoice", "verify", "--all"))
    if report["failed"] or report["verified"] == 0:
        print(f"FAILED {when}: {report}", file=sys.stderr)
        sys.exit(1)
    print(f"  {when}: all {report['verified']} invoices verified")
    return int(report["verified"])


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    engine = make_engine(url)
    try:
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
        found = schema_revision(engine)
    finally:
        engine.dispose()
    if found != revision:
        print(f"FAILED: downgrade left revision {found}, not {revision}", file=sys.stderr)
        sys.exit(1)


def check(url: str, name: str) -> None:
    print(f"== {name}: the demo on a new ledger (migrations 0001 to {head_revision()})")
    seatledger(url, "init")
    seatledger(url, "demo")
    before = verify_all(url, "after the demo")
    print(f"== {name}: down to {FROM_REVISION}, then 'seatledger init' up to {head_revision()}")
    downgrade(url, FROM_REVISION)
    seatledger(url, "init")
    after = verify_all(url, "after the migrations")
    if after != before:
        print(f"FAILED: {before} invoices before the migrations, {after} after", file=sys.stderr)
        sys.exit(1)
    trail = json.loads(seatledger(url, "--json", "audit"))
    entries = trail["entries"] if isinstance(trail, dict) else trail
    if not entries:
        print("FAILED: the audit trail was not back-filled", file=sys.stderr)
        sys.exit(1)
    print(f"  the audit trail holds {len(entries)} back-filled entries")


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    schema = f"ci_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        check(f"sqlite:///{Path(folder) / 'ledger.db'}", "SQLite")
    base = os.environ.get(POSTGRES_ENV)
    if base:
        with postgres_schema(base) as url:
            check(url, "PostgreSQL")
    else:
        print(f"== PostgreSQL skipped: {POSTGRES_ENV} is not set")


if __name__ == "__main__":
    main()
