"""Only the benchmark's (a) import phase, on a fresh scratch database (no generated data).

    python benchmarks/import_only.py [SEATS] [SCRATCH_FILE | POSTGRESQL_URL] [SCHEMA]

Runs ``run.bench_import`` (``SqlLedger.append``, the ``import_seats`` use case
and the raw ``executemany`` baseline, each on SEATS new seats, default
100,000) and prints its figures as JSON. Run it from the repository root.
The target is a SQLite file (default /tmp/imp/import-scratch.db, deleted
first) or a PostgreSQL URL, used in SCHEMA (default ``import_only``),
dropped before and after.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run

from seatledger.adapters.sql.engine import parse_url


def main() -> None:
    seats = int(sys.argv[1]) if len(sys.argv) > 1 else run.IMPORT_SEATS
    target = sys.argv[2] if len(sys.argv) > 2 else "/tmp/imp/import-scratch.db"
    if parse_url(target).get_backend_name() == "postgresql":
        schema = sys.argv[3] if len(sys.argv) > 3 else "import_only"
        run.drop_schema(target, schema)
        figures = run.bench_import(run.with_schema(target, schema), seats)
        run.drop_schema(target, schema)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)
        figures = run.bench_import(target, seats)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
