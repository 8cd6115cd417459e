"""The billing rules, one small named policy each, and the invoice they compose.

* ``LicenceFees`` — per seat kind, in advance, from the count on the
  contract's reference date; ``StudentRate`` — student seats always at the
  student rate, whatever the organisation's plan.
* ``AddonFees`` — per seat holding an add-on on the reference date.
* ``UsageInArrears`` — usage of the previous month on this period's invoice.
* ``OveragePolicy`` — max(0, billable seats − licensed) × overage price.
* ``DiscountPolicy`` — a code's percentage or fixed amount off the charges,
  before VAT, never below zero.
* ``VatRounding`` — VAT once per invoice on the subtotal, under the stored
  rounding policy.

Each works on a ``PriceSheet`` (the prices frozen into the evidence), so
recomputing an old invoice uses exactly the prices it was issued with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from attrs import frozen

from seatledger.domain.catalog import Cadence, Catalog, DiscountCode, DiscountKind, Plan
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId
from seatledger.domain.invoice import (
    AdjustmentBasis,
    Evidence,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PriceSheet,
    all_lines_total,
    hashed_invoice,
)
from seatledger.domain.money import HUNDRED, ROUNDING_POLICIES, ZERO, HalfUpPerInvoice
from seatledger.domain.queries import SeatRow
from seatledger.domain.seat import SeatKind
from seatledger.domain.usage import UsageRecord

INVOICE_KIND = "regular"
CHARGES = frozenset({LineKind.SEAT, LineKind.ADDON, LineKind.USAGE, LineKind.OVERAGE})


def price_sheet(
    contract: Contract,
    plan: Plan,
    catalog: Catalog,
    discount: DiscountCode | None,
    discount_applies: bool,
    *,
    usage_plan: Plan | None = None,
    cadence: Cadence | None = None,
    vat_percent: Decimal | None = None,
    coverage: bool = False,
) -> PriceSheet:
    """Freeze the prices and rules of a contract and catalog for one invoice.

    Under billed coverage (``coverage``) the sheet also names the plan whose
    usage prices apply (the plan in force when the usage happened) and the
    contract's policies; ``cadence`` and ``vat_percent`` override the
    contract's where the service period or the period billed says otherwise.
    """
    cadence = cadence or contract.cadence
    priced_usage = usage_plan or plan
    rule = contract.annual_count().name if cadence is Cadence.ANNUAL else contract.reference
    if coverage and cadence is Cadence.MONTHLY:
        rule = contract.reference
    return PriceSheet(
        plan=plan.id,
        plan_name=plan.name,
        cadence=cadence.value,
        reference_rule=rule,
        seat_price=plan.seat_prices[cadence],
        student_price=catalog.student_rate[cadence],
        addon_prices={a.id: a.prices[cadence] for a in catalog.addons.values()},
        usage_prices={k: catalog.usage_price(priced_usage, k) for k in sorted(catalog.usage_kinds)},
        licensed=contract.licensed,
        overage_price=contract.overage_price,
        vat_percent=contract.vat_percent if vat_percent is None else vat_percent,
        currency=catalog.currency,
        rounding=HalfUpPerInvoice().name,
        discount_code=discount.code if discount else None,
        discount_kind=discount.kind.value if discount else None,
        discount_value=discount.value if discount else None,
        discount_applies=discount_applies,
        contract_version=contract.version,
        usage_plan=priced_usage.id if coverage else None,
        policies=tuple(sorted(contract.policies.as_text().items())) if coverage else None,
    )


def _period_word(sheet: PriceSheet) -> str:
    return "year" if sheet.cadence == Cadence.ANNUAL.value else "month"


@frozen
class StudentRate:
    """Student seats are billed at the student rate; every other seat at the plan's price."""

    def unit_price(self, kind: SeatKind, sheet: PriceSheet) -> Decimal:
        return sheet.student_price if kind is SeatKind.STUDENT else sheet.seat_price


@frozen
class LicenceFees:
    """One line per seat kind: the seats billable on the reference date times their price."""

    rate: StudentRate = StudentRate()

    def lines(
        self, sheet: PriceSheet, rows: Sequence[SeatRow], reference_date: date
    ) -> list[InvoiceLine]:
        counts = Counter(row.kind for row in rows)
        result: list[InvoiceLine] = []
        for kind in (SeatKind.REGULAR, SeatKind.STUDENT):
            if not counts[kind]:
                continue
            unit = self.rate.unit_price(kind, sheet)
            label = f"{sheet.plan_name} plan" if kind is SeatKind.REGULAR else "Student rate"
            result.append(
                InvoiceLine(
                    kind=LineKind.SEAT,
                    description=(
                        f"{label}, per {kind.value} seat per {_period_word(sheet)}: seats "
                        f"active on {reference_date.isoformat()}"
                    ),
                    quantity=counts[kind],
                    unit_price=unit,
                    amount=unit * counts[kind],
                )
            )
        return result


@frozen
class AddonFees:
    """One line per add-on: the seats holding it on the reference date times its price."""

    def lines(
        self, sheet: PriceSheet, rows: Sequence[SeatRow], reference_date: date
    ) -> list[InvoiceLine]:
        counts: Counter[str] = Counter(addon for row in rows for addon in row.addons)
        result: list[InvoiceLine] = []
        for addon in sorted(counts):
            unit = sheet.addon_prices.get(addon)
            if unit is None:
                continue  # an add-on the catalog does not price is free
            result.append(
                InvoiceLine(
                    kind=LineKind.ADDON,
                    description=(
                        f"Add-on {addon}, per seat per {_period_word(sheet)}: seats holding it "
                        f"on {reference_date.isoformat()}"
                    ),
                    quantity=counts[addon],
                    unit_price=unit,
                    amount=unit * counts[addon],
                )
            )
        return result


@frozen
class UsageInArrears:
    """Usage is billed on the next invoice: period P's invoice carries P−1's usage.

    Usage priced at zero on the organisation's plan (new dossiers on
    Standard) is included in the plan and gets no line.
    """

    def window(self, period: Period, trial_until: date | None = None) -> tuple[date, date] | None:
        """The days whose usage period P's invoice bills: P−1, less any trial days.

        None when the whole previous month lay within the trial. The window
        is stored in the evidence, so a recomputation bills the same days.
        """
        previous = period.previous()
        first, last = previous.first_day, previous.last_day
        if trial_until is not None and trial_until >= first:
            first = trial_until + timedelta(days=1)
        if first > last:
            return None
        return first, last

    def lines(
        self, sheet: PriceSheet, usage: Iterable[UsageRecord], first: date, last: date
    ) -> list[InvoiceLine]:
        totals: Counter[str] = Counter()
        for record in usage:
            totals[record.kind] += record.quantity
        result: list[InvoiceLine] = []
        for kind in sorted(totals):
            unit = sheet.usage_prices.get(kind, ZERO)
            if unit == ZERO or not totals[kind]:
                continue
            result.append(
                InvoiceLine(
                    kind=LineKind.USAGE,
                    description=(
                        f"Usage {kind}, from {first.isoformat()} to {last.isoformat()} "
                        "(billed in arrears)"
                    ),
                    quantity=totals[kind],
                    unit_price=unit,
                    amount=unit * totals[kind],
                )
            )
        return result


@frozen
class OveragePolicy:
    """Seats above the licensed count, counted on the reference date, at the overage price."""

    def line(self, sheet: PriceSheet, billable: int, reference_date: date) -> InvoiceLine | None:
        if sheet.licensed is None or sheet.overage_price is None:
            return None
        excess = max(0, billable - sheet.licensed)
        if excess == 0:
            return None
        return InvoiceLine(
            kind=LineKind.OVERAGE,
            description=(
                f"Overage: {billable} seats active on {reference_date.isoformat()}, "
                f"{sheet.licensed} licensed"
            ),
            quantity=excess,
            unit_price=sheet.overage_price,
            amount=sheet.overage_price * excess,
        )


@frozen
class DiscountPolicy:
    """A discount code off the period's charges, before VAT, never below zero."""

    def line(self, sheet: PriceSheet, charges: Decimal) -> InvoiceLine | None:
        if not sheet.discount_applies or sheet.discount_value is None or charges <= ZERO:
            return None
        policy = ROUNDING_POLICIES[sheet.rounding]
        if sheet.discount_kind == DiscountKind.PERCENT.value:
            off = policy.round(charges * sheet.discount_value / HUNDRED, sheet.currency)
            label = f"{format(sheet.discount_value, 'f')}% off"
        else:
            off = min(sheet.discount_value, charges)
            label = f"{format(sheet.discount_value, 'f')} off"
        return InvoiceLine(
            kind=LineKind.DISCOUNT,
            description=f"Discount code {sheet.discount_code} ({label})",
            quantity=1,
            unit_price=-off,
            amount=-off,
        )


@frozen
class VatRounding:
    """Subtotal, VAT and total under the invoice's stored rounding policy.

    VAT is computed once per rate: on the lines at the invoice's rate, and
    separately on the adjustments that carry the rate of the invoice they
    correct (a credit to a 21 % invoice gives the client its 21 % back, even
    when this invoice is at 0 %).
    """

    def breakdown(
        self, sheet: PriceSheet, lines: Sequence[InvoiceLine]
    ) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, base, VAT) per VAT rate, the invoice's own rate first."""
        policy = ROUNDING_POLICIES[sheet.rounding]
        bases: dict[Decimal, Decimal] = {sheet.vat_percent: ZERO}
        for line in lines:
            rate = sheet.vat_percent if line.vat_percent is None else line.vat_percent
            bases[rate] = bases.get(rate, ZERO) + line.amount
        result = []
        for rate, base in bases.items():
            rounded = policy.round(base, sheet.currency)
            result.append((rate, rounded, policy.vat(rounded, rate, sheet.currency)))
        return result

    def totals(
        self, sheet: PriceSheet, lines: Sequence[InvoiceLine]
    ) -> tuple[Decimal, Decimal, Decimal]:
        policy = ROUNDING_POLICIES[sheet.rounding]
        subtotal = policy.round(all_lines_total(lines), sheet.currency)
        parts = self.breakdown(sheet, lines)
        if len(parts) == 1:
            vat = policy.vat(subtotal, sheet.vat_percent, sheet.currency)
        else:
            vat = sum((v for _, _, v in parts), ZERO)
        return subtotal, vat, subtotal + vat


@frozen
class InvoiceRules:
    """The policies composed for a contract (the defaults follow the seeds)."""

    licence: LicenceFees = LicenceFees()
    addons: AddonFees = AddonFees()
    usage: UsageInArrears = UsageInArrears()
    overage: OveragePolicy = OveragePolicy()
    discount: DiscountPolicy = DiscountPolicy()
    vat: VatRounding = VatRounding()

    def charge_lines(
        self,
        sheet: PriceSheet,
        reference_date: date | None,
        rows: Sequence[SeatRow],
        usage: Sequence[UsageRecord],
        usage_window: tuple[date, date] | None,
    ) -> list[InvoiceLine]:
        """Every line of a period but adjustments: charges, then the discount on them."""
        lines: list[InvoiceLine] = []
        if reference_date is not None:
            lines += self.licence.lines(sheet, rows, reference_date)
            lines += self.addons.lines(sheet, rows, reference_date)
            overage = self.overage.line(sheet, len(rows), reference_date)
            if overage is not None:
                lines.append(overage)
        if usage_window is not None:
            lines += self.usage.lines(sheet, usage, *usage_window)
        charges = all_lines_total([line for line in lines if line.kind in CHARGES])
        discount = self.discount.line(sheet, charges)
        if discount is not None:
            lines.append(discount)
        return lines

    def compose(
        self,
        *,
        org: OrgId,
        period: Period,
        sheet: PriceSheet,
        reference_date: date | None,
        rows: Sequence[SeatRow],
        usage: Sequence[UsageRecord],
        usage_window: tuple[date, date] | None,
        adjustments: Sequence[tuple[AdjustmentBasis, InvoiceLine]],
        as_known_at: datetime | None,
        issued_at: datetime | None,
        status: InvoiceStatus,
    ) -> Invoice:
        """The whole invoice, with its evidence and content hash."""
        lines = self.charge_lines(sheet, reference_date, rows, usage, usage_window)
        lines += [line for _, line in adjustments]
        subtotal, vat, total = self.vat.totals(sheet, lines)
        evidence = Evidence(
            as_known_at=as_known_at,
            reference_date=reference_date,
            usage_from=usage_window[0] if usage_window else None,
            usage_until=usage_window[1] if usage_window else None,
            prices=sheet,
            seats=tuple(rows) if reference_date is not None else (),
            usage=tuple(sorted(usage, key=lambda u: u.seq)),
            adjustments=tuple(basis for basis, _ in adjustments),
        )
        return hashed_invoice(
            org=org, period=period, kind=INVOICE_KIND, status=status, sheet=sheet, lines=lines,
            totals=(subtotal, vat, total), evidence=evidence, issued_at=issued_at,
        )  # fmt: skip


def charges_subtotal(lines: Iterable[InvoiceLine]) -> Decimal:
    """The pre-VAT amount of an invoice's own lines (adjustments excluded)."""
    return all_lines_total([line for line in lines if line.kind is not LineKind.ADJUSTMENT])


def adjustment_for(
    original: Invoice,
    recomputed_lines: Sequence[InvoiceLine],
    recomputed_rows: Sequence[SeatRow],
    already_adjusted: Decimal,
    earlier: Sequence[InvoiceLine] = (),
    *,
    own_vat: bool = False,
) -> tuple[AdjustmentBasis, InvoiceLine] | None:
    """The line that brings ``original`` (plus earlier adjustments) to its recomputation.

    Returns None when nothing changed. A positive amount is a debit, a
    negative one a credit; both name the original invoice and the seats
    whose count changed since it was last adjusted (``earlier``: the
    adjustment lines already issued for it). With ``own_vat`` the line
    carries the original invoice's VAT rate, so the correction is taxed as
    the invoice it corrects was.
    """
    billed_before = charges_subtotal(original.lines) + already_adjusted
    recomputed = charges_subtotal(recomputed_lines)
    delta = recomputed - billed_before
    if delta == ZERO:
        return None
    counted: set[str] = {row.seat for row in original.evidence.seats}
    for line in earlier:
        counted ^= set(line.seats)  # each adjustment names the seats it toggled
    after = {row.seat for row in recomputed_rows}
    added, removed = tuple(sorted(after - counted)), tuple(sorted(counted - after))
    changed: tuple[str, ...] = ()
    parts = []
    if added:
        parts.append(f"now counted: {_few(added)}")
    if removed:
        parts.append(f"no longer counted: {_few(removed)}")
    if not parts:
        was = {row.seat: row for row in original.evidence.seats}
        changed = tuple(
            sorted(row.seat for row in recomputed_rows if was.get(row.seat) not in (None, row))
        )
        usage_changed = any(line.kind is LineKind.USAGE for line in recomputed_lines) or any(
            line.kind is LineKind.USAGE for line in original.lines
        )
        if changed:
            parts.append(f"seats whose kind, dates or add-ons changed: {_few(changed)}")
        if usage_changed:
            parts.append("usage recorded for the period changed")
        if not parts:
            parts.append("what the seats owe changed (coverage paid elsewhere)")
    word = "debit" if delta > ZERO else "credit"
    rate = original.vat_rate if own_vat else None
    basis = AdjustmentBasis(original.id, billed_before, recomputed, added, removed, rate)
    line = InvoiceLine(
        kind=LineKind.ADJUSTMENT,
        description=(
            f"Adjustment ({word}) to {original.id} after corrections recorded since it was "
            f"issued: {'; '.join(parts)}"
        ),
        quantity=1,
        unit_price=delta,
        amount=delta,
        refers_to=original.id,
        seats=tuple(sorted(set(added) | set(removed))),
        vat_percent=rate,
    )
    return basis, line


def _few(seats: Sequence[str]) -> str:
    return f"{', '.join(seats[:10])}{' …' if len(seats) > 10 else ''}"
