"""A billing administrator points seatledger at last night's LMS export (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_driver import Cli
from roster_exports import (
    canvas_files,
    enrollment,
    oneroster_files,
    org,
    user,
    write_folder,
    write_zip,
)

TODAY = "2025-10-15"
ORGS = [org("north", "North District", "district"), org("alpha", "Alpha School", "school", "north")]
USERS = [user("u1", "Ann", "Smith"), user("u2", "Bob", "Jones"), user("u3", "Cy", "Young")]


def nightly(*extra: dict[str, str], users=USERS, modes=None) -> dict[str, str]:
    rows = [
        enrollment("e1", "u1", "alpha", begin="2025-09-01", end="2026-06-30"),
        enrollment("e2", "u1", "alpha", begin="2025-09-03", klass="c2"),
        enrollment("e3", "u2", "alpha", begin="2025-09-01", end="2025-09-30"),
        enrollment("e4", "u3", "alpha", role="teacher", begin="2025-09-01"),
        *extra,
    ]
    return oneroster_files(orgs=ORGS, users=users, enrollments=rows, modes=modes)


@pytest.fixture
def ledger(cli: Cli) -> Cli:
    cli.ok("init")
    cli.ok("org", "add", "alpha", "--name", "Alpha School", today="2025-08-01")
    return cli


def seats_of(cli: Cli, org_: str, on: str) -> dict[str, tuple[str, str | None]]:
    answer = cli.json("seats", org_, "--on", on, today=TODAY)
    return {s["seat"]: (s["activated_on"], s["deactivated_on"]) for s in answer["seats"]}


@pytest.mark.parametrize("bom", [False, True], ids=["utf-8", "utf-8 with BOM"])
@pytest.mark.parametrize("packed", ["zip", "folder"])
def test_a_oneroster_export_becomes_one_seat_per_learner_from_the_earliest_begin(
    ledger: Cli, tmp_path: Path, packed: str, bom: bool
):
    files = nightly()
    path = (
        write_zip(tmp_path / "export.zip", files, bom=bom)
        if packed == "zip"
        else write_folder(tmp_path / "export", files, bom=bom)
    )
    report = ledger.json("roster", "import", str(path), "--format", "oneroster", today=TODAY)
    assert (report["activate"], report["deactivate"], report["refused"]) == (2, 0, 0)
    assert report["mode"] == "bulk"
    rows = {r["seat"]: r for r in report["rows"]["activate"]}
    # Two classes, one seat; the endDate 2025-09-30 is inclusive: the seat ends on 1 October.
    assert rows["u1.alpha"]["on"] == "2025-09-01"
    assert rows["u1.alpha"]["holder"] == "Ann Smith (u1)"
    assert rows["u1.alpha"]["kind"] == "student"
    assert (rows["u2.alpha"]["on"], rows["u2.alpha"]["deactivated_on"]) == (
        "2025-09-01",
        "2025-10-01",
    )
    assert seats_of(ledger, "alpha", "2025-09-30") == {
        "u1.alpha": ("2025-09-01", None),
        "u2.alpha": ("2025-09-01", "2025-10-01"),
    }
    assert seats_of(ledger, "alpha", "2025-10-01") == {"u1.alpha": ("2025-09-01", None)}
    # The teacher's row is ignored (not a billable role), and said so.
    assert report["rows"]["ignored"] == [
        {"file": "enrollments.csv", "line": 5, "reason": "role 'teacher' is not billable"}
    ]


def test_the_same_export_imported_twice_changes_nothing(ledger: Cli, tmp_path: Path):
    path = write_zip(tmp_path / "export.zip", nightly())
    ledger.ok("roster", "import", str(path), "--format", "oneroster", today=TODAY)
    history = ledger.json("seat", "history", "u1.alpha", today=TODAY)
    audit = ledger.json("audit", "--org", "alpha", today=TODAY)
    again = ledger.json("roster", "import", str(path), "--format", "oneroster", today="2025-10-16")
    assert again["activate"] == 2  # the first run's report, replayed
    assert ledger.json("seat", "history", "u1.alpha", today=TODAY) == history
    assert ledger.json("audit", "--org", "alpha", today=TODAY) == audit
    # The same export unpacked into a folder is the same content: replayed as well.
    folder = write_folder(tmp_path / "copy", nightly())
    assert ledger.json("roster", "import", str(folder), "--format", "oneroster") == again
    # Another export that says the same about the seats: nothing to do either.
    other = write_folder(tmp_path / "other", nightly(enrollment("e9", "u3", "alpha", role="aide")))
    fresh = ledger.json("roster", "import", str(other), "--format", "oneroster", today="2025-10-16")
    assert (fresh["activate"], fresh["deactivate"], fresh["unchanged"], fresh["facts"]) == (
        0,
        0,
        2,
        0,
    )


def test_a_bulk_export_deactivates_the_missing_as_of_the_import_date_never_before(
    ledger: Cli, tmp_path: Path
):
    many = [enrollment(f"x{i}", f"s{i}", "alpha", begin="2025-09-01") for i in range(10)]
    users = [*USERS, *(user(f"s{i}", "Pupil", str(i)) for i in range(10))]
    first = write_zip(tmp_path / "first.zip", nightly(*many, users=users))
    ledger.ok("roster", "import", str(first), "--format", "oneroster", today=TODAY)
    second = write_zip(tmp_path / "second.zip", nightly(*many[1:], users=users))
    report = ledger.json(
        "roster", "import", str(second), "--format", "oneroster", today="2025-11-03"
    )
    assert [(r["seat"], r["on"], r["why"]) for r in report["rows"]["deactivate"]] == [
        ("s0.alpha", "2025-11-03", "missing from the bulk roster second.zip")
    ]
    history = ledger.json("seat", "history", "s0.alpha", today="2025-11-03")
    last = history["facts"][-1]
    assert (last["kind"], last["effective_on"]) == ("deactivated", "2025-11-03")
    assert last["recorded_at"].startswith("2025-11-03")


def test_a_bulk_export_losing_more_than_a_tenth_is_refused_unless_forced(
    ledger: Cli, tmp_path: Path
):
    many = [enrollment(f"x{i}", f"s{i}", "alpha", begin="2025-09-01") for i in range(8)]
    users = [*USERS, *(user(f"s{i}", "Pupil", str(i)) for i in range(8))]
    ledger.ok(
        "roster", "import", str(write_zip(tmp_path / "a.zip", nightly(*many, users=users))),
        "--format", "oneroster", today=TODAY,
    )  # fmt: skip
    shrunk = write_zip(tmp_path / "b.zip", nightly(*many[2:], users=users))
    before = seats_of(ledger, "alpha", TODAY)
    message = ledger.refused(
        "roster-change-threshold", "roster", "import", str(shrunk), "--format", "oneroster",
        today=TODAY,
    )  # fmt: skip
    assert "2 of the 9 active seats of 'alpha'" in message
    assert seats_of(ledger, "alpha", TODAY) == before
    dry = ledger.json(
        "roster", "import", str(shrunk), "--format", "oneroster", "--dry-run", today=TODAY
    )
    assert dry["threshold"] == [{"org": "alpha", "deactivating": 2, "seats": 9}]
    forced = ledger.json(
        "roster", "import", str(shrunk), "--format", "oneroster", "--force", today=TODAY
    )
    assert forced["deactivate"] == 2
    assert set(seats_of(ledger, "alpha", TODAY)) == set(before) - {"s0.alpha", "s1.alpha"}


def test_a_dry_run_reports_every_kind_of_row_and_changes_nothing(ledger: Cli, tmp_path: Path):
    ledger.ok("seat", "activate", "old", "--org", "alpha", "--on", "2025-09-01",
              "--reason", "by hand", today=TODAY)  # fmt: skip
    path = write_zip(tmp_path / "export.zip", nightly())
    report = ledger.json(
        "roster", "import", str(path), "--format", "oneroster", "--dry-run", today=TODAY
    )
    assert report["dry_run"] is True
    assert {k: report[k] for k in ("activate", "deactivate", "unchanged", "refused")} == {
        "activate": 2,
        "deactivate": 1,
        "unchanged": 0,
        "refused": 0,
    }
    assert set(report["rows"]) >= {"activate", "deactivate", "unchanged", "refused"}
    assert seats_of(ledger, "alpha", TODAY) == {"old": ("2025-09-01", None)}
    text = ledger.ok(
        "roster", "import", str(path), "--format", "oneroster", "--dry-run", today=TODAY
    )
    assert "would change: 2 to activate, 1 to deactivate" in text


def test_every_refused_row_is_named_with_file_line_and_reason_and_nothing_is_written(
    ledger: Cli, tmp_path: Path
):
    files = nightly(
        enrollment("e5", "u9", "alpha", begin="2025-09-01"),
        enrollment("e6", "u2", "alpha", begin="2025-9-1", klass="c3"),
        enrollment("e7", "u1", "alpha", status="gone", klass="c4"),
    )
    path = write_zip(tmp_path / "bad.zip", files)
    message = ledger.refused(
        "roster-rejected", "roster", "import", str(path), "--format", "oneroster", today=TODAY
    )
    assert "3 row(s) refused, nothing was imported" in message
    assert "enrollments.csv line 6: user 'u9' is not in users.csv (a bulk file)" in message
    assert "enrollments.csv line 7: beginDate: '2025-9-1' is not a valid date" in message
    assert "enrollments.csv line 8: status 'gone' is not one of 'active', 'tobedeleted'" in message
    assert seats_of(ledger, "alpha", TODAY) == {}


def test_tobedeleted_deactivates_as_of_the_import_date(ledger: Cli, tmp_path: Path):
    first = write_zip(tmp_path / "a.zip", nightly())
    ledger.ok("roster", "import", str(first), "--format", "oneroster", today=TODAY)
    delta = oneroster_files(
        enrollments=[enrollment("e1", "u1", "alpha", status="tobedeleted")],
        modes={"enrollments": "delta"},
    )
    report = ledger.json(
        "roster", "import", str(write_zip(tmp_path / "d.zip", delta)), "--format", "oneroster",
        today="2025-10-20",
    )  # fmt: skip
    assert report["mode"] == "delta"
    assert [(r["seat"], r["action"], r["on"]) for r in report["rows"]["deactivate"]] == [
        ("u1.alpha", "deactivate", "2025-10-20")
    ]


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"enrollments.csv": "user_id,role,status\r\n"}, "there is no manifest.csv"),
        (
            oneroster_files(enrollments=[], version="1.1"),
            "manifest.csv gives oneroster.version '1.1', not '1.2'",
        ),
        (
            {**oneroster_files(enrollments=[]), "enrollments.csv": "sourcedId,userId,role\r\n"},
            "enrollments.csv has a column 'userId' that the layout does not have",
        ),
    ],
    ids=["a Canvas export", "OneRoster 1.1", "a misspelt column"],
)
def test_an_export_that_is_not_oneroster_1_2_is_refused_before_any_row_is_read(
    ledger: Cli, tmp_path: Path, files: dict[str, str], problem: str
):
    path = write_zip(tmp_path / "wrong.zip", files)
    message = ledger.refused(
        "roster-wrong-format", "roster", "import", str(path), "--format", "oneroster", today=TODAY
    )
    assert message == f"wrong.zip is not a OneRoster 1.2 CSV roster: {problem}"


def test_a_oneroster_export_claimed_as_canvas_is_refused(ledger: Cli, tmp_path: Path):
    path = write_zip(tmp_path / "export.zip", nightly())
    message = ledger.refused(
        "roster-wrong-format", "roster", "import", str(path), "--format", "canvas",
        "--org", "alpha", today=TODAY,
    )  # fmt: skip
    assert "is not a Canvas SIS roster" in message


def test_unknown_organisations_are_refused_or_created_with_their_billing_relationship(
    cli: Cli, tmp_path: Path
):
    cli.ok("init")
    path = write_zip(tmp_path / "export.zip", nightly())
    message = cli.refused(
        "roster-rejected", "roster", "import", str(path), "--format", "oneroster", today=TODAY
    )
    assert "there is no organisation 'alpha' in the ledger" in message
    usage = cli("roster", "import", str(path), "--format", "oneroster", "--create-organisations")
    assert usage.code == 2
    assert "--billing-relationship" in usage.err
    report = cli.json(
        "roster", "import", str(path), "--format", "oneroster", "--create-organisations",
        "--no-billing-relationship", "--pay-level", "district", today=TODAY,
    )  # fmt: skip
    assert report["created_organisations"] == ["north"]
    shown = cli.json("org", "show", "north", today=TODAY)
    assert shown["name"] == "North District"
    assert shown["billing_relationship"] is False
    assert set(seats_of(cli, "north", TODAY)) == {"u1.north"}


def test_a_canvas_export_with_completed_and_deleted_enrollments(ledger: Cli, tmp_path: Path):
    users = [
        {"user_id": "c1", "login_id": "ann", "full_name": "Ann Smith", "status": "active"},
        {"user_id": "c2", "login_id": "bob", "full_name": "Bob Jones", "status": "active"},
        {"user_id": "c3", "login_id": "cy", "full_name": "Cy Young", "status": "active"},
    ]
    rows = [
        {"course_id": "k1", "user_id": "c1", "role": "student", "status": "active",
         "start_date": "2025-09-01T08:00:00Z"},
        {"course_id": "k1", "user_id": "c2", "role": "student", "status": "active",
         "start_date": "2025-09-01T08:00:00Z", "end_date": "2025-10-10T15:00:00+02:00"},
        {"course_id": "k1", "user_id": "c3", "role": "student", "status": "inactive",
         "start_date": "2025-09-01T08:00:00Z"},
    ]  # fmt: skip
    first = write_folder(tmp_path / "night1", canvas_files(users=users, enrollments=rows))
    report = ledger.json(
        "roster", "import", str(first), "--format", "canvas", "--org", "alpha", today=TODAY
    )
    assert report["mode"] == "delta"
    assert seats_of(ledger, "alpha", "2025-10-10") == {
        "c1.alpha": ("2025-09-01", None),
        "c2.alpha": ("2025-09-01", "2025-10-11"),
        "c3.alpha": ("2025-09-01", None),
    }
    rows[0]["status"] = "completed"
    rows[2]["status"] = "deleted"
    second = write_zip(
        tmp_path / "night2.zip", canvas_files(users=users, enrollments=rows), bom=True
    )
    report = ledger.json(
        "roster", "import", str(second), "--format", "canvas", "--org", "alpha", "--mode",
        "bulk", "--force", today="2025-10-20",
    )  # fmt: skip
    assert sorted((r["seat"], r["action"], r["on"]) for r in report["rows"]["deactivate"]) == [
        ("c1.alpha", "complete", "2025-10-20"),
        ("c3.alpha", "deactivate", "2025-10-20"),
    ]
    history = ledger.json("seat", "history", "c1.alpha", today="2025-10-20")
    assert history["facts"][-1]["kind"] == "completed"


def test_billable_roles_choose_roles_and_seat_kinds(ledger: Cli, tmp_path: Path):
    path = write_zip(tmp_path / "export.zip", nightly())
    report = ledger.json(
        "roster", "import", str(path), "--format", "oneroster", "--billable-roles",
        "student,teacher:regular", today=TODAY,
    )  # fmt: skip
    kinds = {r["seat"]: r["kind"] for r in report["rows"]["activate"]}
    assert kinds == {"u1.alpha": "student", "u2.alpha": "student", "u3.alpha": "regular"}
    message = ledger.refused(
        "invalid-billable-roles", "roster", "import", str(path), "--format", "oneroster",
        "--billable-roles", "teacher:boss", today=TODAY,
    )  # fmt: skip
    assert "'boss' is not a seat kind" in message


def test_a_mode_the_manifest_contradicts_is_refused(ledger: Cli, tmp_path: Path):
    path = write_zip(tmp_path / "export.zip", nightly())
    message = ledger.refused(
        "roster-rejected", "roster", "import", str(path), "--format", "oneroster", "--mode",
        "delta", today=TODAY,
    )  # fmt: skip
    assert "file.enrollments is bulk, but --mode delta was asked" in message
