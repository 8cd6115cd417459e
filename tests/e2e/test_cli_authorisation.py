"""A closed ledger from the command line: the operator sets up, each organisation's admin
changes only its own seats, and the audit trail tells who did what and when."""

from __future__ import annotations

import csv
import io

from cli_driver import Cli

DAY = "2025-10-01"


def test_a_closed_ledger_lets_each_admin_change_only_their_own_seats_and_audits_it(cli: Cli):
    olga = Cli(cli.db, actor="olga", subprocess_=cli.subprocess)
    ada = Cli(cli.db, actor="ada", subprocess_=cli.subprocess)
    bob = Cli(cli.db, actor="bob", subprocess_=cli.subprocess)

    assert olga.json("init", "--operator", "olga")["operator"] == "olga"
    assert olga.json("operator", "list")["closed"] is True
    olga.ok("org", "add", "alpha", "--name", "Alpha Care", today=DAY)
    olga.ok("org", "add", "beta", "--name", "Beta Care", today=DAY)
    olga.ok("admin", "add", "alpha", "ada", pin="482913", today=DAY)
    olga.ok("admin", "add", "beta", "bob", pin="730215", today=DAY)
    # Setting up is the operator's: an admin may not add an organisation or an admin.
    assert "'ada' may not org.add" in ada.refused(
        "not-authorised", "org", "add", "gamma", "--name", "Gamma", today=DAY
    )
    ada.refused("not-authorised", "admin", "add", "alpha", "eve", pin="112358", today=DAY)

    ada.ok("seat", "activate", "a-1", "--org", "alpha", "--holder", "Ann", today=DAY)
    bob.ok("seat", "activate", "b-1", "--org", "beta", "--holder", "Ben", today=DAY)
    message = bob.refused("not-authorised", "seat", "deactivate", "a-1", today="2025-10-02")
    assert message == (
        "'bob' may not seat.deactivate for organisation 'alpha': "
        "only an operator or an admin of the organisation may"
    )
    ada.ok("seat", "deactivate", "a-1", today="2025-10-02")
    # Billing runs are the operator's (billed the day after the count date).
    ada.refused("not-authorised", "bill", "run", "--period", "2025-10", today="2025-11-01")

    alpha = olga.json("audit", "--org", "alpha")["entries"]
    assert [(e["action"], e["actor"], e["role"], e["seat"]) for e in alpha] == [
        ("org.add", "olga", "operator", None),
        ("admin.add", "olga", "operator", None),
        ("seat.activate", "ada", "admin", "a-1"),
        ("seat.deactivate", "ada", "admin", "a-1"),
    ]
    assert alpha[3]["recorded_at"].startswith("2025-10-02")
    seat = olga.json("audit", "--seat", "a-1", "--from", "2025-10-02", "--to", "2025-10-02")
    assert [e["action"] for e in seat["entries"]] == ["seat.deactivate"]
    table = olga.ok("audit", "--seat", "b-1")
    assert "seat.activate" in table
    assert "bob" in table
    everything = olga.json("audit")["entries"]
    assert [e["action"] for e in everything][:2] == ["operator.add", "org.add"]
    assert len(everything) == 8


def test_audit_csv_neutralises_formulas_in_actor_names(cli: Cli):
    sneaky = Cli(cli.db, actor="=HYPERLINK(1)", subprocess_=cli.subprocess)
    sneaky.ok("org", "add", "alpha", "--name", "Alpha Care", today=DAY)
    rows = list(csv.DictReader(io.StringIO(cli.ok("audit", "--format", "csv"))))
    assert rows[0]["actor"] == "'=HYPERLINK(1)"
    assert rows[0]["role"] == "open"
    assert rows[0]["action"] == "org.add"


def test_an_open_ledger_lets_anyone_act_and_records_the_role_open(cli: Cli):
    assert cli.json("operator", "list") == {"closed": False, "operators": []}
    cli.ok("org", "add", "alpha", "--name", "Alpha Care", today=DAY)
    cli.ok("seat", "activate", "a-1", "--org", "alpha", today=DAY)
    entries = cli.json("audit", "--org", "alpha")["entries"]
    assert [(e["actor"], e["role"]) for e in entries] == [("lisa", "open"), ("lisa", "open")]
