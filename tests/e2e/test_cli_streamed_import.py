"""`seat import` streams the file a chunk of rows at a time, still all rows or none (0041).

The chunk is made 3 rows here so that a small file spans several chunks.
"""

from __future__ import annotations

import sqlite3

import pytest
from cli_driver import Cli, write_csv

from seatledger.adapters import csv_import

HEADER = "seat,org,activated_on,deactivated_on,kind,holder"


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_import, "CHUNK_ROWS", 3)


@pytest.fixture
def clinic(cli: Cli, small_chunks: None) -> Cli:
    cli.ok("org", "add", "north", "--name", "North Clinic", today="2025-10-01")
    cli.ok("seat", "activate", "s-old", "--org", "north", today="2025-10-01")
    return cli


def facts(cli: Cli) -> int:
    with sqlite3.connect(cli.db) as conn:
        return int(conn.execute("SELECT count(*) FROM seat_facts").fetchone()[0])


def rows(n: int) -> list[str]:
    return [f"s-{i},north,2025-09-0{1 + i % 9},,,Holder {i}" for i in range(n)]


def test_a_file_of_many_chunks_is_imported_whole(clinic: Cli) -> None:
    path = write_csv(
        clinic.db.with_name("seats.csv"), HEADER, [*rows(10), "s-x,north,2025-09-01,2025-09-20,,X"]
    )
    summary = clinic.json("seat", "import", str(path), today="2025-10-01")
    assert summary == {"source": "seats.csv", "seats": 11, "deactivated": 1, "facts": 12}
    assert facts(clinic) == 13
    assert (
        len(clinic.json("seats", "north", "--on", "2025-09-30", today="2025-10-01")["seats"]) == 10
    )


def test_a_seat_repeated_chunks_apart_is_named_with_both_lines_and_nothing_is_kept(
    clinic: Cli,
) -> None:
    path = write_csv(clinic.db.with_name("seats.csv"), HEADER,
                     [*rows(7), "s-1,north,2025-09-01,,,Again",
                      "s-1,north,2025-09-02,,,Thrice"])  # fmt: skip
    before = facts(clinic)
    outcome = clinic("seat", "import", str(path), today="2025-10-01", json_=True)
    assert outcome.code == 1, outcome
    error = outcome.error()
    assert error["code"] == "import-rejected"
    # Lines 9 and 10 are one chunk: each is named against the first line, once.
    assert error["message"].splitlines()[1:] == [
        "  line 9, column seat: seat 's-1' is also on line 3",
        "  line 10, column seat: seat 's-1' is also on line 3",
    ]
    assert facts(clinic) == before


def test_a_problem_in_the_last_chunk_rolls_back_the_chunks_written_before_it(clinic: Cli) -> None:
    path = write_csv(clinic.db.with_name("seats.csv"), HEADER,
                     [*rows(9), "s-old,north,2025-09-01,,,Taken",
                      "s-9,nowhere,2025-09-01,,,X"])  # fmt: skip
    before = facts(clinic)
    message = clinic.refused("import-rejected", "seat", "import", str(path), today="2025-10-01")
    assert "line 11, column seat: seat 's-old' exists already" in message
    assert "line 12, column org: there is no organisation 'nowhere'" in message
    assert facts(clinic) == before


def test_a_retry_with_the_same_key_and_file_imports_once(clinic: Cli) -> None:
    path = write_csv(clinic.db.with_name("seats.csv"), HEADER, rows(7))
    first = clinic.json("--idempotency-key", "imp-1", "seat", "import", str(path),
                        today="2025-10-01")  # fmt: skip
    again = clinic.json("--idempotency-key", "imp-1", "seat", "import", str(path),
                        today="2025-10-01")  # fmt: skip
    assert first == again
    assert facts(clinic) == 8
    write_csv(path, HEADER, rows(6))
    clinic.refused("idempotency-key-reused", "--idempotency-key", "imp-1", "seat", "import",
                   str(path), today="2025-10-01")  # fmt: skip
