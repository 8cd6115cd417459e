"""Every bad input is refused with its code and message, and nothing is changed.

One database for the module: a refusal changes nothing, and each test checks
exactly that by comparing what the ledger answers before and after.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_driver import Cli, write_csv

LAST_DAY = "2017-10-17"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    cli = Cli(tmp_path_factory.mktemp("refusals") / "ledger.db")
    cli.ok("org", "add", "xtra", "--name", "Xtra Lease", today="2017-03-01")
    cli.ok("seat", "activate", "s-001", "--org", "xtra", today="2017-03-01")
    cli.ok("seat", "activate", "s-002", "--org", "xtra", today="2017-03-01")
    cli.ok("seat", "activate", "s-003", "--org", "xtra", today="2017-06-01")
    cli.ok("seat", "deactivate", "s-002", today="2017-06-30")
    cli.ok("seat", "activate", "s-004", "--org", "xtra", today=LAST_DAY)
    return cli


def state(cli: Cli) -> tuple[str, ...]:
    """Everything a refusal must leave as it was."""
    return (
        cli("seats", "xtra", "--from", "2017-01-01", "--to", LAST_DAY, json_=True).out,
        cli("seat", "history", "s-001", json_=True).out,
        cli("seat", "history", "s-002", json_=True).out,
        cli("org", "list", json_=True).out,
    )


REFUSALS = [
    pytest.param(
        ["seats", "xtra", "--on", "9/1/2017"],
        "invalid-date",
        "'9/1/2017' is not a valid date",
        id="american-date",
    ),
    pytest.param(
        ["seats", "xtra", "--on", "2025-02-30"], "invalid-date", "no such day", id="30-february"
    ),
    pytest.param(
        ["seat", "activate", "s-9", "--org", "xtra", "--on", "9/1/2017"],
        "invalid-date",
        "'9/1/2017'",
        id="american-date-on-activate",
    ),
    pytest.param(
        ["--today", "9/1/2017", "org", "list"], "invalid-date", "'9/1/2017'", id="american-today"
    ),
    pytest.param(
        ["seats", "xtra", "--on", "2017-09-01", "--as-known-at", "2017-09-01T12:00:00"],
        "naive-instant",
        "has no time zone",
        id="naive-instant",
    ),
    pytest.param(
        ["seats", "xtra", "--on", "2017-09-01", "--as-known-at", "yesterday"],
        "invalid-instant",
        "'yesterday'",
        id="bad-instant",
    ),
    pytest.param(
        ["seats", "xtra", "--from", "2017-09-30", "--to", "2017-09-01"],
        "range-reversed",
        "starts on 2017-09-30, after its end",
        id="from-after-to",
    ),
    pytest.param(
        ["seats", "nobody", "--on", "2017-09-01"],
        "unknown-organisation",
        "no organisation 'nobody'",
        id="unknown-org",
    ),
    pytest.param(
        ["seat", "activate", "s-9", "--org", "nobody"],
        "unknown-organisation",
        "'nobody'",
        id="activate-for-unknown-org",
    ),
    pytest.param(
        ["seat", "history", "s-404"], "unknown-seat", "no seat 's-404'", id="unknown-seat-history"
    ),
    pytest.param(
        ["seat", "deactivate", "s-404"],
        "unknown-seat",
        "no seat 's-404'",
        id="unknown-seat-deactivate",
    ),
    pytest.param(
        ["seat", "activate", "s-001", "--org", "xtra"],
        "seat-exists",
        "'s-001' exists already",
        id="activate-twice",
    ),
    pytest.param(
        ["seat", "reactivate", "s-001"],
        "seat-already-active",
        "'s-001' is already active",
        id="already-active",
    ),
    pytest.param(
        ["seat", "deactivate", "s-002"], "seat-not-active", "'s-002' is not active", id="not-active"
    ),
    pytest.param(
        ["seat", "deactivate", "s-003", "--on", "2017-05-01", "--reason", "typo"],
        "deactivation-before-activation",
        "activated on 2017-06-01, which is later",
        id="deactivation-before-activation",
    ),
    pytest.param(
        ["seat", "deactivate", "s-001", "--on", "2017-09-15"],
        "backdated-without-reason",
        "needs --reason",
        id="backdated-without-reason",
    ),
    pytest.param(
        ["seat", "deactivate", "s-001", "--on", "2017-12-01"],
        "future-date",
        "lies after today",
        id="future-date",
    ),
    pytest.param(
        ["--today", "2017-10-01", "seat", "activate", "s-010", "--org", "xtra"],
        "clock-went-backwards",
        "recorded order must stay monotonic",
        id="clock-backwards",
    ),
    pytest.param(
        ["seat", "activate", "s-9", "--org", "xtra", "--kind", "teacher"],
        "invalid-seat-kind",
        "'teacher' is not a seat kind",
        id="unknown-kind",
    ),
    pytest.param(
        ["seat", "activate", "s 9", "--org", "xtra"],
        "invalid-identifier",
        "'s 9' is not a valid seat id",
        id="bad-seat-id",
    ),
    pytest.param(
        ["org", "add", "xtra", "--name", "Again"],
        "organisation-exists",
        "'xtra' exists already",
        id="org-twice",
    ),
    pytest.param(
        ["org", "add", "mars", "--name", "Mars", "--timezone", "Mars/Olympus"],
        "invalid-timezone",
        "'Mars/Olympus'",
        id="bad-timezone",
    ),
    pytest.param(
        ["org", "add", "mars", "--name", "Mars", "--currency", "XYZ"],
        "invalid-currency",
        "'XYZ'",
        id="bad-currency",
    ),
    pytest.param(
        ["seat", "correct", "s-001", "1", "--on", "2017-02-01"],
        "reason-required",
        "needs --reason",
        id="correction-without-reason",
    ),
    pytest.param(
        ["seat", "correct", "s-001", "99", "--on", "2017-02-01", "--reason", "x"],
        "unknown-fact",
        "has no fact #99",
        id="unknown-fact",
    ),
    pytest.param(
        ["seat", "retract", "s-002", "2"],
        "reason-required",
        "needs --reason",
        id="retraction-without-reason",
    ),
]


@pytest.mark.parametrize(("args", "code", "message"), REFUSALS)
def test_a_bad_input_is_refused_with_exit_1_its_code_and_message_and_nothing_changes(
    ledger: Cli, args: list[str], code: str, message: str
):
    before = state(ledger)
    as_text = ledger(*args, today=None if "--today" in args else LAST_DAY)
    assert as_text.code == 1, as_text
    assert as_text.out == ""
    assert f"refused ({code})" in as_text.err
    assert message in as_text.err
    as_json = ledger(*args, today=None if "--today" in args else LAST_DAY, json_=True)
    assert as_json.code == 1
    assert as_json.error()["code"] == code
    assert message in as_json.error()["message"]
    assert state(ledger) == before


USAGE_ERRORS = [
    pytest.param(
        ["seats", "xtra"], "give --on DATE, or --from DATE --to DATE", id="neither-on-nor-range"
    ),
    pytest.param(
        ["seats", "xtra", "--on", "2017-09-01", "--from", "2017-09-01", "--to", "2017-09-30"],
        "not both",
        id="on-and-range",
    ),
    pytest.param(["seats", "xtra", "--from", "2017-09-01"], "needs both", id="from-without-to"),
    pytest.param(
        ["seats", "xtra", "--on", "2017-09-01", "--throughout"],
        "applies to a range",
        id="throughout-on-a-day",
    ),
    pytest.param(
        ["seats", "xtra", "--on", "2017-09-01", "--format", "xlsx"], "xlsx", id="unknown-format"
    ),
    pytest.param(["seat", "activate", "s-9"], "--org", id="missing-org"),
    pytest.param(["seat", "fly", "s-9"], "No such command", id="unknown-command"),
    pytest.param(
        ["--catalog", "no-such-catalog.toml", "org", "list"], "does not exist", id="missing-catalog"
    ),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS)
def test_a_usage_error_exits_with_2_and_changes_nothing(ledger: Cli, args: list[str], message: str):
    before = state(ledger)
    outcome = ledger(*args)
    assert outcome.code == 2, outcome
    assert message in outcome.err
    as_json = ledger(*args, json_=True)
    assert as_json.code == 2
    assert as_json.error()["code"] == "usage-error"
    assert state(ledger) == before


def test_a_csv_with_bad_rows_is_refused_by_line_and_column_and_nothing_is_imported(
    ledger: Cli, tmp_path: Path
):
    path = write_csv(
        tmp_path / "bad.csv",
        "seat,org,activated_on,deactivated_on,kind,holder",
        [
            "i-001,xtra,2017-03-01,,regular,Fine",
            "i-002,xtra,9/1/2017,,regular,American date",
            "i-003,xtra,2017-03-01,,teacher,Unknown kind",
            "i-004,nobody,2017-03-01,,regular,Unknown org",
        ],
    )
    before = state(ledger)
    outcome = ledger("seat", "import", str(path), today=LAST_DAY)
    assert outcome.code == 1
    assert "import-rejected" in outcome.err
    assert "bad.csv: 2 problem(s), nothing was imported" in outcome.err
    assert "line 3, column activated_on: '9/1/2017'" in outcome.err
    assert "line 4, column kind: 'teacher'" in outcome.err
    as_json = ledger("seat", "import", str(path), today=LAST_DAY, json_=True)
    assert as_json.error()["code"] == "import-rejected"
    assert ledger("seat", "history", "i-001").code == 1
    assert state(ledger) == before
    # The well-formed rows are checked against the ledger too: the unknown org is line 5.
    fixed = write_csv(
        tmp_path / "fixed.csv",
        "seat,org,activated_on,deactivated_on,kind,holder",
        ["i-001,xtra,2017-03-01,,regular,Fine", "i-004,nobody,2017-03-01,,regular,Unknown org"],
    )
    outcome = ledger("seat", "import", str(fixed), today=LAST_DAY)
    assert outcome.code == 1
    assert "line 3, column org: there is no organisation 'nobody'" in outcome.err
    assert state(ledger) == before


def test_a_csv_that_is_not_utf8_is_refused_naming_its_line(ledger: Cli, tmp_path: Path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "seat,org,activated_on,deactivated_on,kind,holder\ni-1,xtra,2017-03-01,,regular,José\n".encode(
            "latin-1"
        )
    )
    outcome = ledger("seat", "import", str(path), today=LAST_DAY)
    assert outcome.code == 1
    assert "line 2, column holder" in outcome.err
    assert "not UTF-8" in outcome.err


def test_an_empty_csv_is_refused(ledger: Cli, tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    outcome = ledger("seat", "import", str(path), today=LAST_DAY)
    assert outcome.code == 1
    assert "the file is empty" in outcome.err


def test_a_csv_file_that_does_not_exist_is_a_usage_error(ledger: Cli, tmp_path: Path):
    outcome = ledger("seat", "import", str(tmp_path / "nowhere.csv"))
    assert outcome.code == 2
    assert "does not exist" in outcome.err
