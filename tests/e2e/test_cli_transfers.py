"""Billing ownership from the command line: requests, approvals, take-overs, admins and PINs.

The worked example of docs/transfers.md: North Clinic counts its seats at
month end; South Clinic's admin sam approves with a PIN, in time or too late.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_driver import Cli
from click.testing import CliRunner

from seatledger.entrypoints.bootstrap import in_memory_services
from seatledger.entrypoints.cli.main import cli as seatledger

SAM_PIN = "738194"
KIM_PIN = "502913"
WEST_PIN = "461937"


def clinics(cli: Cli) -> None:
    """North pays for p-17 since 1 September; South and West are billable; sam and kim admin
    South; wes admins West. Both clinics have a monthly month-end standard contract."""
    day = "2025-09-01"
    cli.ok("org", "add", "north", "--name", "North Clinic", today=day)
    cli.ok("org", "add", "south", "--name", "South Clinic", today=day)
    cli.ok("org", "add", "west", "--name", "West Clinic", today=day)
    cli.ok("org", "add", "guests", "--name", "Guest school", "--no-billing-relationship",
           today=day)  # fmt: skip
    for org in ("north", "south"):
        cli.ok("contract", "set", org, "--plan", "standard", "--cadence", "monthly", today=day)
    cli.ok("admin", "add", "south", "sam", today=day, pin=SAM_PIN)
    cli.ok("admin", "add", "south", "kim", today=day, pin=KIM_PIN)
    cli.ok("admin", "add", "west", "wes", today=day, pin=WEST_PIN)
    cli.ok("seat", "activate", "p-17", "--org", "north", "--holder", "Ada", today=day)
    cli.ok("seat", "activate", "p-18", "--org", "north", "--holder", "Alan", today=day)


def request(cli: Cli, seat: str = "p-17", today: str = "2025-10-20", *extra: str) -> str:
    made = cli.json("transfer", "request", seat, "--to", "south", *extra, today=today)
    request_id: str = made["request"]
    return request_id


def payer_on(cli: Cli, seat: str, day: str) -> str | None:
    for org in ("north", "south", "west"):
        answer = cli.json("seats", org, "--on", day)
        if any(row["seat"] == seat for row in answer["seats"]):
            return org
    return None


def state(cli: Cli) -> dict[str, Any]:
    """Everything a refused command must leave unchanged, read through --json."""
    return {
        "requests": cli.json("transfer", "list", today="2025-10-25"),
        "p-17": cli.json("seat", "history", "p-17"),
        "p-18": cli.json("seat", "history", "p-18"),
        "south": cli.json("seats", "south", "--on", "2025-10-25"),
    }


def test_a_request_prints_its_id_and_is_listed_with_its_deadline(cli: Cli):
    clinics(cli)
    text = cli.ok("transfer", "request", "p-17", "--to", "south", today="2025-10-20")
    request_id = text.splitlines()[0]
    assert request_id.startswith("TR-")
    assert "2025-10-31" in text
    [listed] = cli.json("transfer", "list", "--org", "south", "--pending",
                        today="2025-10-20")["requests"]  # fmt: skip
    assert {k: listed[k] for k in ("request", "seat", "from", "to", "status", "deadline")} == {
        "request": request_id,
        "seat": "p-17",
        "from": "north",
        "to": "south",
        "status": "pending",
        "deadline": "2025-10-31",
    }
    table = cli.ok("transfer", "list", "--org", "north", "--pending", today="2025-10-20")
    assert request_id in table
    assert "2025-10-31" in table
    # A pending request changes nobody's bill.
    assert payer_on(cli, "p-17", "2025-10-20") == "north"


def test_the_json_of_a_request_has_the_shape_of_the_contract(cli: Cli):
    clinics(cli)
    made = cli.json("transfer", "request", "p-17", "--to", "south", "--expires-in", "7",
                            "--reason", "moved", today="2025-10-20")  # fmt: skip
    assert {"request", "seat", "from", "to", "status"} <= made.keys()
    assert (made["seat"], made["from"], made["to"], made["status"]) == (
        "p-17", "north", "south", "pending",
    )  # fmt: skip
    assert (made["requested_on"], made["expires_on"], made["deadline"]) == (
        "2025-10-20", "2025-10-27", "2025-10-31",
    )  # fmt: skip


def test_the_deadline_follows_the_senders_contract_rule(cli: Cli):
    clinics(cli)
    cli.ok("org", "add", "east", "--name", "East", today="2025-09-01")
    cli.ok("contract", "set", "east", "--plan", "standard", "--cadence", "monthly",
           "--reference", "day:15", today="2025-09-01")  # fmt: skip
    cli.ok("seat", "activate", "e-1", "--org", "east", today="2025-09-01")
    made = cli.json("transfer", "request", "e-1", "--to", "south", today="2025-10-16")
    assert made["deadline"] == "2025-11-15"


def test_approved_on_the_reference_date_the_receiver_pays_for_that_month(cli: Cli):
    clinics(cli)
    request_id = request(cli)
    approved = cli.json("transfer", "approve", request_id, "--admin", "sam",
                        today="2025-10-31", pin=SAM_PIN)  # fmt: skip
    assert (approved["status"], approved["decided_on"]) == ("approved", "2025-10-31")
    assert "admin sam of south" in approved["decided_by"]
    assert payer_on(cli, "p-17", "2025-10-31") == "south"
    assert payer_on(cli, "p-17", "2025-10-30") == "north"
    run = cli.json("bill", "run", "--period", "2025-10", today="2025-11-01")
    seats = {
        i["org"]: cli.json("invoice", "evidence", i["invoice"])["seats"] for i in run["invoices"]
    }
    assert [s["seat"] for s in seats["south"]] == ["p-17"]
    assert [s["seat"] for s in seats["north"]] == ["p-18"]


def test_approved_the_day_after_the_reference_date_the_sender_still_pays(cli: Cli):
    clinics(cli)
    request_id = request(cli)
    cli.ok("transfer", "approve", request_id, "--admin", "sam", today="2025-11-01", pin=SAM_PIN)
    assert payer_on(cli, "p-17", "2025-10-31") == "north"
    assert payer_on(cli, "p-17", "2025-11-01") == "south"
    october = cli.json("bill", "run", "--period", "2025-10", today="2025-11-01")
    [north] = [i for i in october["invoices"] if i["org"] == "north"]
    evidence = cli.json("invoice", "evidence", north["invoice"])
    assert [s["seat"] for s in evidence["seats"]] == ["p-17", "p-18"]
    assert north["subtotal"] == "78.00"
    november = cli.json("bill", "run", "--period", "2025-11", today="2025-12-01")
    by_org = {i["org"]: i["subtotal"] for i in november["invoices"]}
    assert by_org == {"north": "39.00", "south": "39.00"}


def test_reject_withdraw_and_expiry_leave_the_sender_paying(cli: Cli):
    clinics(cli)
    first = request(cli)
    rejected = cli.json("transfer", "reject", first, "--admin", "kim", "--reason", "not ours",
                        today="2025-10-21", pin=KIM_PIN)  # fmt: skip
    assert rejected["status"] == "rejected"
    second = request(cli, "p-17", "2025-10-22")
    assert cli.json("transfer", "withdraw", second, today="2025-10-23")["status"] == "withdrawn"
    cli.refused("request-not-pending", "transfer", "withdraw", second, today="2025-10-23")
    third = request(cli, "p-17", "2025-10-23", "--expires-in", "2")
    assert cli.json("transfer", "expire", today="2025-10-25")["expired"] == []
    cli.refused("request-expired", "transfer", "approve", third, "--admin", "sam",
                today="2025-10-26", pin=SAM_PIN)  # fmt: skip
    expired = cli.json("transfer", "expire", today="2025-10-26")["expired"]
    assert [r["request"] for r in expired] == [third]
    assert cli.json("transfer", "expire", today="2025-10-26")["expired"] == []
    statuses = {
        r["request"]: r["status"]
        for r in cli.json("transfer", "list", "--org", "north", today="2025-10-26")["requests"]
    }
    assert statuses == {first: "rejected", second: "withdrawn", third: "expired"}
    assert payer_on(cli, "p-17", "2025-10-26") == "north"
    history = cli.json("seat", "history", "p-17")
    kinds = [f["kind"] for f in history["facts"]]
    assert kinds == [
        "activated",
        "transfer-requested",
        "transfer-rejected",
        "transfer-requested",
        "transfer-withdrawn",
        "transfer-requested",
        "transfer-expired",
    ]
    assert "transfer-rejected" in cli.ok("seat", "history", "p-17")


def test_a_take_over_moves_billing_at_once_and_is_refused_while_a_request_is_pending(
    cli: Cli,
):
    clinics(cli)
    pending = request(cli, "p-18", "2025-10-10")
    cli.refused("transfer-already-pending", "takeover", "p-18", "--by", "south", "--admin",
                "sam", today="2025-10-10", pin=SAM_PIN)  # fmt: skip
    cli.refused("transfer-already-pending", "transfer", "request", "p-18", "--to", "west",
                today="2025-10-10")  # fmt: skip
    cli.ok("transfer", "withdraw", pending, today="2025-10-11")
    taken = cli.json("takeover", "p-18", "--by", "west", "--admin", "wes", "--reason",
                     "joined West", today="2025-10-12", pin=WEST_PIN)  # fmt: skip
    assert (taken["kind"], taken["org"], taken["from_org"]) == ("taken-over", "west", "north")
    assert payer_on(cli, "p-18", "2025-10-12") == "west"
    assert payer_on(cli, "p-18", "2025-10-11") == "north"
    history = cli.ok("seat", "history", "p-18")
    assert "taken-over" in history
    assert "admin wes of west" in history


def test_seats_as_known_before_the_approval_show_the_sender_paying(cli: Cli):
    clinics(cli)
    request_id = request(cli)
    before = cli.json("seats", "north", "--on", "2025-10-31")["as_known_at"]
    cli.ok("transfer", "approve", request_id, "--admin", "sam", today="2025-10-31", pin=SAM_PIN)
    then = cli.json("seats", "north", "--on", "2025-10-31", "--as-known-at", before)
    assert [s["seat"] for s in then["seats"]] == ["p-17", "p-18"]
    now = cli.json("seats", "north", "--on", "2025-10-31")
    assert [s["seat"] for s in now["seats"]] == ["p-18"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("transfer", "request", "p-17", "--to", "guests"), "no-billing-relationship"),
        (("transfer", "request", "p-17", "--to", "north"), "same-organisation"),
        (("transfer", "request", "p-17", "--to", "nowhere"), "unknown-organisation"),
        (("transfer", "request", "p-99", "--to", "south"), "unknown-seat"),
        (("transfer", "request", "p-17", "--to", "south", "--expires-in", "0"), "invalid-expiry"),
        (("transfer", "approve", "TR-999", "--admin", "sam"), "unknown-request"),
        (("takeover", "p-17", "--by", "guests", "--admin", "sam"), "no-billing-relationship"),
    ],
)
def test_a_refused_transfer_changes_nothing(cli: Cli, args: tuple[str, ...], code: str):
    clinics(cli)
    before = state(cli)
    cli.refused(code, *args, today="2025-10-20", pin=SAM_PIN)
    assert state(cli) == before


def test_a_wrong_pin_is_counted_and_five_lock_the_admin_until_another_unlocks(cli: Cli):
    clinics(cli)
    request_id = request(cli)
    before = state(cli)
    message = cli.refused("wrong-pin", "transfer", "approve", request_id, "--admin", "sam",
                          today="2025-10-21", pin="111222")  # fmt: skip
    assert "4 attempt(s) left" in message
    for _ in range(3):
        cli.refused("wrong-pin", "transfer", "approve", request_id, "--admin", "sam",
                    today="2025-10-21", pin="111222")  # fmt: skip
    message = cli.refused("wrong-pin", "transfer", "approve", request_id, "--admin", "sam",
                          today="2025-10-21", pin="111222")  # fmt: skip
    assert "now locked" in message
    cli.refused("admin-locked", "transfer", "approve", request_id, "--admin", "sam",
                today="2025-10-21", pin=SAM_PIN)  # fmt: skip
    assert state(cli) == before
    admins = {a["admin"]: a for a in cli.json("admin", "list", "south")["admins"]}
    assert (admins["sam"]["locked"], admins["sam"]["failed_attempts"]) == (True, 5)
    assert "pin_hash" not in admins["sam"]
    cli.refused("cannot-unlock-self", "admin", "unlock", "south", "sam", "--by", "sam",
                today="2025-10-21", pin=SAM_PIN)  # fmt: skip
    cli.refused("wrong-pin", "admin", "unlock", "south", "sam", "--by", "kim",
                today="2025-10-21", pin="999888")  # fmt: skip
    unlocked = cli.json("admin", "unlock", "south", "sam", "--by", "kim", today="2025-10-21",
                        pin=KIM_PIN)  # fmt: skip
    assert (unlocked["locked"], unlocked["failed_attempts"]) == (False, 0)
    cli.ok("transfer", "approve", request_id, "--admin", "sam", today="2025-10-22", pin=SAM_PIN)
    assert payer_on(cli, "p-17", "2025-10-22") == "south"


def test_an_admin_of_another_organisation_is_unknown_there(cli: Cli):
    clinics(cli)
    request_id = request(cli)
    before = state(cli)
    message = cli.refused("unknown-admin", "transfer", "approve", request_id, "--admin", "wes",
                          today="2025-10-21", pin=WEST_PIN)  # fmt: skip
    assert "wes" in message
    assert state(cli) == before


@pytest.mark.parametrize("pin", ["987", "abcd", "1111", "1234567890123"])
def test_a_weak_or_malformed_pin_is_refused(cli: Cli, pin: str):
    cli.ok("org", "add", "south", "--name", "South Clinic", today="2025-09-01")
    message = cli.refused("invalid-text", "admin", "add", "south", "sam",
                                  today="2025-09-01", pin=pin)  # fmt: skip
    assert pin not in message
    assert cli.json("admin", "list", "south")["admins"] == []


def test_the_pin_is_read_from_a_hidden_prompt_twice(tmp_path: Path):
    services = in_memory_services(None)
    runner = CliRunner()
    added = runner.invoke(
        seatledger, ["--today", "2025-09-01", "org", "add", "south", "--name", "South"],
        obj=services,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    prompted = runner.invoke(
        seatledger, ["admin", "add", "south", "sam"], input=f"{SAM_PIN}\n{SAM_PIN}\n",
        obj=services, env={"SEATLEDGER_PIN": None},
    )  # fmt: skip
    assert prompted.exit_code == 0, prompted.output
    assert "PIN for admin sam of south" in prompted.output
    assert SAM_PIN not in prompted.output
    listed = runner.invoke(seatledger, ["--json", "admin", "list", "south"], obj=services)
    assert '"admin": "sam"' in listed.output
    mismatch = runner.invoke(
        seatledger, ["admin", "add", "south", "kim"], input="502913\n502914\n",
        obj=services, env={"SEATLEDGER_PIN": None},
    )  # fmt: skip
    assert mismatch.exit_code != 0
    assert "502913" not in mismatch.output


def test_the_pin_never_appears_in_output_or_in_the_database_file(cli: Cli):
    """On a real SQLite file (WAL): the PIN is in no stream and in no byte of the database."""
    outputs: list[str] = []

    def run(*args: str, today: str, pin: str | None = None, json_: bool = False) -> None:
        outcome = cli(*args, today=today, pin=pin, json_=json_)
        outputs.extend((outcome.out, outcome.err))

    day = "2025-09-01"
    run("org", "add", "north", "--name", "North", today=day)
    run("org", "add", "south", "--name", "South", today=day)
    run("admin", "add", "south", "sam", today=day, pin=SAM_PIN)
    run("admin", "add", "south", "sam", today=day, pin=SAM_PIN, json_=True)  # admin-exists
    run("--json", "admin", "list", "south", today=day)
    run("seat", "activate", "p-1", "--org", "north", today=day)
    run("seat", "activate", "p-2", "--org", "north", today=day)
    run("takeover", "p-1", "--by", "south", "--admin", "sam", today=day, pin="000999")
    run("takeover", "p-1", "--by", "south", "--admin", "sam", today=day, pin=SAM_PIN)
    run("seat", "history", "p-1", today=day, json_=True)
    run("transfer", "request", "p-2", "--to", "south", today=day)
    run("transfer", "approve", "TR-999", "--admin", "sam", today=day, pin=SAM_PIN)
    run("transfer", "list", today=day, json_=True)
    wrong = "000999"
    for text in outputs:
        assert SAM_PIN not in text
        assert wrong not in text
    assert "south" in "".join(outputs)
    files = [p for p in cli.db.parent.iterdir() if p.name.startswith(cli.db.name)]
    assert cli.db in files
    for path in files:
        data = path.read_bytes()
        assert SAM_PIN.encode() not in data, path
        assert wrong.encode() not in data, path
        assert SAM_PIN.encode("utf-16-le") not in data, path
