"""The charge lines of a service period, from what the coverage rules decided.

An invoice issued under billed coverage (``ChargeBasis`` in its evidence)
charges, for the service period that starts in its month:

* ``LicenceFees`` — per seat kind and months owed: the cadence price times
  the share of it the months are (``12 of 12`` is the annual price exactly,
  ``10 of 12`` of 390.00 is 325.00), half-up to the currency's minor unit;
* ``LicenceUnits`` — on a licensed contract the licence itself, N units at
  the plan's seat price, whatever the count; ``OveragePolicy`` then bills only
  the seats above N, at the overage price;
* ``AddonFees`` — per add-on and months owed, the same way;
* ``ArrivalFees`` — seats that arrived in an annual period after its count
  while another organisation had been paying for them, for the months left
  (not on a licensed contract, whose licence covers a fixed count);

and then usage in arrears and the discount, as before. ``document`` picks
the lines of one document when the overage has a document of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import attrs
from attrs import frozen

from seatledger.domain.coverage import YEAR, add_months
from seatledger.domain.dates import Period
from seatledger.domain.invoice import (
    ArrivalCount,
    ChargeBasis,
    InvoiceLine,
    LineKind,
    PriceSheet,
    ServiceTerm,
    all_lines_total,
)
from seatledger.domain.money import ROUNDING_POLICIES
from seatledger.domain.pricing import CHARGES, DiscountPolicy, StudentRate, UsageInArrears
from seatledger.domain.queries import SeatRow
from seatledger.domain.seat import SeatKind
from seatledger.domain.usage import UsageRecord

ALL = "all"
NO_OVERAGE = "no-overage"
OVERAGE_ONLY = "overage"


def share_price(sheet: PriceSheet, price: Decimal, months: int, basis: int) -> Decimal:
    """The price of ``months`` of a period whose cadence price is for ``basis`` months."""
    if months == basis:
        return price
    policy = ROUNDING_POLICIES[sheet.rounding]
    return policy.round(price * Decimal(months) / Decimal(basis), sheet.currency)


def term_words(first: Period, months: int, basis: int) -> str:
    """``month 2025-10``, ``year 2025-09 to 2026-08`` or ``10 of 12 months, 2025-11 to 2026-08``."""
    if basis == 1:
        return f"month {first}"
    last = add_months(first, months - 1)
    if months == YEAR:
        return f"year {first} to {last}"
    return f"{months} of 12 months, {first} to {last}"


def _line(
    kind: LineKind,
    description: str,
    quantity: int,
    unit: Decimal,
    first: Period,
    months: int,
    counted_on: date,
) -> InvoiceLine:
    """A charge line that records what it covers: ``months`` from ``first``, counted on
    ``counted_on``."""
    return InvoiceLine(
        kind=kind, description=description, quantity=quantity, unit_price=unit,
        amount=unit * quantity, service_from=first, service_months=months, counted_on=counted_on,
    )  # fmt: skip


def _owed_of(owed: Sequence[tuple[str, int]], full: int) -> Mapping[str, int]:
    """Months owed per seat; the key ``""`` holds what every seat not named owes."""
    return {**dict(owed), "": full}


def _months(owed: Mapping[str, int], seat: str) -> int:
    return owed.get(seat, owed[""])


@frozen
class LicenceFees:
    """One line per seat kind and months owed: the seats counted times their share price."""

    rate: StudentRate = attrs.field(factory=StudentRate)

    def lines(
        self, sheet: PriceSheet, term: ServiceTerm, rows: Sequence[SeatRow], owed: Mapping[str, int]
    ) -> list[InvoiceLine]:
        counts: Counter[tuple[SeatKind, int]] = Counter(
            (row.kind, _months(owed, row.seat)) for row in rows
        )
        result: list[InvoiceLine] = []
        for kind in (SeatKind.REGULAR, SeatKind.STUDENT):
            for months in sorted({m for k, m in counts if k is kind}, reverse=True):
                n = counts[(kind, months)]
                unit = share_price(sheet, self.rate.unit_price(kind, sheet), months, term.basis)
                label = f"{sheet.plan_name} plan" if kind is SeatKind.REGULAR else "Student rate"
                part = "" if months == term.months else f", {months} months not paid before"
                words = (
                    f"{label}, per {kind.value} seat, "
                    f"{term_words(term.first, term.months, term.basis)}{part}: seats "
                    f"active on {term.counted_on.isoformat()}"
                )
                result.append(
                    _line(LineKind.SEAT, words, n, unit, term.first, months, term.counted_on)
                )
        return result


@frozen
class LicenceUnits:
    """A licensed contract's licence: N units at the plan's seat price for the period."""

    def line(self, sheet: PriceSheet, term: ServiceTerm) -> InvoiceLine | None:
        if sheet.licensed is None or sheet.licensed == 0:
            return None
        unit = share_price(sheet, sheet.seat_price, term.months, term.basis)
        return InvoiceLine(
            kind=LineKind.SEAT,
            description=(
                f"{sheet.plan_name} licence, {sheet.licensed} seats, "
                f"{term_words(term.first, term.months, term.basis)}"
            ),
            quantity=sheet.licensed,
            unit_price=unit,
            amount=unit * sheet.licensed,
            service_from=term.first,
            service_months=term.months,
            counted_on=term.counted_on,
        )


@frozen
class OveragePolicy:
    """Seats counted above the licence, at the overage price for the period."""

    def line(self, sheet: PriceSheet, term: ServiceTerm, billable: int) -> InvoiceLine | None:
        if sheet.licensed is None or sheet.overage_price is None:
            return None
        excess = max(0, billable - sheet.licensed)
        if excess == 0:
            return None
        unit = share_price(sheet, sheet.overage_price, term.months, term.basis)
        return InvoiceLine(
            kind=LineKind.OVERAGE,
            description=(
                ("" if term.basis == 1 else f"{term_words(term.first, term.months, term.basis)}, ")
                + f"Overage: {billable} seats active on {term.counted_on.isoformat()}, "
                f"{sheet.licensed} licensed"
            ),
            quantity=excess,
            unit_price=unit,
            amount=unit * excess,
            service_from=term.first,
            service_months=term.months,
            counted_on=term.counted_on,
        )


@frozen
class AddonFees:
    """One line per add-on and months owed: the seats holding it times its share price."""

    def lines(
        self, sheet: PriceSheet, term: ServiceTerm, rows: Sequence[SeatRow], owed: Mapping[str, int]
    ) -> list[InvoiceLine]:
        counts: Counter[tuple[str, int]] = Counter(
            (addon, _months(owed, row.seat)) for row in rows for addon in row.addons
        )
        result: list[InvoiceLine] = []
        for addon, months in sorted(counts, key=lambda k: (k[0], -k[1])):
            price = sheet.addon_prices.get(addon)
            if price is None:
                continue  # an add-on the catalog does not price is free
            unit = share_price(sheet, price, months, term.basis)
            n = counts[(addon, months)]
            words = (
                f"Add-on {addon}, per seat, "
                f"{term_words(term.first, term.months, term.basis)}"
                f"{'' if months == term.months else f', {months} months not paid before'}"
                f": seats holding it on {term.counted_on.isoformat()}"
            )
            result.append(
                _line(LineKind.ADDON, words, n, unit, term.first, months, term.counted_on)
            )
        return result


@frozen
class ArrivalFees:
    """Seats that arrived in an annual period, paid by another organisation the month before:
    the months left of the period, per seat kind (and their add-ons)."""

    rate: StudentRate = attrs.field(factory=StudentRate)

    def lines(self, sheet: PriceSheet, arrivals: ArrivalCount) -> list[InvoiceLine]:
        if sheet.licensed is not None:
            return []  # the licence covers a fixed count; arrivals count at the next count date
        owed = dict(arrivals.owed)
        counts: Counter[tuple[SeatKind, int]] = Counter(
            (row.kind, owed[row.seat]) for row in arrivals.seats if owed.get(row.seat, 0) > 0
        )
        result: list[InvoiceLine] = []
        annual = attrs.evolve(
            sheet,
            seat_price=arrivals.seat_price if arrivals.seat_price is not None else sheet.seat_price,
            student_price=(
                arrivals.student_price
                if arrivals.student_price is not None
                else sheet.student_price
            ),
        )
        for (kind, months), n in sorted(counts.items(), key=lambda kv: (kv[0][0].value, -kv[0][1])):
            unit = share_price(sheet, self.rate.unit_price(kind, annual), months, arrivals.basis)
            last = add_months(arrivals.month, months - 1)
            result.append(
                InvoiceLine(
                    kind=LineKind.SEAT,
                    description=(
                        f"Seats taken over during {arrivals.month} that their earlier payer no "
                        f"longer pays for, per {kind.value} seat, {months} of 12 months, "
                        f"{arrivals.month} to {last}: active on "
                        f"{arrivals.counted_on.isoformat()}"
                    ),
                    quantity=n,
                    unit_price=unit,
                    amount=unit * n,
                    service_from=arrivals.month,
                    service_months=months,
                    counted_on=arrivals.counted_on,
                )
            )
        return result


@frozen
class CoverageRules:
    """The policies composed for an invoice issued under billed coverage."""

    licence: LicenceFees = LicenceFees()
    units: LicenceUnits = LicenceUnits()
    overage: OveragePolicy = OveragePolicy()
    addons: AddonFees = AddonFees()
    arrivals: ArrivalFees = ArrivalFees()
    usage: UsageInArrears = attrs.field(factory=UsageInArrears)
    discount: DiscountPolicy = attrs.field(factory=DiscountPolicy)

    def lines(
        self,
        sheet: PriceSheet,
        basis: ChargeBasis,
        rows: Sequence[SeatRow],
        usage: Sequence[UsageRecord],
        usage_window: tuple[date, date] | None,
    ) -> list[InvoiceLine]:
        """Every line of the document but adjustments: charges, then the discount on them."""
        lines: list[InvoiceLine] = []
        term = basis.service
        overage: InvoiceLine | None = None
        if term is not None:
            owed = _owed_of(basis.owed, term.months)
            if sheet.licensed is None:
                lines += self.licence.lines(sheet, term, rows, owed)
            else:
                unit_line = self.units.line(sheet, term)
                if unit_line is not None:
                    lines.append(unit_line)
                overage = self.overage.line(sheet, term, len(rows))
            lines += self.addons.lines(sheet, term, rows, owed)
        if basis.arrivals is not None:
            lines += self.arrivals.lines(sheet, basis.arrivals)
        if usage_window is not None:
            lines += self.usage.lines(sheet, usage, *usage_window)
        if basis.document == OVERAGE_ONLY:
            return [overage] if overage is not None else []
        if overage is not None and basis.document == ALL:
            lines.append(overage)
        charges = all_lines_total([line for line in lines if line.kind in CHARGES])
        discount = self.discount.line(sheet, charges)
        if discount is not None:
            lines.append(discount)
        return lines
