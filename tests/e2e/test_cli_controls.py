"""The controls of issue 13 through the command line: usage list, correct and retract;
seat addon add and remove; org set. Each refusal exits 1 and changes nothing."""

from __future__ import annotations

import pytest
from cli_driver import Cli

DAY = "2025-09-01"


@pytest.fixture
def north(cli: Cli) -> Cli:
    cli.ok("org", "add", "north", "--name", "North Clinic", today=DAY)
    cli.ok("contract", "set", "north", "--plan", "starter", "--cadence", "monthly", today=DAY)
    cli.ok("seat", "activate", "s-1", "--org", "north", "--addon", "library", today=DAY)
    cli.ok("usage", "record", "north", "new-dossier", "--quantity", "3", today="2025-09-10")
    cli.ok("usage", "record", "north", "paid-questionnaire", "--quantity", "2", today="2025-09-11")
    return cli


def usage_state(cli: Cli) -> tuple[str, ...]:
    return (
        cli("usage", "list", "north", json_=True, today="2025-10-31").out,
        cli("seat", "history", "s-1", json_=True, today="2025-10-31").out,
        cli("org", "show", "north", json_=True, today="2025-10-31").out,
    )


def test_usage_is_listed_corrected_and_retracted_and_the_past_still_answers(north: Cli) -> None:
    listed = north.json("usage", "list", "north", today="2025-10-01")
    assert [(r["seq"], r["kind"], r["quantity"], r["status"]) for r in listed["records"]] == [
        (2, "new-dossier", 3, "in force"),
        (3, "paid-questionnaire", 2, "in force"),
    ]
    cut = listed["as_known_at"]
    fixed = north.json(
        "usage", "correct", "2", "--quantity", "1", "--reason", "duplicates", today="2025-10-02"
    )
    assert (fixed["seq"], fixed["quantity"], fixed["corrects"], fixed["reason"]) == (
        4,
        1,
        2,
        "duplicates",
    )
    north.ok("usage", "retract", "3", "--reason", "wrong client", today="2025-10-02")
    now = north.json("usage", "list", "north", "--from", "2025-09-01", "--to", "2025-09-30",
                     today="2025-10-03")  # fmt: skip
    assert [(r["seq"], r["status"], r["superseded_by"]) for r in now["records"]] == [
        (2, "corrected", 4),
        (3, "retracted", None),
        (4, "in force", None),
    ]
    assert now["records"][1]["superseded_reason"] == "wrong client"
    then = north.json("usage", "list", "north", "--as-known-at", cut, today="2025-10-03")
    assert [(r["seq"], r["status"]) for r in then["records"]] == [
        (2, "in force"),
        (3, "in force"),
    ]
    table = north.ok("usage", "list", "north", today="2025-10-03")
    assert "corrected" in table
    assert "retracted: wrong client" in table
    # October's invoice bills the corrected September usage: 1 dossier, no questionnaires.
    run = north.json("bill", "run", "--period", "2025-10", "--org", "north", today="2025-11-01")
    usage_lines = [line for line in run["invoices"][0]["lines"] if line["kind"] == "usage"]
    assert [(line["quantity"], line["amount"]) for line in usage_lines] == [(1, "5.00")]
    audit = north.json("audit", "--org", "north", today="2025-11-01")["entries"]
    assert [e["action"] for e in audit if e["action"].startswith("usage.")] == [
        "usage.record", "usage.record", "usage.correct", "usage.retract"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["usage", "correct", "99", "--quantity", "1", "--reason", "x"], "unknown-usage-record"),
        (["usage", "correct", "two", "--quantity", "1", "--reason", "x"], "unknown-usage-record"),
        (["usage", "correct", "2", "--quantity", "0", "--reason", "x"], "invalid-quantity"),
        (["usage", "correct", "2", "--quantity", "3", "--reason", "x"], "usage-not-correctable"),
        (["usage", "correct", "2", "--quantity", "2", "--on", "2025-11-01", "--reason", "x"],
         "future-date"),
        (["usage", "retract", "3", "--reason", " "], "reason-required"),
        (["usage", "list", "north", "--from", "2025-09-30", "--to", "2025-09-01"],
         "range-reversed"),
        (["usage", "list", "nobody"], "unknown-organisation"),
        (["seat", "addon", "remove", "s-1", "forms"], "addon-not-held"),
        (["seat", "addon", "add", "s-1", "library"], "addon-already-held"),
        (["seat", "addon", "remove", "s-1", "library", "--on", "2025-11-01"], "future-date"),
        (["seat", "addon", "remove", "s-1", "library", "--on", "2025-10-01"],
         "backdated-without-reason"),
        (["seat", "addon", "remove", "s-1", "library", "--on", "2025-08-01", "--reason", "x"],
         "seat-not-active"),
        (["seat", "addon", "remove", "s-9", "library"], "unknown-seat"),
        (["org", "set", "north", "--timezone", "Mars/Base"], "invalid-timezone"),
        (["org", "set", "north", "--timezone", "Asia/Tokyo", "--timezone-from", "2025-10-01"],
         "invalid-zone-change"),
        (["org", "set", "north", "--name", "North Clinic"], "nothing-to-change"),
        (["org", "set", "nobody", "--name", "X"], "unknown-organisation"),
    ],
)  # fmt: skip
def test_a_bad_control_is_refused_and_changes_nothing(
    north: Cli, command: list[str], code: str
) -> None:
    before = usage_state(north)
    message = north.refused(code, *command, today="2025-10-31")
    assert message
    assert usage_state(north) == before


def test_a_retracted_usage_record_cannot_be_retracted_twice(north: Cli) -> None:
    north.ok("usage", "retract", "3", "--reason", "wrong client", today="2025-10-02")
    before = usage_state(north)
    message = north.refused(
        "usage-not-correctable", "usage", "retract", "3", "--reason", "again", today="2025-10-03"
    )
    assert "already retracted" in message
    assert usage_state(north) == before


def test_a_removed_addon_is_not_billed_from_its_date_and_history_shows_it(north: Cli) -> None:
    north.ok("seat", "addon", "remove", "s-1", "library", "--on", "2025-09-20",
             "--reason", "cancelled", today="2025-09-25")  # fmt: skip
    before = north.json("seats", "north", "--on", "2025-09-19", today="2025-09-25")
    after = north.json("seats", "north", "--on", "2025-09-20", today="2025-09-25")
    assert [s["addons"] for s in before["seats"]] == [["library"]]
    assert [s["addons"] for s in after["seats"]] == [[]]
    assert after["seats"][0]["activated_on"] == DAY
    history = north.json("seat", "history", "s-1", today="2025-09-25")
    assert history["facts"][-1]["kind"] == "addon-removed"
    assert history["active_intervals"][0]["addon_changes"] == [{"from": "2025-09-20", "addons": []}]
    run = north.json("bill", "run", "--period", "2025-09", "--org", "north", today="2025-10-01")
    assert [line["kind"] for line in run["invoices"][0]["lines"]] == ["seat"]
    north.ok("seat", "addon", "add", "s-1", "library", today="2025-10-03")
    again = north.json("seats", "north", "--on", "2025-10-03", today="2025-10-03")
    assert [s["addons"] for s in again["seats"]] == [["library"]]


def test_org_set_renames_changes_the_zone_from_a_date_and_org_show_says_so(north: Cli) -> None:
    changed = north.json(
        "org", "set", "north", "--name", "North Clinics", "--timezone", "Asia/Tokyo",
        "--timezone-from", "2025-11-01", "--no-billing-relationship", today="2025-10-05",
    )  # fmt: skip
    assert (changed["name"], changed["billing_relationship"]) == ("North Clinics", False)
    assert changed["timezone_changes"][0]["from"] == "2025-11-01"
    before = north.json("org", "show", "north", today="2025-10-31")
    after = north.json("org", "show", "north", today="2025-11-02")
    assert (before["timezone"], after["timezone"]) == ("Europe/Amsterdam", "Asia/Tokyo")
    assert after["timezone_added_with"] == "Europe/Amsterdam"
    shown = north.ok("org", "show", "north", today="2025-10-31")
    assert "timezone from 2025-11-01" in shown
    assert "Asia/Tokyo" in shown
    listed = north.json("org", "list", today="2025-11-02")["organisations"]
    assert listed[0]["timezone_changes"][0]["timezone"] == "Asia/Tokyo"
    entry = north.json("audit", "--org", "north", today="2025-11-02")["entries"][-1]
    assert entry["action"] == "org.set"
    assert "Europe/Amsterdam -> Asia/Tokyo from 2025-11-01" in entry["summary"]


def test_timezone_from_without_a_timezone_is_a_usage_error(north: Cli) -> None:
    outcome = north("org", "set", "north", "--timezone-from", "2025-11-01", today="2025-10-05")
    assert outcome.code == 2
    assert "--timezone-from needs --timezone" in outcome.err


def test_a_retried_usage_correction_with_its_key_corrects_once(north: Cli) -> None:
    command = ["usage", "correct", "2", "--quantity", "1", "--reason", "duplicates"]
    first = north.ok("--idempotency-key", "fix-2", *command, today="2025-10-02")
    again = north.ok("--idempotency-key", "fix-2", *command, today="2025-10-02")
    assert first == again
    listed = north.json("usage", "list", "north", today="2025-10-02")["records"]
    assert [r["seq"] for r in listed if r["status"] == "in force"] == [3, 4]
    north.refused(
        "idempotency-key-reused", "--idempotency-key", "fix-2", "usage", "retract", "3",
        "--reason", "x", today="2025-10-02",
    )  # fmt: skip
