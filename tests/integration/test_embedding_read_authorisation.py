"""The embedding API authorises reads in a closed ledger, as the command line does (0011)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import seatledger

DAY = date(2026, 9, 1)

READS: dict[str, Callable[[seatledger.Ledger], Any]] = {
    "seats_on": lambda led: led.seats_on("acme", DAY),
    "count_on": lambda led: led.count_on("acme", DAY),
    "seats_within": lambda led: led.seats_within("acme", DAY, DAY),
    "history": lambda led: led.history("learner-17"),
    "audit": lambda led: led.audit(org="acme"),
    "admins": lambda led: led.admins("acme"),
    "contact": lambda led: led.contact("acme"),
    "invoices": lambda led: led.invoices("acme"),
    "usage": lambda led: led.list_usage("acme"),
}


@pytest.fixture
def closed(tmp_path: Path) -> Any:
    with seatledger.connect(str(tmp_path / "seats.db"), today=DAY, actor="olga") as ledger:
        ledger.add_operator("olga")
        ledger.add_organisation("acme", "Acme Care")
        ledger.add_organisation("bolt", "Bolt Care")
        ledger.add_admin("acme", "ada", pin="482913")
        ledger.add_admin("bolt", "bob", pin="730215")
        ledger.with_actor("ada").activate("learner-17", "acme")
        yield ledger


@pytest.mark.parametrize("read", list(READS))
def test_a_read_needs_the_operator_or_the_organisations_admin(closed: Any, read: str) -> None:
    ask = READS[read]
    for who in ("mallory", "bob"):
        with pytest.raises(seatledger.LedgerRefused) as refused:
            ask(closed.with_actor(who))
        assert refused.value.code == "not-authorised"
        assert refused.value.message.startswith(f"{who!r} may not read ")
    ask(closed)
    ask(closed.with_actor("ada"))


def test_an_unknown_invoice_is_not_confirmed_to_a_stranger(closed: Any) -> None:
    with pytest.raises(seatledger.LedgerRefused) as refused:
        closed.with_actor("mallory").invoice("INV-2026-08-acme")
    assert refused.value.code == "not-authorised"
    with pytest.raises(seatledger.LedgerRefused) as refused:
        closed.invoice("INV-2026-08-acme")
    assert refused.value.code == "unknown-invoice"


def test_an_open_ledger_answers_anyone(tmp_path: Path) -> None:
    with seatledger.connect(str(tmp_path / "open.db"), today=DAY, actor="mallory") as ledger:
        ledger.add_organisation("acme", "Acme Care")
        ledger.activate("learner-17", "acme")
        for ask in READS.values():
            ask(ledger)
