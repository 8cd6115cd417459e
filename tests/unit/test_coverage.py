"""The coverage rules one by one: service periods, and which months of a seat each payer owes.

``schedule`` turns contract versions into service periods (AnnualStart,
LeaveAnnual); ``seat_claims`` shares a seat's months between the
organisations that paid for it (TransferOfPaidCoverage). Pure functions on
values: no store, no clock.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract
from seatledger.domain.coverage import (
    add_months,
    months_between,
    schedule,
    seat_claims,
    starting_in,
)
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.policies import AnnualStart, ContractPolicies, LeaveAnnual, PaidCoverage
from seatledger.domain.reference_dates import YearStart
from seatledger.domain.seat import SeatKind
from seatledger.domain.timeline import ActiveInterval, OwnershipInterval, SeatTimeline

NORTH, SOUTH = OrgId("north"), OrgId("south")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def version(
    effective_from: Period,
    cadence: Cadence,
    *,
    number: int = 1,
    plan: str | None = "standard",
    org: OrgId = NORTH,
    **policies: object,
) -> Contract:
    return Contract(
        org=org, plan=plan, cadence=cadence, reference="month-end",
        effective_from=effective_from, vat_percent=Decimal("21"), year_start=YearStart(9, 1),
        policies=ContractPolicies(**policies),  # type: ignore[arg-type]
        version=number, recorded_at=T0,
    )  # fmt: skip


def shape(org: OrgId, versions: list[Contract], until: Period) -> list[tuple[str, int, date]]:
    return [(str(sp.first), sp.months, sp.counted_on) for sp in schedule(org, versions, until)]


def test_a_monthly_contract_is_one_period_a_month_counted_on_its_last_day():
    assert shape(NORTH, [version(Period(2025, 9), Cadence.MONTHLY)], Period(2025, 11)) == [
        ("2025-09", 1, date(2025, 9, 30)),
        ("2025-10", 1, date(2025, 10, 31)),
        ("2025-11", 1, date(2025, 11, 30)),
    ]


def test_an_annual_contract_from_its_year_start_is_one_year_counted_the_day_before():
    assert shape(NORTH, [version(Period(2025, 9), Cadence.ANNUAL)], Period(2026, 9)) == [
        ("2025-09", 12, date(2025, 8, 31)),
        ("2026-09", 12, date(2026, 8, 31)),
    ]


def test_annual_start_pro_rata_signed_in_november_covers_ten_months_counted_31_october():
    periods = schedule(NORTH, [version(Period(2025, 11), Cadence.ANNUAL)], Period(2025, 11))
    [stub] = periods
    assert (str(stub.first), stub.months, stub.basis, stub.counted_on) == (
        "2025-11", 10, 12, date(2025, 10, 31),
    )  # fmt: skip
    assert stub.share(stub.months) * Decimal("390.00") == Decimal("325.00")


def test_annual_start_monthly_bills_monthly_fees_until_the_year_starts():
    versions = [version(Period(2026, 6), Cadence.ANNUAL, annual_start=AnnualStart.MONTHLY)]
    assert shape(NORTH, versions, Period(2026, 9)) == [
        ("2026-06", 1, date(2026, 6, 30)),
        ("2026-07", 1, date(2026, 7, 31)),
        ("2026-08", 1, date(2026, 8, 31)),
        ("2026-09", 12, date(2026, 8, 31)),
    ]


def test_annual_start_next_year_bills_nothing_until_the_year_starts():
    versions = [version(Period(2026, 6), Cadence.ANNUAL, annual_start=AnnualStart.NEXT_YEAR)]
    assert shape(NORTH, versions, Period(2026, 9)) == [("2026-09", 12, date(2026, 8, 31))]


def test_leaving_annual_waits_for_the_paid_year_to_end():
    versions = [
        version(Period(2025, 9), Cadence.ANNUAL),
        version(Period(2025, 11), Cadence.MONTHLY, number=2),
    ]
    assert shape(NORTH, versions, Period(2026, 10)) == [
        ("2025-09", 12, date(2025, 8, 31)),
        ("2026-09", 1, date(2026, 9, 30)),
        ("2026-10", 1, date(2026, 10, 31)),
    ]


def test_leaving_annual_with_credit_ends_the_year_when_the_monthly_version_starts():
    versions = [
        version(Period(2025, 9), Cadence.ANNUAL),
        version(Period(2025, 11), Cadence.MONTHLY, number=2, leave_annual=LeaveAnnual.CREDIT),
    ]
    periods = schedule(NORTH, versions, Period(2025, 11))
    assert [(str(p.first), p.months, p.length) for p in periods] == [
        ("2025-09", 2, 12),
        ("2025-11", 1, 1),
    ]


def test_a_trial_without_a_plan_starts_nothing():
    versions = [version(Period(2025, 9), Cadence.MONTHLY, plan=None)]
    assert schedule(NORTH, versions, Period(2025, 12)) == []


@given(
    cadences=st.lists(st.sampled_from(list(Cadence)), min_size=1, max_size=6),
    gaps=st.lists(st.integers(1, 7), min_size=6, max_size=6),
    credit=st.booleans(),
)
def test_service_periods_never_overlap_and_are_in_order(cadences, gaps, credit):
    """Whatever the versions, no month is in two service periods (a paid year is billed once)."""
    month, versions = Period(2025, 1), []
    for n, (cadence, gap) in enumerate(zip(cadences, gaps, strict=False), start=1):
        leave = LeaveAnnual.CREDIT if credit else LeaveAnnual.WAIT
        versions.append(version(month, cadence, number=n, leave_annual=leave))
        month = add_months(month, gap)
    periods = schedule(NORTH, versions, Period(2027, 12))
    for before, after in itertools.pairwise(periods):
        assert before.end <= after.first
    assert all(1 <= p.months <= 12 for p in periods)
    assert starting_in(periods, Period(2030, 1)) is None


def timeline(*owners: tuple[date, date | None, OrgId], start: date = date(2025, 8, 1)):
    return SeatTimeline(
        seat=SeatId("p-0"),
        intervals=(
            ActiveInterval(
                start=start,
                end=None,
                ended_by=None,
                holder="",
                seat_kind=SeatKind.REGULAR,
                addons=frozenset(),
            ),
        ),
        owners=tuple(OwnershipInterval(org=org, start=a, end=b) for a, b, org in owners),
    )


def claims_of(tl: SeatTimeline, schedules: dict) -> dict[tuple[str, str, bool], int]:
    return {
        (o.claim.org, str(o.claim.from_month), o.claim.arrival): o.months
        for o in seat_claims(tl, schedules)
    }


def test_carried_a_year_paid_in_advance_is_not_paid_again_by_a_monthly_receiver():
    gold = schedule(NORTH, [version(Period(2025, 9), Cadence.ANNUAL)], Period(2026, 9))
    mono = schedule(SOUTH, [version(Period(2025, 9), Cadence.MONTHLY, org=SOUTH)], Period(2026, 9))
    tl = timeline((date(2025, 8, 1), date(2025, 10, 10), NORTH), (date(2025, 10, 10), None, SOUTH))
    owed = claims_of(tl, {NORTH: gold, SOUTH: mono})
    assert owed[("north", "2025-09", False)] == 12
    assert owed[("south", "2025-10", False)] == 0
    assert owed[("south", "2026-08", False)] == 0
    assert owed[("south", "2026-09", False)] == 1  # the paid year has ended


def test_credited_the_sender_keeps_only_the_months_up_to_the_one_the_seat_left_in():
    gold = schedule(
        NORTH, [version(Period(2025, 9), Cadence.ANNUAL, paid_coverage=PaidCoverage.CREDITED)],
        Period(2026, 9),
    )  # fmt: skip
    mono = schedule(SOUTH, [version(Period(2025, 9), Cadence.MONTHLY, org=SOUTH)], Period(2026, 9))
    tl = timeline((date(2025, 8, 1), date(2025, 10, 10), NORTH), (date(2025, 10, 10), None, SOUTH))
    owed = claims_of(tl, {NORTH: gold, SOUTH: mono})
    assert owed[("north", "2025-09", False)] == 2  # September and October
    assert owed[("south", "2025-10", False)] == 0  # October was paid by north
    assert owed[("south", "2025-11", False)] == 1


def test_a_seat_arriving_in_an_annual_organisation_is_charged_the_months_left():
    mono = schedule(SOUTH, [version(Period(2025, 9), Cadence.MONTHLY, org=SOUTH)], Period(2026, 9))
    gold = schedule(NORTH, [version(Period(2025, 9), Cadence.ANNUAL)], Period(2026, 9))
    tl = timeline((date(2025, 8, 1), date(2025, 10, 10), SOUTH), (date(2025, 10, 10), None, NORTH))
    owed = claims_of(tl, {NORTH: gold, SOUTH: mono})
    assert owed[("south", "2025-09", False)] == 1
    assert ("south", "2025-10", False) not in owed  # not south's on 31 October
    assert owed[("north", "2025-10", True)] == 11  # October to August
    assert owed[("north", "2026-09", False)] == 12


def test_a_seat_added_to_an_annual_organisation_mid_year_waits_for_the_next_count():
    gold = schedule(NORTH, [version(Period(2025, 9), Cadence.ANNUAL)], Period(2026, 9))
    tl = timeline((date(2025, 10, 10), None, NORTH), start=date(2025, 10, 10))
    owed = claims_of(tl, {NORTH: gold})
    assert ("north", "2025-10", True) not in owed
    assert owed == {("north", "2026-09", False): 12}


@pytest.mark.parametrize(
    ("first", "end", "months"),
    [(Period(2025, 11), Period(2026, 9), 10), (Period(2025, 9), Period(2025, 9), 0)],
)
def test_months_between_counts_whole_months(first, end, months):
    assert months_between(first, end) == months
    assert add_months(first, months) == end
