"""The Xtra Lease dispute of seed 002: 403 seats on 9/1/2017, 391 today, and the proof.

One database for the module, built by importing a generated CSV; the tests
only read it.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from cli_driver import Cli, write_csv

HEADER = "seat,org,activated_on,deactivated_on,kind,holder,addons"
ON = "2017-09-01"
TODAY = "2017-10-17"


def generated_rows() -> list[str]:
    """403 seats active on 9/1 (12 of them leave in Sept/Oct), 20 gone before 9/1."""
    rows = []
    for n in range(403):
        activated = date(2017, 1, 2) + timedelta(days=n % 240)
        left = date(2017, 9, 2) + timedelta(days=4 * n) if n < 12 else None
        kind = "student" if n % 10 == 0 else "regular"
        addons = "library" if n % 3 == 0 else ""
        holder = "=HYPERLINK(evil)" if n == 7 else f"Holder {n:03d}"
        rows.append(f"x-{n:04d},xtra,{activated},{left or ''},{kind},{holder},{addons}")
    for n in range(403, 423):
        rows.append(f"x-{n:04d},xtra,2017-02-01,2017-08-{n - 400:02d},regular,Gone {n},")
    # A seat deactivated on 9/1 itself is not counted on 9/1.
    rows.append("x-0999,xtra,2017-02-01,2017-09-01,regular,Left on the day,")
    return rows


@pytest.fixture(scope="module")
def xtra(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    folder = tmp_path_factory.mktemp("xtra")
    cli = Cli(folder / "ledger.db")
    cli.ok(
        "org",
        "add",
        "xtra",
        "--name",
        "Xtra Lease",
        "--timezone",
        "America/Chicago",
        today="2017-01-02",
    )
    cli.ok("org", "add", "other", "--name", "Other Co", today="2017-01-02")
    path = write_csv(folder / "xtra.csv", HEADER, generated_rows())
    summary = cli.json("seat", "import", str(path), today=TODAY)
    assert summary == {"source": "xtra.csv", "seats": 424, "deactivated": 33, "facts": 457}
    cli.ok(
        "seat",
        "activate",
        "o-1",
        "--org",
        "other",
        "--on",
        "2017-08-01",
        "--reason",
        "late",
        today=TODAY,
    )
    return cli


def test_xtra_lease_had_403_seats_on_9_1_2017_each_with_activation_and_deactivation(xtra: Cli):
    answer = xtra.json("seats", "xtra", "--on", ON)
    assert (answer["org"], answer["on"], answer["count"]) == ("xtra", ON, 403)
    assert answer["as_known_at"] == "2017-10-17T00:00:00.000001Z"
    seats = {s["seat"]: s for s in answer["seats"]}
    assert len(seats) == 403
    assert "x-0999" not in seats
    assert seats["x-0000"]["activated_on"] == "2017-01-02"
    assert seats["x-0000"]["deactivated_on"] == "2017-09-02"
    assert seats["x-0011"]["deactivated_on"] == "2017-10-16"
    assert seats["x-0012"]["deactivated_on"] is None
    assert seats["x-0000"]["kind"] == "student"
    assert seats["x-0000"]["paying_org"] == "xtra"
    assert sum(1 for s in seats.values() if s["deactivated_on"]) == 12


def test_today_xtra_lease_has_391_seats(xtra: Cli):
    assert xtra.json("seats", "xtra", "--on", TODAY)["count"] == 391
    assert xtra.json("org", "show", "xtra", today=TODAY)["active_seats"] == 391


def test_the_403_export_as_csv_for_a_spreadsheet_without_formula_injection(xtra: Cli):
    text = xtra.ok("seats", "xtra", "--on", ON, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 403
    assert list(rows[0]) == [
        "seat",
        "holder",
        "kind",
        "activated_on",
        "deactivated_on",
        "paying_org",
        "billed_from",
        "billed_until",
        "addons",
    ]
    by_seat = {r["seat"]: r for r in rows}
    assert by_seat["x-0007"]["holder"] == "'=HYPERLINK(evil)"
    assert by_seat["x-0000"]["deactivated_on"] == "2017-09-02"
    assert by_seat["x-0012"]["deactivated_on"] == ""
    assert by_seat["x-0003"]["addons"] == "library"


def test_format_json_is_the_same_document_as_the_global_json(xtra: Cli):
    explicit = xtra.ok("seats", "xtra", "--on", ON, "--format", "json")
    assert explicit == xtra("seats", "xtra", "--on", ON, json_=True).out


def test_the_table_says_how_many_and_as_known_when(xtra: Cli):
    text = xtra.ok("seats", "xtra", "--on", ON)
    assert "xtra: 403 seats billable on 2017-09-01 as known at 2017-10-17T00:00:00.000001Z" in text
    assert "x-0402" in text


def test_seats_active_at_any_time_in_september_include_those_who_left_in_september(xtra: Cli):
    answer = xtra.json("seats", "xtra", "--from", "2017-09-01", "--to", "2017-09-30")
    assert (answer["from"], answer["to"], answer["mode"]) == (
        "2017-09-01",
        "2017-09-30",
        "overlapping",
    )
    assert "on" not in answer
    assert answer["count"] == 403


def test_seats_active_throughout_september_exclude_the_september_leavers(xtra: Cli):
    answer = xtra.json(
        "seats", "xtra", "--from", "2017-09-01", "--to", "2017-09-30", "--throughout"
    )
    assert answer["mode"] == "throughout"
    leavers_in_september = sum(
        1 for n in range(12) if date(2017, 9, 2) + timedelta(days=4 * n) <= date(2017, 9, 30)
    )
    assert answer["count"] == 403 - leavers_in_september


def test_a_range_in_august_overlaps_the_seats_that_left_in_august(xtra: Cli):
    overlapping = xtra.json("seats", "xtra", "--from", "2017-08-01", "--to", "2017-08-31")
    throughout = xtra.json(
        "seats", "xtra", "--from", "2017-08-01", "--to", "2017-08-31", "--throughout"
    )
    # 20 left during August, one on 9/1 (active all of August), the 403 were there all month
    # except those activated in August.
    assert overlapping["count"] == 403 + 20 + 1
    assert throughout["count"] < overlapping["count"]


def test_another_organisation_does_not_see_xtra_seats(xtra: Cli, tmp_path: Path):
    answer = xtra.json("seats", "other", "--on", ON)
    assert [s["seat"] for s in answer["seats"]] == ["o-1"]
