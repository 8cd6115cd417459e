"""Roster import through the embedding API on a real database: SQLite and PostgreSQL.

The same OneRoster export on both: one seat per learner from the earliest
begin date, the inclusive ``endDate`` closed the day after, a repeat that
changes nothing, and a bulk export that deactivates the missing learner as
of the import date.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from roster_exports import enrollment, oneroster_files, org, user, write_zip

import seatledger
from seatledger.adapters.sql import make_engine, upgrade

ORGS = [org("north", "North District", "district"), org("alpha", "Alpha School", "school", "north")]
USERS = [user("u1", "Ann", "Smith"), user("u2", "Bob", "Jones")]


def export(tmp_path: Path, name: str, *rows: dict[str, str]) -> Path:
    files = oneroster_files(orgs=ORGS, users=USERS, enrollments=list(rows))
    return write_zip(tmp_path / name, files)


def test_a_oneroster_export_is_imported_alike_on_every_database(
    database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    first = export(
        tmp_path, "monday.zip",
        enrollment("e1", "u1", "alpha", begin="2025-09-01", end="2026-06-30"),
        enrollment("e2", "u1", "alpha", begin="2025-09-03", klass="c2"),
        enrollment("e3", "u2", "alpha", begin="2025-09-01", end="2025-09-30"),
        enrollment("e4", "u2", "alpha", begin="2025-10-01", klass="c3"),
    )  # fmt: skip
    with seatledger.connect(database_url, today=date(2025, 10, 15), actor="sync") as ledger:
        ledger.add_organisation("alpha", "Alpha School")
        report = ledger.import_roster(first, format="oneroster")
        assert (len(report.activate), len(report.deactivate)) == (2, 0)
        again = ledger.import_roster(first, format="oneroster")
        assert again == report  # replayed: nothing written twice
        on_sept_30 = {s.seat for s in ledger.seats_on("alpha", date(2025, 9, 30)).rows}
        assert on_sept_30 == {"u1.alpha", "u2.alpha"}
        # One seat per user and paying organisation, however many classes.
        assert ledger.count_on("alpha", date(2025, 10, 15)) == 2
    second = export(
        tmp_path, "tuesday.zip",
        enrollment("e1", "u1", "alpha", begin="2025-09-01", end="2026-06-30"),
    )  # fmt: skip
    with seatledger.connect(database_url, today=date(2025, 10, 20), actor="sync") as ledger:
        report = ledger.import_roster(second, format="oneroster", force=True)
        assert [(c.seat, c.on) for c in report.deactivate] == [("u2.alpha", date(2025, 10, 20))]
        now = {s.seat for s in ledger.seats_on("alpha", date(2025, 10, 20)).rows}
        assert now == {"u1.alpha"}
        before = {s.seat for s in ledger.seats_on("alpha", date(2025, 10, 19)).rows}
        assert before == {"u1.alpha", "u2.alpha"}  # never backdated
