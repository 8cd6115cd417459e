"""The installed command line in its own process: exit codes, streams, help, the demo."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Cli, run_process

ANSI = re.compile(r"\x1b\[")
COMMANDS = [
    [],
    ["init"],
    ["demo"],
    ["org"],
    ["org", "add"],
    ["org", "list"],
    ["org", "show"],
    ["seat"],
    ["seat", "activate"],
    ["seat", "deactivate"],
    ["seat", "complete"],
    ["seat", "reactivate"],
    ["seat", "correct"],
    ["seat", "retract"],
    ["seat", "history"],
    ["seat", "import"],
    ["seats"],
]


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
    again = run_process(["--db", str(tmp_path / "demo.db"), "demo"], {}, cwd=tmp_path)
    assert again.code == 2
    assert "needs an empty database" in again.err
