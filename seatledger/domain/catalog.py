"""The plan catalog: plans, prices, student rate, add-ons, usage kinds and discount codes.

Prices and plans are data, loaded from a catalog file by an adapter and
checked here (``catalog_problems``) before use. All prices exclude VAT.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from attrs import field, frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import CadenceNotOffered, UnknownAddon, UnknownPlan
from seatledger.domain.money import HUNDRED, ZERO
from seatledger.domain.organisation import CURRENCY_MINOR_UNITS


class Cadence(enum.Enum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


@frozen
class Plan:
    """A subscription type, priced per seat per period (a month or a year)."""

    id: str
    name: str
    seat_prices: Mapping[Cadence, Decimal]
    usage_prices: Mapping[str, Decimal] = field(factory=dict)

    def offers(self, cadence: Cadence) -> bool:
        return cadence in self.seat_prices

    def price(self, cadence: Cadence) -> Result[Decimal, CadenceNotOffered]:
        if cadence not in self.seat_prices:
            return Failure(CadenceNotOffered(self.id, cadence.value))
        return Success(self.seat_prices[cadence])


@frozen
class UsageKind:
    """Something billed per use, in arrears (new dossiers, paid questionnaires)."""

    id: str
    description: str
    unit_price: Decimal


@frozen
class Addon:
    """An option a seat may hold (library access), priced per seat per period."""

    id: str
    name: str
    prices: Mapping[Cadence, Decimal]


class DiscountKind(enum.Enum):
    PERCENT = "percent"
    FIXED = "fixed"


class DiscountDuration(enum.Enum):
    ONCE = "once"
    REPEATING = "repeating"
    FOREVER = "forever"


@frozen
class DiscountCode:
    """A discount: a percentage or a fixed amount off, once, for N invoices, or forever.

    It applies to invoices whose reference date lies within its validity
    dates, before VAT, and never takes an invoice's charges below zero.
    """

    code: str
    kind: DiscountKind
    value: Decimal
    duration: DiscountDuration
    periods: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    description: str = ""

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until

    def uses_allowed(self) -> int | None:
        """How many invoices it may reduce (None: no limit)."""
        if self.duration is DiscountDuration.ONCE:
            return 1
        if self.duration is DiscountDuration.REPEATING:
            return self.periods
        return None


@frozen
class Catalog:
    """Everything a vendor sells, in one currency."""

    currency: str
    plans: Mapping[str, Plan]
    student_rate: Mapping[Cadence, Decimal]
    usage_kinds: Mapping[str, UsageKind] = field(factory=dict)
    addons: Mapping[str, Addon] = field(factory=dict)
    discounts: Mapping[str, DiscountCode] = field(factory=dict)
    default_vat_percent: Decimal = Decimal("21")

    def plan(self, plan_id: str) -> Result[Plan, UnknownPlan]:
        found = self.plans.get(plan_id)
        if found is None:
            return Failure(UnknownPlan(plan_id, sorted(self.plans)))
        return Success(found)

    def addon(self, addon_id: str) -> Result[Addon, UnknownAddon]:
        """The add-on of that id; any other name is refused, naming the ones on sale."""
        found = self.addons.get(addon_id)
        if found is None:
            return Failure(UnknownAddon(addon_id, sorted(self.addons)))
        return Success(found)

    def usage_price(self, plan: Plan, kind: str) -> Decimal:
        """What one unit of usage costs on a plan: the plan's own price, else the default."""
        if kind in plan.usage_prices:
            return plan.usage_prices[kind]
        usage = self.usage_kinds.get(kind)
        return usage.unit_price if usage is not None else ZERO


def catalog_problems(catalog: Catalog) -> list[str]:
    """Every inconsistency in a catalog, each naming its key; empty if it can be used."""
    problems: list[str] = []
    if catalog.currency not in CURRENCY_MINOR_UNITS:
        problems.append(f"currency: {catalog.currency!r} is not a supported ISO 4217 code")
    if not catalog.plans:
        problems.append("plans: the catalog has no plans")
    for plan_id, plan in catalog.plans.items():
        if not plan.seat_prices:
            problems.append(f"plans.{plan_id}: offers neither monthly nor annual billing")
        for cadence, price in plan.seat_prices.items():
            if price < ZERO:
                problems.append(f"plans.{plan_id}.{cadence.value}: price {price} is negative")
        for kind, price in plan.usage_prices.items():
            if kind not in catalog.usage_kinds:
                problems.append(f"plans.{plan_id}.usage.{kind}: no such usage kind")
            if price < ZERO:
                problems.append(f"plans.{plan_id}.usage.{kind}: price {price} is negative")
    for cadence, price in catalog.student_rate.items():
        if price < ZERO:
            problems.append(f"student_rate.{cadence.value}: price {price} is negative")
    offered = {c for plan in catalog.plans.values() for c in plan.seat_prices}
    for cadence in offered - set(catalog.student_rate):
        problems.append(f"student_rate.{cadence.value}: missing, but a plan bills {cadence.value}")
    for addon_id, addon in catalog.addons.items():
        for cadence in offered - set(addon.prices):
            problems.append(f"addons.{addon_id}.{cadence.value}: missing price")
        for cadence, price in addon.prices.items():
            if price < ZERO:
                problems.append(f"addons.{addon_id}.{cadence.value}: price {price} is negative")
    for kind_id, usage in catalog.usage_kinds.items():
        if usage.unit_price < ZERO:
            problems.append(f"usage.{kind_id}.unit_price: {usage.unit_price} is negative")
    for code, discount in catalog.discounts.items():
        where = f"discounts.{code}"
        if discount.value <= ZERO:
            problems.append(f"{where}.value: must be more than 0")
        if discount.kind is DiscountKind.PERCENT and discount.value > HUNDRED:
            problems.append(f"{where}.value: a percentage above 100")
        if discount.duration is DiscountDuration.REPEATING and not discount.periods:
            problems.append(f"{where}.periods: a repeating discount needs periods of 1 or more")
        if discount.duration is not DiscountDuration.REPEATING and discount.periods is not None:
            problems.append(f"{where}.periods: only a repeating discount has periods")
        if (
            discount.valid_from is not None
            and discount.valid_until is not None
            and discount.valid_from > discount.valid_until
        ):
            problems.append(f"{where}: valid_from lies after valid_until")
    if not ZERO <= catalog.default_vat_percent <= HUNDRED:
        problems.append(f"vat_percent: {catalog.default_vat_percent} is not between 0 and 100")
    return problems
