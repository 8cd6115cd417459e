"""The sender's next count date: the one deadline of a transfer request."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period
from seatledger.domain.deadlines import next_count_date, sender_deadline
from seatledger.domain.identifiers import OrgId
from seatledger.domain.reference_dates import YearStart

JULY = Period(2025, 7)


def version(
    cadence: Cadence = Cadence.MONTHLY,
    reference: str = "month-end",
    year_start: YearStart | None = None,
    effective_from: Period = JULY,
    number: int = 1,
) -> Contract:
    return Contract(
        org=OrgId("north"), plan="standard", cadence=cadence, reference=reference,
        effective_from=effective_from, vat_percent=Decimal("21"), year_start=year_start,
        version=number,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("contract", "day", "expected"),
    [
        (None, date(2025, 7, 10), date(2025, 7, 31)),
        (version(reference="day:15"), date(2025, 7, 10), date(2025, 7, 15)),
        (version(reference="day:15"), date(2025, 7, 16), date(2025, 8, 15)),
        (version(reference="month-start"), date(2025, 7, 10), date(2025, 8, 1)),
        (version(Cadence.ANNUAL, year_start=YearStart(9, 1)), date(2025, 7, 10),
         date(2025, 8, 31)),
        (version(Cadence.ANNUAL, year_start=YearStart(9, 1)), date(2025, 8, 31),
         date(2025, 8, 31)),
        (version(Cadence.ANNUAL, year_start=YearStart(9, 1)), date(2025, 9, 1),
         date(2026, 8, 31)),
        (version(Cadence.ANNUAL, year_start=YearStart(1, 1)), date(2025, 12, 31),
         date(2025, 12, 31)),
        (version(Cadence.ANNUAL, year_start=YearStart(1, 1)), date(2026, 1, 1),
         date(2026, 12, 31)),
    ],
)  # fmt: skip
def test_the_next_count_date_follows_the_contract(
    contract: Contract | None, day: date, expected: date
) -> None:
    assert next_count_date(contract, day) == expected


def test_the_sender_s_deadline_is_that_of_the_version_in_force_in_the_day_s_month() -> None:
    annual = version(Cadence.ANNUAL, year_start=YearStart(9, 1))
    # A change to monthly from August applies from August, not to a request in July.
    monthly_from_august = version(effective_from=Period(2025, 8), number=2)
    assert sender_deadline([annual, monthly_from_august], date(2025, 7, 10)) == date(2025, 8, 31)
    assert sender_deadline([annual, monthly_from_august], date(2025, 8, 10)) == date(2025, 8, 31)
    assert sender_deadline([monthly_from_august], date(2025, 7, 10)) == date(2025, 7, 31)
    assert sender_deadline([], date(2025, 7, 10)) == date(2025, 7, 31)
