"""Billed coverage: which months of which seat each organisation owes, under which terms.

An organisation's contract versions turn into a **schedule** of service
periods: a month on a monthly contract, a contract year (or the stub of one
up to the next year start) on an annual contract. Each service period is
counted once, on its count date, and invoiced in the run for its first
month. A seat counted for a service period is charged for the months of it
that nobody covered before: the months a seat's earlier payer paid in
advance are never paid again (``TransferOfPaidCoverage``), and a seat that
arrives in an annual organisation mid-year, after an earlier payer stopped
paying, is charged for the rest of that year (nobody pays twice, nobody
pays nothing).

The named policies, each chosen per contract (``ContractPolicies``):

* ``AnnualStart`` — a contract that starts or switches to annual mid-year:
  ``pro-rata`` (default) bills the months to the next year start as a share
  of the annual price (10 months of 390.00 = 325.00); ``monthly`` bills
  monthly fees until then; ``next-year`` bills nothing until the year starts.
* ``LeaveAnnual`` (the cadence switch away from annual) — ``wait`` (default):
  a paid year is never billed again, the new terms start when it ends;
  ``credit``: the new terms start when asked and the unused whole months of
  the year are credited.
* ``TransferOfPaidCoverage`` — ``carried`` (default): the months a sender
  paid in advance stay paid, the receiver pays from their end; ``credited``:
  the sender is credited the whole months after the month the seat left,
  and the receiver pays for them.

These functions are pure: they take contract versions and seat timelines
and answer with service periods and months owed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs
from attrs import frozen

from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract, contract_in_force
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId
from seatledger.domain.policies import AnnualStart, LeaveAnnual, PaidCoverage
from seatledger.domain.timeline import SeatTimeline

YEAR = 12


def months_between(first: Period, end: Period) -> int:
    """How many months from ``first`` up to (not including) ``end``."""
    return (end.year - first.year) * YEAR + end.month - first.month


def add_months(period: Period, months: int) -> Period:
    index = period.year * YEAR + period.month - 1 + months
    return Period(index // YEAR, index % YEAR + 1)


@frozen
class ServicePeriod:
    """Months ``first`` … ``first + months − 1`` of ``org``, counted on ``counted_on``.

    ``basis`` is how many months the cadence price is for (1 monthly, 12
    annual): a seat owing ``n`` months pays ``n / basis`` of it. ``length``
    is the months the period was scheduled for before a ``credit`` switch
    cut it short (``months`` < ``length``).
    """

    org: OrgId
    first: Period
    months: int
    basis: int
    counted_on: date
    contract: Contract
    length: int
    # The first month and the month after the last, as whole numbers (``index``).
    start: int = attrs.field(init=False, eq=False, repr=False)
    stop: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        start = self.first.year * YEAR + self.first.month - 1
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "stop", start + self.months)

    @property
    def end(self) -> Period:
        """The first month after the period."""
        return add_months(self.first, self.months)

    def covers(self, month: Period) -> bool:
        return self.start <= month.year * YEAR + month.month - 1 < self.stop

    @property
    def cadence(self) -> Cadence:
        return Cadence.MONTHLY if self.basis == 1 else Cadence.ANNUAL

    def share(self, months: int) -> Decimal:
        """The part of the cadence price that ``months`` of this period are."""
        return Decimal(months) / Decimal(self.basis)


def _known(versions: Iterable[Contract], known_at: datetime | None) -> list[Contract]:
    return [
        c
        for c in versions
        if known_at is None or c.recorded_at is None or c.recorded_at <= known_at
    ]


def _months_to_year_start(month: Period, contract: Contract) -> int:
    annual = contract.annual_count()
    months = 1
    while not annual.starts_in(add_months(month, months)):
        months += 1
    return months


def schedule(
    org: OrgId,
    versions: Iterable[Contract],
    until: Period,
    known_at: datetime | None = None,
) -> list[ServicePeriod]:
    """Every service period of ``org`` that starts on or before ``until``, in order.

    Built by walking the months from the first contract on: a month with no
    plan (a trial without one, or nothing agreed) and a candidate period
    whose count date lies within the trial start nothing; a monthly month
    is one period; an annual contract opens a whole year at its year start,
    or a stub up to it (``AnnualStart``), and the walk resumes after it, so
    a paid year is never billed again (``LeaveAnnual``: with ``credit`` a
    monthly version in force within the year ends it early).
    """
    known = _known(versions, known_at)
    if not known:
        return []
    month = min(c.effective_from for c in known)
    in_force = _in_force_by_month(known, month, add_months(until, YEAR))
    result: list[ServicePeriod] = []
    while month <= until:
        contract = in_force(month)
        if contract is None or contract.plan is None:
            month = month.next()
            continue
        if contract.cadence is Cadence.MONTHLY or _stub_billed_monthly(contract, month):
            counted = contract.reference_rule().reference_date(month)
            if not contract.in_trial_on(counted):
                result.append(ServicePeriod(org, month, 1, 1, counted, contract, 1))
            month = month.next()
            continue
        annual = contract.annual_count()
        if annual.starts_in(month):
            length = YEAR
            counted = annual.count_date(month.year)
        elif contract.policies.annual_start is AnnualStart.NEXT_YEAR:
            month = month.next()
            continue
        else:
            length = _months_to_year_start(month, contract)
            counted = month.first_day - timedelta(days=contract.count_days_before)
        if contract.in_trial_on(counted):
            month = month.next()
            continue
        months = length
        for offset in range(1, length):
            later = in_force(add_months(month, offset))
            if (
                later is not None
                and later.cadence is Cadence.MONTHLY
                and later.policies.leave_annual is LeaveAnnual.CREDIT
            ):
                months = offset
                break
        result.append(ServicePeriod(org, month, months, YEAR, counted, contract, length))
        month = add_months(month, months)
    return result


def _in_force_by_month(
    known: list[Contract], first: Period, last: Period
) -> Callable[[Period], Contract | None]:
    """``contract_in_force(known, month)`` for every month from ``first`` to ``last``, worked
    out once (the versions in force only change where one takes effect)."""
    starts = sorted({c.effective_from for c in known})
    table: dict[Period, Contract | None] = {}
    month, current = first, None
    while month <= last:
        if month in starts or current is None:
            current = contract_in_force(known, month)
        table[month] = current
        month = month.next()

    def lookup(month: Period) -> Contract | None:
        if month in table:
            return table[month]
        return contract_in_force(known, month)

    return lookup


def _stub_billed_monthly(contract: Contract, month: Period) -> bool:
    return (
        contract.policies.annual_start is AnnualStart.MONTHLY
        and not contract.annual_count().starts_in(month)
    )


def starting_in(periods: Sequence[ServicePeriod], month: Period) -> ServicePeriod | None:
    """The service period that starts in ``month``, if any (it is invoiced in that run)."""
    for sp in periods:
        if sp.first == month:
            return sp
    return None


def covering(periods: Sequence[ServicePeriod], month: Period) -> ServicePeriod | None:
    """The service period whose months include ``month``, if any."""
    for sp in periods:
        if sp.covers(month):
            return sp
    return None


def arrival_count_date(sp: ServicePeriod, month: Period) -> date:
    """The day a seat arriving in an annual period during ``month`` is counted on."""
    return sp.contract.reference_rule().reference_date(month)


# --- Who owes which month of a seat -------------------------------------------------


@frozen
class Claim:
    """One organisation's claim on a seat's months: counted on ``day`` for ``sp``.

    ``arrival`` claims are those of a seat that arrived in an annual period
    after its count (``from_month`` is the month it is counted in).
    """

    day: date
    org: OrgId
    sp: ServicePeriod
    from_month: Period
    arrival: bool


@frozen
class Owed:
    """What one claim owes: the months nobody covered before it."""

    claim: Claim
    months: int


def _leaves_after(timeline: SeatTimeline, org: OrgId, counted: date) -> date | None:
    """The first day after ``counted`` on which ``org`` no longer pays for the seat."""
    for owner in timeline.owners:
        if owner.org == org and owner.covers(counted):
            return owner.end
    return None


def seat_claims(
    timeline: SeatTimeline,
    schedules: Mapping[OrgId, Sequence[ServicePeriod]],
    *,
    within: tuple[Period, Period] | None = None,
) -> list[Owed]:
    """Every claim on the seat's months and what each owes, in the order they were counted.

    A claim is a service period of the organisation paying for the seat
    on its count date while the seat is active, or the arrival of the seat
    in an annual period after its count, when the month before was paid by
    another organisation. Claims take their months in the order of their
    count dates; a month already taken is not owed again (``carried``). A
    sender whose contract says ``credited`` keeps only the months up to
    the one in which the seat left it.

    ``within=(first, end)`` asks only about the months ``first`` … ``end``
    (excluded): service periods that cover none of them, nor the month
    before (an arrival's condition), cannot change what those months owe,
    and are left out.
    """
    # Months as whole numbers (year * 12 + month - 1): this runs for every moved seat.
    chosen = _relevant(schedules, within)
    claims: list[tuple[date, int, OrgId, ServicePeriod, bool]] = []
    for org, periods in schedules.items():
        for sp in periods:
            first = sp.start
            if chosen is not None and (org, first) not in chosen:
                continue
            counted = timeline.is_active_on(sp.counted_on) and (
                timeline.payer_on(sp.counted_on) == org
            )
            if counted:
                claims.append((sp.counted_on, first, org, sp, False))
            elif sp.basis == YEAR:
                for offset in range(sp.months):
                    day = arrival_count_date(sp, add_months(sp.first, offset))
                    if (
                        day > sp.counted_on
                        and timeline.is_active_on(day)
                        and timeline.payer_on(day) == org
                    ):
                        claims.append((day, first + offset, org, sp, True))
    claims.sort(key=lambda c: (c[0], c[1], c[2]))
    taken: dict[int, OrgId] = {}
    arrived: set[tuple[OrgId, int]] = set()
    result: list[Owed] = []
    for day, start, org, sp, arrival in claims:
        first, end = sp.start, sp.stop
        if not arrival and sp.contract.policies.paid_coverage is PaidCoverage.CREDITED:
            left = _leaves_after(timeline, org, day)
            if left is not None and timeline.payer_on(left) not in (None, org):
                end = min(end, left.year * YEAR + left.month)  # up to the month it left in
        if arrival:
            before = taken.get(start - 1)
            if (org, first) in arrived or before is None or before == org:
                continue
            arrived.add((org, first))
        owed = 0
        for month in range(start, end):
            if month not in taken:
                taken[month] = org
                owed += 1
        claim = Claim(day, org, sp, add_months(sp.first, start - first), arrival)
        result.append(Owed(claim, owed))
    return result


def _relevant(
    schedules: Mapping[OrgId, Sequence[ServicePeriod]], within: tuple[Period, Period] | None
) -> set[tuple[OrgId, int]] | None:
    """The service periods whose claims can change what the months ``within`` owe.

    Those that cover one of the months, or the month before one (an arrival's
    condition), and then, for each annual one included (whose arrivals ask
    who paid the month before each of its months), those that cover its
    months or the month before them, until nothing more is included. A claim
    never takes months before its own, so later periods do not matter.
    None: all.
    """
    if within is None:
        return None
    spans = [
        (org, sp.start, sp.stop, sp.basis == YEAR)
        for org, periods in schedules.items()
        for sp in periods
    ]
    low, high = index(within[0]) - 1, index(within[1])
    chosen: set[tuple[OrgId, int]] = set()
    while True:
        grew = False
        for org, first, end, annual in spans:
            if (org, first) not in chosen and first < high and end > low:
                chosen.add((org, first))
                grew = True
                if annual:  # its arrivals ask who paid the month before each of its months
                    low = min(low, first - 1)
        if not grew:
            return chosen


def index(period: Period) -> int:
    """A month as a whole number, so months compare and count as integers."""
    return period.year * YEAR + period.month - 1


def owed_for(owed: Sequence[Owed], org: OrgId, sp: ServicePeriod, *, arrival: bool) -> Owed | None:
    """The claim of ``org`` on ``sp`` (its count, or an arrival in it) among ``owed``."""
    for item in owed:
        c = item.claim
        if c.org == org and c.sp.first == sp.first and c.arrival is arrival:
            return item
    return None
