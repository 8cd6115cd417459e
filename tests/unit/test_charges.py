"""The charge policies one by one, each on a ``PriceSheet`` (docs/billing.md's table).

No store and no run: a sheet of prices, a service term, seats, and the
lines (or totals) one policy makes of them, in euros.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from seatledger.domain.charges import (
    ALL,
    NO_OVERAGE,
    OVERAGE_ONLY,
    AddonFees,
    ArrivalFees,
    CoverageRules,
    LicenceFees,
    LicenceUnits,
    OveragePolicy,
    share_price,
)
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import (
    ArrivalCount,
    ChargeBasis,
    InvoiceLine,
    LineKind,
    PriceSheet,
    ServiceTerm,
)
from seatledger.domain.pricing import VatRounding
from seatledger.domain.queries import SeatRow
from seatledger.domain.seat import SeatKind

SHEET = PriceSheet(
    plan="standard", plan_name="Standard", cadence="annual", reference_rule="annual:09-01-1d",
    seat_price=Decimal("390.00"), student_price=Decimal("195.00"),
    addon_prices={"library": Decimal("40.00")}, usage_prices={}, licensed=None,
    overage_price=None, vat_percent=Decimal("21"), currency="EUR",
    rounding="half-up-per-invoice", discount_code=None, discount_kind=None,
    discount_value=None, discount_applies=False, contract_version=1,
)  # fmt: skip
MONTHLY = attrs.evolve(SHEET, cadence="monthly", seat_price=Decimal("39.00"))
YEAR = ServiceTerm(Period(2025, 9), 12, 12, date(2025, 8, 31))
STUB = ServiceTerm(Period(2025, 11), 10, 12, date(2025, 10, 31))
MONTH = ServiceTerm(Period(2025, 9), 1, 1, date(2025, 9, 30))


def row(n: int, kind: SeatKind = SeatKind.REGULAR, addons: frozenset[str] = frozenset()) -> SeatRow:
    return SeatRow(
        seat=SeatId(f"s{n}"), holder="", kind=kind, activated_on=date(2025, 8, 1),
        deactivated_on=None, paying_org=OrgId("north"), billed_from=date(2025, 8, 1),
        billed_until=None, addons=addons,
    )  # fmt: skip


def money(lines: list[InvoiceLine]) -> list[tuple[int, str, str]]:
    return [(ln.quantity, str(ln.unit_price), str(ln.amount)) for ln in lines]


def test_licence_fees_a_whole_year_is_the_annual_price_exactly():
    lines = LicenceFees().lines(SHEET, YEAR, [row(0), row(1)], {"": 12})
    assert money(lines) == [(2, "390.00", "780.00")]
    assert (lines[0].service_from, lines[0].service_months) == (Period(2025, 9), 12)


def test_licence_fees_ten_months_of_a_year_is_325_00_a_seat():
    assert money(LicenceFees().lines(SHEET, STUB, [row(0)], {"": 10})) == [(1, "325.00", "325.00")]


def test_licence_fees_seats_paid_in_advance_elsewhere_owe_only_their_other_months():
    lines = LicenceFees().lines(SHEET, YEAR, [row(0), row(1)], {"s1": 8, "": 12})
    assert money(lines) == [(1, "390.00", "390.00"), (1, "260.00", "260.00")]
    assert "8 months not paid before" in lines[1].description


def test_student_seats_are_at_the_student_rate():
    assert money(LicenceFees().lines(SHEET, YEAR, [row(0, SeatKind.STUDENT)], {"": 12})) == [
        (1, "195.00", "195.00")
    ]


def test_licence_units_are_the_licence_whatever_the_count():
    licensed = attrs.evolve(MONTHLY, licensed=400, overage_price=Decimal("12.50"))
    line = LicenceUnits().line(licensed, MONTH)
    assert line is not None
    assert money([line]) == [(400, "39.00", "15600.00")]


def test_overage_is_only_the_seats_above_the_licence():
    licensed = attrs.evolve(MONTHLY, licensed=400, overage_price=Decimal("12.50"))
    line = OveragePolicy().line(licensed, MONTH, 403)
    assert line is not None
    assert money([line]) == [(3, "12.50", "37.50")]
    assert OveragePolicy().line(licensed, MONTH, 400) is None


def test_addon_fees_follow_the_months_owed():
    lines = AddonFees().lines(
        SHEET, STUB, [row(0, addons=frozenset({"library"}))], {"": 10}
    )  # 40.00 x 10/12
    assert money(lines) == [(1, "33.33", "33.33")]


def test_arrival_fees_charge_the_months_left_of_the_year():
    arrived = ArrivalCount(Period(2025, 10), 12, date(2025, 10, 31), (row(0),), (("s0", 11),))
    assert money(ArrivalFees().lines(SHEET, arrived)) == [(1, "357.50", "357.50")]
    licensed = attrs.evolve(SHEET, licensed=10, overage_price=Decimal("12.50"))
    assert ArrivalFees().lines(licensed, arrived) == []


def test_an_overage_document_holds_the_overage_and_the_invoice_the_rest():
    licensed = attrs.evolve(MONTHLY, licensed=1, overage_price=Decimal("12.50"))
    rows = [row(0), row(1)]

    def lines(document: str) -> list[tuple[int, str, str]]:
        basis = ChargeBasis(MONTH, (), (), None, document)
        return money(CoverageRules().lines(licensed, basis, rows, (), None))

    assert lines(ALL) == [(1, "39.00", "39.00"), (1, "12.50", "12.50")]
    assert lines(NO_OVERAGE) == [(1, "39.00", "39.00")]
    assert lines(OVERAGE_ONLY) == [(1, "12.50", "12.50")]


def test_vat_is_computed_per_rate_and_a_correction_keeps_its_own():
    charge = InvoiceLine(LineKind.SEAT, "seat", 1, Decimal("39.00"), Decimal("39.00"))
    credit = InvoiceLine(
        LineKind.ADJUSTMENT, "credit", 1, Decimal("-39.00"), Decimal("-39.00"),
        refers_to="INV-2025-09-north", vat_percent=Decimal("21"),
    )  # fmt: skip
    zero = attrs.evolve(MONTHLY, vat_percent=Decimal("0"))
    assert VatRounding().breakdown(zero, [charge, credit]) == [
        (Decimal("0"), Decimal("39.00"), Decimal("0.00")),
        (Decimal("21"), Decimal("-39.00"), Decimal("-8.19")),
    ]
    assert VatRounding().totals(zero, [charge, credit]) == (
        Decimal("0.00"), Decimal("-8.19"), Decimal("-8.19"),
    )  # fmt: skip


@given(
    price=st.decimals(min_value=0, max_value=10_000, places=2),
    months=st.integers(1, 12),
)
def test_a_share_is_the_price_times_months_over_twelve_to_the_cent(price, months):
    share = share_price(SHEET, price, months, 12)
    assert abs(share - price * months / 12) <= Decimal("0.005")
    assert share == share.quantize(Decimal("0.01"))
    if months == 12:
        assert share == price
