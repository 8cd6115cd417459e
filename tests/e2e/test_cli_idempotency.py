"""``--idempotency-key`` on the command line: a retried write prints its first result once more.

A script that lost a command's reply (a killed SSH session, a timeout) runs it
again with the same key: exit 0, the same output, nothing changed. The same
key with other arguments is refused (exit 1, ``idempotency-key-reused``); a
read refuses the option as a usage error (exit 2), since it would do nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
import pytest
from cli_driver import Cli, write_csv

from seatledger.entrypoints.cli.app import keyed_commands
from seatledger.entrypoints.cli.main import cli as seatledger_group

DAY = "2025-09-01"
PIN = "582046"
KEY = "retry-7f3a"


def rows(cli: Cli) -> dict[str, list[tuple[object, ...]]]:
    """Every row a write can change, to compare before and after."""
    tables = ("seat_facts", "usage_records", "contract_versions", "organisations", "admins",
              "contacts", "outbox", "ledger_head", "idempotency_keys")  # fmt: skip
    with sqlite3.connect(cli.db) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


@pytest.fixture
def ready(cli: Cli) -> Cli:
    cli.ok("org", "add", "north", "--name", "North", today=DAY)
    cli.ok("org", "add", "south", "--name", "South", today=DAY)
    cli.ok("admin", "add", "south", "sam", today=DAY, pin=PIN)
    cli.ok("contract", "set", "north", "--plan", "standard", "--cadence", "monthly", today=DAY)
    cli.ok("seat", "activate", "s-1", "--org", "north", "--holder", "Ada", today=DAY)
    return cli


WRITES: dict[str, tuple[list[str], list[str]]] = {
    # name: (a command, the same command with other arguments)
    "seat activate": (
        ["seat", "activate", "s-2", "--org", "north", "--holder", "Bo"],
        ["seat", "activate", "s-2", "--org", "north", "--holder", "Cy"],
    ),
    "seat deactivate": (
        ["seat", "deactivate", "s-1"],
        ["seat", "deactivate", "s-1", "--reason", "x"],
    ),
    "usage record": (
        ["usage", "record", "north", "new-dossier", "--quantity", "2"],
        ["usage", "record", "north", "new-dossier", "--quantity", "3"],
    ),
    "transfer request": (
        ["transfer", "request", "s-1", "--to", "south"],
        ["transfer", "request", "s-1", "--to", "south", "--reason", "moved"],
    ),
    "takeover": (
        ["takeover", "s-1", "--by", "south", "--admin", "sam"],
        ["takeover", "s-1", "--by", "south", "--admin", "sam", "--reason", "joined"],
    ),
    "contract set": (
        ["contract", "set", "north", "--licensed", "10", "--overage-price", "12.50"],
        ["contract", "set", "north", "--licensed", "11", "--overage-price", "12.50"],
    ),
    "org add": (
        ["org", "add", "east", "--name", "East"],
        ["org", "add", "east", "--name", "East BV"],
    ),
    "admin add": (["admin", "add", "north", "lee"], ["admin", "add", "north", "lou"]),
    "seat addon add": (
        ["seat", "addon", "add", "s-1", "library"],
        ["seat", "addon", "add", "s-1", "forms"],
    ),
    "org set": (
        ["org", "set", "north", "--name", "North BV"],
        ["org", "set", "north", "--name", "North NV"],
    ),
    "seller set": (
        ["seller", "set", "--name", "Leerlijn BV", "--vat-id", "BE0123456749", "--address", "K 1",
         "--city", "Gent", "--postcode", "9000", "--country", "BE"],
        ["seller", "set", "--name", "Leerlijn NV", "--vat-id", "BE0123456749", "--address", "K 1",
         "--city", "Gent", "--postcode", "9000", "--country", "BE"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_retry_with_the_same_key_prints_the_first_output_and_changes_nothing(
    ready: Cli, name: str, as_json: bool
) -> None:
    command, _ = WRITES[name]
    first = ready("--idempotency-key", KEY, *command, today=DAY, json_=as_json, pin=PIN)
    assert first.code == 0, first
    after = rows(ready)
    again = ready("--idempotency-key", KEY, *command, today=DAY, json_=as_json, pin=PIN)
    assert again.code == 0, again
    assert again.out == first.out
    assert rows(ready) == after
    # The next day too: a retry is recognised by its key, not by when it comes.
    later = ready("--idempotency-key", KEY, *command, today="2025-09-02", json_=as_json, pin=PIN)
    assert later.out == first.out
    assert rows(ready) == after


@pytest.mark.parametrize("name", sorted(WRITES))
def test_the_same_key_with_other_arguments_is_refused_and_changes_nothing(
    ready: Cli, name: str
) -> None:
    command, other = WRITES[name]
    ready.ok("--idempotency-key", KEY, *command, today=DAY, pin=PIN)
    before = rows(ready)
    message = ready.refused(
        "idempotency-key-reused", "--idempotency-key", KEY, *other, today=DAY, pin=PIN
    )
    assert KEY in message
    assert "other arguments" in message
    assert rows(ready) == before


def test_the_refusal_in_words_says_nothing_was_changed_by_the_one_mapping(ready: Cli) -> None:
    ready.ok("--idempotency-key", KEY, "usage", "record", "north", "new-dossier", today=DAY)
    outcome = ready("--idempotency-key", KEY, "usage", "record", "north", "paid-questionnaire",
                    today=DAY)  # fmt: skip
    assert outcome.code == 1
    assert outcome.out == ""
    assert outcome.err.startswith("seatledger: refused (idempotency-key-reused): ")
    assert "'usage.record'" in outcome.err


def test_without_a_key_a_retried_usage_record_counts_twice(ready: Cli) -> None:
    ready.ok("usage", "record", "north", "new-dossier", today=DAY)
    ready.ok("usage", "record", "north", "new-dossier", today=DAY)
    assert len(rows(ready)["usage_records"]) == 2


def test_a_refused_write_keeps_no_key_so_the_fixed_retry_runs(ready: Cli) -> None:
    ready.refused("unknown-organisation", "--idempotency-key", KEY, "seat", "activate", "s-9",
                  "--org", "west", today=DAY)  # fmt: skip
    assert rows(ready)["idempotency_keys"] == []
    ready.ok("org", "add", "west", "--name", "West", today=DAY)
    fact = ready.json("--idempotency-key", KEY, "seat", "activate", "s-9", "--org", "west",
                      today=DAY)  # fmt: skip
    assert fact["org"] == "west"


def test_a_seat_import_is_replayed_whole(ready: Cli, tmp_path: Path) -> None:
    header = "seat,org,activated_on,deactivated_on,kind,holder"
    path = write_csv(
        tmp_path / "seats.csv",
        header,
        ["i-1,north,2025-08-01,,regular,A", "i-2,north,2025-08-01,2025-08-20,,B"],
    )
    first = ready.ok("--idempotency-key", KEY, "seat", "import", str(path), today=DAY)
    after = rows(ready)
    assert ready.ok("--idempotency-key", KEY, "seat", "import", str(path), today=DAY) == first
    assert rows(ready) == after
    write_csv(path, header, ["i-1,north,2025-08-02,,regular,A"])
    ready.refused("idempotency-key-reused", "--idempotency-key", KEY, "seat", "import", str(path),
                  today=DAY)  # fmt: skip


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (["seats", "north", "--on", DAY], "only reads"),
        (["seat", "history", "s-1"], "only reads"),
        (["invoice", "list"], "only reads"),
        (["org", "contact", "north"], "only shows"),
        (["bill", "run", "--period", "2025-08"], "idempotent by itself"),
        (["remind", "--no-deliver"], "idempotent by itself"),
        (["notify", "deliver"], "at least once"),
    ],
)
def test_a_command_that_would_ignore_the_key_refuses_it_as_a_usage_error(
    ready: Cli, command: list[str], why: str
) -> None:
    before = rows(ready)
    outcome = ready("--idempotency-key", KEY, *command, today=DAY, json_=True)
    assert outcome.code == 2, outcome
    assert outcome.out == ""
    error = outcome.error()
    assert error["code"] == "usage-error"
    assert "--idempotency-key" in error["message"]
    assert why in error["message"]
    assert rows(ready) == before


@pytest.mark.parametrize("key", ["has space", "x" * 201, "ключ"])
def test_an_invalid_key_is_refused_and_changes_nothing(ready: Cli, key: str) -> None:
    before = rows(ready)
    ready.refused("invalid-idempotency-key", "--idempotency-key", key, "usage", "record",
                  "north", "new-dossier", today=DAY)  # fmt: skip
    assert rows(ready) == before


def leaf_commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found.update(leaf_commands(command, f"{path} "))
        else:
            found[path] = command
    return found


def test_exactly_the_writes_take_a_key_and_the_help_says_so(cli: Cli) -> None:
    keyed = {
        path
        for path, command in leaf_commands(seatledger_group).items()
        if command in keyed_commands()
    }
    assert keyed == {
        "org add", "org contact", "admin add", "admin unlock", "contract set",
        "seat activate", "seat deactivate", "seat complete", "seat reactivate", "seat correct",
        "seat retract", "seat import", "transfer request", "transfer approve", "transfer reject",
        "transfer withdraw", "transfer expire", "takeover", "usage record", "roster import",
        "org set", "seat addon add", "seat addon remove", "usage correct", "usage retract",
        "seller set", "apikey create", "apikey revoke",
    }  # fmt: skip
    assert "--idempotency-key KEY" in cli.ok("--help")
