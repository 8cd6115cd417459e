"""Only the benchmark's (a) import phase, on a fresh scratch SQLite file (no generated data).

    python benchmarks/import_only.py [SEATS] [SCRATCH_FILE]

Runs ``run.bench_import`` (``SqlLedger.append``, the ``import_seats`` use case
and the raw ``executemany`` baseline, each on SEATS new seats, default
100,000) against SCRATCH_FILE (default /tmp/imp/import-scratch.db, deleted
first) and prints its figures as JSON. Run it from the repository root.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run


def main() -> None:
    seats = int(sys.argv[1]) if len(sys.argv) > 1 else run.IMPORT_SEATS
    scratch = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/imp/import-scratch.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(scratch) + suffix).unlink(missing_ok=True)
    figures = run.bench_import(str(scratch), seats)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
