"""The sender's next count date: the one answer to "by when must a transfer be approved?".

A transfer request counts for a reference date only if it is approved on or
before it; approved later, the sender still pays for that period. Every
deadline seatledger shows (the output of ``transfer request``, ``transfer
list``, the receiver's notification, the sender's reminders) is the
sender's next count date on or after a day, and this module is the only
place that says what it is:

* a monthly contract: the next reference date of its rule (month end,
  month start or day N);
* an annual contract: the next count date before its year starts
  (``AnnualCount``: year start 09-01 counts on 31 August);
* no contract: month end (the portfolio-billing seed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract, contract_in_force
from seatledger.domain.dates import Period
from seatledger.domain.reference_dates import MonthEnd, next_reference_date


def next_count_date(contract: Contract | None, on_or_after: date) -> date:
    """The first date on or after ``on_or_after`` on which the contract counts seats."""
    if contract is None:
        return next_reference_date(MonthEnd(), on_or_after)
    if contract.cadence is Cadence.MONTHLY:
        return next_reference_date(contract.reference_rule(), on_or_after)
    annual = contract.annual_count()
    # A count date may lie in the calendar year before its year start (01-01 counts
    # on 31 December), so the years starting in the next three calendar years are enough.
    return min(
        count
        for count in (
            annual.count_date(year) for year in range(on_or_after.year, on_or_after.year + 3)
        )
        if count >= on_or_after
    )


def sender_deadline(versions: Iterable[Contract], on_or_after: date) -> date:
    """The sender's next count date on or after a day, by the contract version in force then.

    ``versions`` are the sender's contract versions (all recorded); the one
    in force for the month of ``on_or_after`` decides, as it does for billing.
    """
    return next_count_date(contract_in_force(versions, Period.containing(on_or_after)), on_or_after)
