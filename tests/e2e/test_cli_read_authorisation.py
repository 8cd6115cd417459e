"""A closed ledger authorises reads too: an operator, or the admin of the organisation (0011)."""

from __future__ import annotations

import pytest
from cli_driver import Cli

DAY = "2025-10-01"

# Each read of alpha's data, from the command line.
READS = {
    "seats": ("seats", "alpha", "--on", DAY),
    "seat history": ("seat", "history", "a-1"),
    "audit": ("audit", "--org", "alpha"),
    "audit of a seat": ("audit", "--seat", "a-1"),
    "admins": ("admin", "list", "alpha"),
    "contact": ("org", "contact", "alpha"),
    "invoices": ("invoice", "list", "--org", "alpha"),
    "usage": ("usage", "list", "alpha"),
}


@pytest.fixture
def closed(cli: Cli) -> dict[str, Cli]:
    names = ("olga", "ada", "bob", "mallory")
    people = {n: Cli(cli.db, actor=n, subprocess_=cli.subprocess) for n in names}
    olga = people["olga"]
    olga.ok("init", "--operator", "olga")
    olga.ok("org", "add", "alpha", "--name", "Alpha Care", today=DAY)
    olga.ok("org", "add", "beta", "--name", "Beta Care", today=DAY)
    olga.ok("admin", "add", "alpha", "ada", pin="482913", today=DAY)
    olga.ok("admin", "add", "beta", "bob", pin="730215", today=DAY)
    people["ada"].ok("seat", "activate", "a-1", "--org", "alpha", today=DAY)
    return people


@pytest.mark.parametrize("read", list(READS))
def test_a_stranger_and_another_organisations_admin_are_refused_each_read(
    closed: dict[str, Cli], read: str
) -> None:
    args = READS[read]
    for who in ("mallory", "bob"):
        message = closed[who].refused("not-authorised", *args, today=DAY)
        assert message.startswith(f"{who!r} may not read ")
        assert "only an operator or an admin of the organisation may" in message
    outcome = closed["mallory"](*args, today=DAY)  # in text too, on stderr, exit 1
    assert outcome.code == 1
    assert "not-authorised" in outcome.err
    assert outcome.out == ""


@pytest.mark.parametrize("read", list(READS))
def test_the_operator_and_the_organisations_admin_read(closed: dict[str, Cli], read: str) -> None:
    for who in ("olga", "ada"):
        outcome = closed[who](*READS[read], today=DAY, json_=True)
        assert outcome.code == 0, outcome


def test_reads_of_every_organisation_are_the_operators(closed: dict[str, Cli]) -> None:
    for args in (("audit",), ("invoice", "list")):
        message = closed["ada"].refused("not-authorised", *args, today=DAY)
        assert "only an operator may" in message
        assert closed["olga"](*args, today=DAY, json_=True).code == 0


def test_a_stranger_does_not_learn_whether_an_invoice_or_a_seat_exists(
    closed: dict[str, Cli],
) -> None:
    mallory = closed["mallory"]
    mallory.refused("not-authorised", "invoice", "show", "INV-2025-09-alpha", today=DAY)
    mallory.refused("not-authorised", "seat", "history", "no-such-seat", today=DAY)
    mallory.refused("not-authorised", "seats", "no-such-org", "--on", DAY, today=DAY)
    closed["olga"].refused("unknown-invoice", "invoice", "show", "INV-2025-09-alpha", today=DAY)


def test_an_open_ledger_stays_open_to_every_read(cli: Cli) -> None:
    cli.ok("org", "add", "alpha", "--name", "Alpha Care", today=DAY)
    cli.ok("seat", "activate", "a-1", "--org", "alpha", today=DAY)
    anyone = Cli(cli.db, actor="mallory", subprocess_=cli.subprocess)
    for args in (*READS.values(), ("audit",), ("invoice", "list")):
        assert anyone(*args, today=DAY, json_=True).code == 0, args
