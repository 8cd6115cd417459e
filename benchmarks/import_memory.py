"""Peak memory of ``seatledger seat import`` on a generated CSV file, in a fresh process.

    python benchmarks/import_memory.py [ROWS] [FOLDER]

Writes a CSV of ROWS new seats (default 100,000; every tenth deactivated) and
a fresh SQLite ledger with one organisation in FOLDER (default a temporary
folder), then runs ``seatledger seat import`` as a child process and prints,
as JSON, the rows, the file's size, the seconds taken and the child's peak
resident set size (``ru_maxrss`` of the children, in MiB), next to the peak
of a child that only starts Python and imports seatledger's command line (the
baseline every command pays). Run it from the repository root, at a smoke
size: the machine is shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "seat,org,activated_on,deactivated_on,kind,holder\n"


def peak_of(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds taken and peak RSS (MiB) of one child process run to its end."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed with {status}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp(prefix="imp-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, db = folder / "seats.csv", folder / "ledger.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with csv_path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(rows):
            off = "2025-08-20" if i % 10 == 0 else ""
            out.write(f"s-{i:07d},north,2025-0{1 + i % 7}-01,{off},regular,Holder {i}\n")
    env = {**os.environ, "SEATLEDGER_DB": f"sqlite:///{db}", "SEATLEDGER_TODAY": "2025-10-01"}
    cli = [sys.executable, "-m", "seatledger.entrypoints.cli.main"]
    subprocess.run([*cli, "org", "add", "north", "--name", "North"], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    _, baseline = peak_of([*cli, "org", "list"], env)
    seconds, peak = peak_of([*cli, "seat", "import", str(csv_path)], env)
    print(json.dumps({
        "rows": rows,
        "file_mib": round(csv_path.stat().st_size / 2**20, 1),
        "import_seconds": round(seconds, 1),
        "peak_rss_mib": round(peak, 1),
        "baseline_rss_mib": round(baseline, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
