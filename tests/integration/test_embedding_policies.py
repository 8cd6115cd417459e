"""The contract policies of billed coverage through the embedding API (docs/billing.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import seatledger
from seatledger import Ledger, LedgerRefused
from seatledger.domain.policies import AnnualStart, LeaveAnnual, NegativeBalance


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with seatledger.connect(str(tmp_path / "l.db"), today=date(2025, 10, 1), actor="lms") as led:
        led.add_organisation("acme", "Acme Care")
        yield led


def test_policies_are_set_by_name_or_value_and_kept_by_later_versions(ledger: Ledger) -> None:
    first = ledger.set_contract(
        "acme", plan="standard", cadence="annual", year_start="09-01",
        annual_start="monthly", leave_annual=LeaveAnnual.CREDIT, negative_balance="carry",
    )  # fmt: skip
    assert first.policies.annual_start is AnnualStart.MONTHLY
    assert first.policies.leave_annual is LeaveAnnual.CREDIT
    later = ledger.set_contract("acme", vat_percent=Decimal("0"))
    assert later.policies == first.policies
    assert later.policies.negative_balance is NegativeBalance.CARRY
    removed = ledger.set_contract("acme", remove=["trial"], transfer_coverage="credited")
    assert removed.trial_until is None
    assert removed.policies.paid_coverage.value == "credited"


def test_a_bad_policy_is_refused_naming_the_choices_and_changes_nothing(ledger: Ledger) -> None:
    ledger.set_contract("acme", plan="standard", cadence="monthly")
    before = ledger.contract("acme").versions
    with pytest.raises(LedgerRefused) as refused:
        ledger.set_contract("acme", annual_start="pro rata")
    assert refused.value.code == "invalid-contract"
    assert "pro-rata, monthly, next-year" in refused.value.message
    with pytest.raises(TypeError):
        ledger.set_contract("acme", leave_annual=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ledger.set_contract("acme", remove="discount")
    with pytest.raises(LedgerRefused):
        ledger.set_contract("acme", remove=["plan"])
    assert ledger.contract("acme").versions == before
