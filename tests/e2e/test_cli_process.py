"""The installed command line in its own process: exit codes, streams, help, the demo."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_driver import Cli, run_process
from peppol_validator import validate

ANSI = re.compile(r"\x1b\[")
COMMANDS = [
    [],
    ["init"],
    ["demo"],
    ["org"],
    ["org", "add"],
    ["org", "list"],
    ["org", "show"],
    ["org", "set"],
    ["org", "contact"],
    ["seat"],
    ["seat", "activate"],
    ["seat", "deactivate"],
    ["seat", "complete"],
    ["seat", "reactivate"],
    ["seat", "correct"],
    ["seat", "retract"],
    ["seat", "history"],
    ["seat", "import"],
    ["seat", "addon"],
    ["seat", "addon", "add"],
    ["seat", "addon", "remove"],
    ["seats"],
    ["roster"],
    ["roster", "import"],
    ["admin"],
    ["admin", "add"],
    ["admin", "list"],
    ["admin", "unlock"],
    ["contract"],
    ["contract", "set"],
    ["contract", "show"],
    ["transfer"],
    ["transfer", "request"],
    ["transfer", "approve"],
    ["transfer", "reject"],
    ["transfer", "withdraw"],
    ["transfer", "list"],
    ["transfer", "expire"],
    ["takeover"],
    ["operator"],
    ["operator", "add"],
    ["operator", "list"],
    ["audit"],
    ["serve"],
    ["apikey"],
    ["apikey", "create"],
    ["apikey", "list"],
    ["apikey", "revoke"],
    ["usage"],
    ["usage", "record"],
    ["usage", "list"],
    ["usage", "correct"],
    ["usage", "retract"],
    ["bill"],
    ["bill", "run"],
    ["invoice"],
    ["invoice", "list"],
    ["invoice", "show"],
    ["invoice", "explain"],
    ["invoice", "verify"],
    ["invoice", "seal"],
    ["invoice", "evidence"],
    ["invoice", "export"],
    ["seller"],
    ["seller", "set"],
    ["seller", "show"],
    ["notify"],
    ["notify", "deliver"],
    ["notify", "list"],
    ["remind"],
]


def test_every_command_is_in_the_help_test():
    from seatledger.entrypoints.cli.main import cli

    def walk(group: object, prefix: list[str]) -> list[list[str]]:
        import click

        found = [prefix]
        if isinstance(group, click.Group):
            for name, command in group.commands.items():
                found += walk(command, [*prefix, name])
        return found

    assert sorted(walk(cli, [])) == sorted(COMMANDS)


@pytest.fixture
def process(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "ledger.db", subprocess_=True)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "seatledger")
def test_every_command_explains_itself_with_an_example(cli: Cli, command: list[str]):
    outcome = cli(*command, "--help")
    assert outcome.code == 0
    assert "Example" in outcome.out
    assert "seatledger" in outcome.out


def test_the_installed_script_runs_a_day_of_work_in_plain_text(process: Cli, tmp_path: Path):
    script = Path(sys.executable).parent / "seatledger"
    assert script.exists()
    env = {**process.env, "PATH": str(script.parent)}
    done = subprocess.run(
        [str(script), "--today", "2017-08-01", "init"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "revision" in done.stdout
    process.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-08-01")
    process.ok("seat", "activate", "s-1", "--org", "xtra", "--holder", "Ada", today="2017-08-01")
    table = process.ok("seats", "xtra", "--on", "2017-08-01")
    assert "xtra: 1 seats billable on 2017-08-01" in table
    assert "Ada" in table
    assert not ANSI.search(table)


def test_a_refusal_in_json_is_an_error_object_on_stderr_and_nothing_on_stdout(process: Cli):
    outcome = process("seats", "nobody", "--on", "9/1/2017", json_=True)
    assert outcome.code == 1
    assert outcome.out == ""
    assert outcome.error() == {
        "code": "invalid-date",
        "message": "'9/1/2017' is not a valid date: expected an ISO date YYYY-MM-DD",
    }


def test_a_usage_error_exits_with_2(process: Cli):
    outcome = process("seats", "xtra")
    assert outcome.code == 2
    assert "Usage:" in outcome.err


def test_a_database_at_an_older_revision_is_refused_with_a_call_to_run_init(process: Cli):
    process.ok("init")
    with sqlite3.connect(process.db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000'")
    refused = process("org", "list")
    assert refused.code == 1
    assert "database-not-initialised" in refused.err
    assert "run 'seatledger init'" in refused.err


def test_a_sqlite_file_of_another_application_is_not_touched(process: Cli):
    with sqlite3.connect(process.db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    refused = process("org", "list")
    assert refused.code == 1
    assert "has no seatledger schema" in refused.err
    with sqlite3.connect(process.db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"invoices"}


def test_the_demo_tells_the_xtra_lease_dispute_in_a_few_seconds(tmp_path: Path):
    started = time.monotonic()
    outcome = run_process(["--db", str(tmp_path / "demo.db"), "demo"], {}, cwd=tmp_path)
    assert outcome.code == 0, outcome.err
    assert time.monotonic() - started < 30
    assert "Xtra Lease: 403 seats active on 2025-09-01, licensed for 400: 3 over" in outcome.out
    assert "today we only have 391 active users" in outcome.out
    assert "403 seats, the very same rows" in outcome.out
    out = outcome.out
    assert "Overage: 403 seats active on 2025-09-01, 400 licensed: 3 x 12.50 = 37.50 EUR" in out
    assert "approved in time -> counted on INV-2025-10-sakura" in out
    assert "approved too late -> counted on INV-2025-10-nordwind" in out
    assert "refused (payment-method-required)" in out
    assert "INV-2025-11-xtra: Adjustment (credit) to INV-2025-09-xtra" in out
    # One seat fewer above the licence is one overage seat fewer; the licence fee stays.
    assert "no longer counted: xtra-0079: -12.50" in out
    assert "Standard licence, 400 seats, month 2025-09: 400 x 39.00 = 15600.00 EUR" in out
    assert "all 34 invoices verified" in out
    assert "FORECAST" in out
    for pin in ("582046", "730915", "264871", "915302", "407718"):
        assert pin not in out
        assert pin not in outcome.err
    # The demo's database answers the command line afterwards.
    db = ["--db", str(tmp_path / "demo.db")]
    checked = run_process([*db, "invoice", "verify", "INV-2025-09-xtra"], {}, cwd=tmp_path)
    assert checked.code == 0, checked.err
    assert "every check passed" in checked.out
    shown = run_process([*db, "--json", "invoice", "show", "INV-2025-09-xtra"], {}, cwd=tmp_path)
    assert '"total": "19555.42"' in shown.out
    # It ends by exporting an invoice and a credit note, as PDF and as Peppol UBL.
    assert "invoice documents (seatledger invoice export)" in out
    written = re.findall(r"(/\S+\.(?:pdf|xml))", out)
    assert len(written) == 4
    assert all(Path(p).read_bytes()[:5] in (b"%PDF-", b"<?xml") for p in written)
    validate([Path(p) for p in written if p.endswith(".xml")])
    again = run_process(["--db", str(tmp_path / "demo.db"), "demo"], {}, cwd=tmp_path)
    assert again.code == 2
    assert "needs an empty database" in again.err


def test_a_month_of_billing_in_separate_processes(process: Cli):
    """The 141.57 invoice, refused early, forecast, issued once, verified: each a process."""
    process.ok("org", "add", "north", "--name", "North Clinic", today="2025-09-01")
    process.ok("contract", "set", "north", "--plan", "standard", "--cadence", "monthly",
               today="2025-09-01")  # fmt: skip
    for seat in ("s0", "s1", "s2"):
        process.ok("seat", "activate", seat, "--org", "north", today="2025-09-02")
    early = process("bill", "run", "--period", "2025-09", "--org", "north", today="2025-09-29")
    assert early.code == 1
    assert "reference-date-not-reached" in early.err
    forecast = process.ok("bill", "run", "--period", "2025-09", "--dry-run", today="2025-09-29")
    assert "FORECAST" in forecast
    run = process.json("bill", "run", "--period", "2025-09", today="2025-10-01")
    assert run["invoices"][0]["total"] == "141.57"
    again = process.json("bill", "run", "--period", "2025-09", today="2025-10-01")
    assert [o["outcome"] for o in again["outcomes"]] == ["already issued"]
    assert "every check passed" in process.ok("invoice", "verify", "INV-2025-09-north")
    evidence = process.ok("invoice", "evidence", "INV-2025-09-north", "--format", "csv")
    assert evidence.splitlines()[0] == (
        "seat,holder,kind,activated_on,deactivated_on,paying_org,addons"
    )
    assert len(evidence.splitlines()) == 4


def test_a_transfer_approved_with_a_pin_in_separate_processes(process: Cli):
    pin = "738194"
    process.ok("org", "add", "north", "--name", "North", today="2025-10-01")
    process.ok("org", "add", "south", "--name", "South", today="2025-10-01")
    process.ok("contract", "set", "north", "--plan", "standard", "--cadence", "monthly",
               today="2025-10-01")  # fmt: skip
    process.ok("admin", "add", "south", "sam", today="2025-10-01", pin=pin)
    process.ok("seat", "activate", "p-17", "--org", "north", today="2025-10-01")
    request = process.ok("transfer", "request", "p-17", "--to", "south", today="2025-10-20")
    request_id = request.splitlines()[0]
    wrong = process("transfer", "approve", request_id, "--admin", "sam", today="2025-10-21",
                    pin="111999")  # fmt: skip
    assert wrong.code == 1
    assert "wrong-pin" in wrong.err
    assert "4 attempt(s) left" in wrong.err
    done = process("transfer", "approve", request_id, "--admin", "sam", today="2025-11-01",
                   pin=pin)  # fmt: skip
    assert done.code == 0, done
    for text in (request, wrong.out, wrong.err, done.out, done.err):
        assert pin not in text
    october = process.json("seats", "north", "--on", "2025-10-31")
    assert [s["seat"] for s in october["seats"]] == ["p-17"]
    history = process.ok("seat", "history", "p-17")
    assert "transfer-requested" in history
    assert "transfer-approved" in history


def test_the_pin_prompt_reads_a_hidden_line_twice_in_a_real_process(process: Cli, tmp_path: Path):
    """Without a terminal (a new session, no controlling tty) the prompt reads stdin."""
    process.ok("org", "add", "south", "--name", "South", today="2025-10-01")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SEATLEDGER_")}
    done = subprocess.run(
        [sys.executable, "-m", "seatledger.entrypoints.cli.main", "admin", "add", "south", "sam"],
        input="738194\n738194\n",
        capture_output=True,
        text=True,
        env={**clean, **process.env},
        cwd=tmp_path,
        timeout=60,
        start_new_session=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "738194" not in done.stdout
    assert "738194" not in done.stderr
    assert "PIN for admin sam of south" in done.stderr
    assert "sam" in process.ok("admin", "list", "south")


def test_the_demo_shows_money_over_a_contract_s_life(tmp_path: Path):
    """A switch to annual, an annual contract signed mid-year and seats moved between monthly
    and annual payers, each with its invoice lines (docs/billing.md)."""
    outcome = run_process(["--db", str(tmp_path / "demo.db"), "demo"], {}, cwd=tmp_path)
    assert outcome.code == 0, outcome.err
    out = outcome.out
    assert "10 of 12 months, 2025-11 to 2026-08: seats active on 2025-10-31: 3 x 325.00" in out
    assert "10 of 12 months, 2025-11 to 2026-08: seats active on 2025-10-31: 4 x 325.00" in out
    assert "11 of 12 months, 2025-10 to 2026-08: active on 2025-10-31: 1 x 357.50 = 357.50" in out
    assert "paid in advance by another organisation, so owing nothing: lakeshore-" in out
