"""Roster import against the plain seat import of the same seats, measured in the same run.

    python benchmarks/roster_import.py [ENROLLMENTS] [SCRATCH_FOLDER]

Writes a OneRoster 1.2 bulk export of ENROLLMENTS enrollments (default
100,000: one school, two classes per learner, so ENROLLMENTS / 2 seats) and a
seatledger CSV of the same seats, imports each into a fresh SQLite file
through ``seatledger.connect`` (the export with ``Ledger.import_roster``, the
CSV's rows with ``Ledger.import_seats``), then re-imports the export with one
learner gone (the daily case: all unchanged but one). Prints the timings and
the ratio of the roster import to the plain import as JSON. Run it from the
repository root; it takes minutes at the default size.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from roster_exports import enrollment, oneroster_files, org, user, write_folder

import seatledger
from seatledger import NewSeat, SeatKind

TODAY = date(2025, 10, 15)


def export(learners: int, *, changed: int | None = None) -> dict[str, str]:
    rows = []
    for n in range(learners):
        if n == changed:
            continue  # the learner who left: deactivated as of the import date
        rows.append(enrollment(f"e{n}a", f"u{n}", "alpha", begin="2025-09-01"))
        rows.append(enrollment(f"e{n}b", f"u{n}", "alpha", begin="2025-09-03", klass="c2"))
    users = [user(f"u{n}", "Pupil", str(n)) for n in range(learners)]
    return oneroster_files(orgs=[org("alpha", "Alpha", "school")], users=users, enrollments=rows)


def fresh(folder: Path, name: str) -> seatledger.Ledger:
    ledger = seatledger.connect(str(folder / f"{name}.db"), actor="bench", today=TODAY)
    ledger.add_organisation("alpha", "Alpha")
    return ledger


def main() -> None:
    enrollments = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/tmp/roster-bench")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    learners = enrollments // 2
    night = write_folder(folder / "night1", export(learners))
    seats = [
        NewSeat(f"u{n}.alpha", "alpha", date(2025, 9, 1), kind=SeatKind.STUDENT,
                holder=f"Pupil {n} (u{n})")
        for n in range(learners)
    ]  # fmt: skip

    with fresh(folder, "plain") as ledger:
        started = time.perf_counter()
        ledger.import_seats(seats, source="seats.csv")
        plain = time.perf_counter() - started

    with fresh(folder, "roster") as ledger:
        started = time.perf_counter()
        first = ledger.import_roster(night, format="oneroster")
        roster = time.perf_counter() - started
        changed = write_folder(folder / "night2", export(learners, changed=0))
        started = time.perf_counter()
        second = ledger.import_roster(changed, format="oneroster")
        daily = time.perf_counter() - started

    print(
        json.dumps(
            {
                "enrollments": enrollments,
                "seats": learners,
                "plain_import_s": round(plain, 3),
                "roster_import_s": round(roster, 3),
                "ratio_roster_to_plain": round(roster / plain, 2),
                "daily_reimport_s": round(daily, 3),
                "first_activated": len(first.activate),
                "daily_changes": len(second.activate) + len(second.deactivate),
            }
        )
    )


if __name__ == "__main__":
    main()
