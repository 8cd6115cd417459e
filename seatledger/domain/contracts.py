"""Contracts: what an organisation has agreed to, per period, as versioned facts.

A contract is never edited: ``contract set`` appends a new version that
applies from a period on. The version in force for a period is the latest
one, as known at an instant, whose ``effective_from`` is not after it. The
first contract applies from the current period; a later change applies from
the next period (a plan change "without extra cost"), so an invoice already
issued or due this month is never re-priced.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import attrs
from attrs import frozen

from seatledger.domain.catalog import Cadence
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId
from seatledger.domain.policies import ContractPolicies
from seatledger.domain.reference_dates import (
    AnnualCount,
    ReferenceDateRule,
    YearStart,
    parse_reference_rule,
)


class PaymentMethod(enum.Enum):
    CARD = "card"
    SEPA = "sepa"
    NONE = "none"

    @property
    def automatic(self) -> bool:
        return self is not PaymentMethod.NONE


@frozen
class Contract:
    """One version of an organisation's contract.

    ``plan`` None is a trial without a chosen plan: nothing is invoiced, and
    after ``trial_until`` the organisation has no active subscription.
    """

    org: OrgId
    plan: str | None
    cadence: Cadence
    reference: str
    effective_from: Period
    vat_percent: Decimal
    year_start: YearStart | None = None
    count_days_before: int = 1
    licensed: int | None = None
    overage_price: Decimal | None = None
    trial_until: date | None = None
    payment_method: PaymentMethod = PaymentMethod.NONE
    discount_code: str | None = None
    policies: ContractPolicies = attrs.field(factory=ContractPolicies)
    version: int = 0
    recorded_at: datetime | None = None
    actor: str = ""

    def reference_rule(self) -> ReferenceDateRule:
        return parse_reference_rule(self.reference).unwrap()

    def annual_count(self) -> AnnualCount:
        return AnnualCount(self.year_start or YearStart(1, 1), self.count_days_before)

    def in_trial_on(self, day: date) -> bool:
        return self.trial_until is not None and day <= self.trial_until


def contract_in_force(
    versions: Iterable[Contract], period: Period, known_at: datetime | None = None
) -> Contract | None:
    """The version in force for ``period`` as known at ``known_at`` (None: all recorded)."""
    candidates = [
        c
        for c in versions
        if c.effective_from <= period
        and (known_at is None or c.recorded_at is None or c.recorded_at <= known_at)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.effective_from, c.version))


class SubscriptionStatus(enum.Enum):
    ACTIVE = "active"
    TRIAL = "trial"
    NONE = "no active subscription"


def subscription_status(contract: Contract | None, today: date) -> SubscriptionStatus:
    """What an organisation's admin sees: subscribed, in trial, or no active subscription."""
    if contract is None:
        return SubscriptionStatus.NONE
    if contract.in_trial_on(today):
        return SubscriptionStatus.TRIAL
    if contract.plan is None:
        return SubscriptionStatus.NONE
    return SubscriptionStatus.ACTIVE
