"""INV-16, every seat-month billed once at the terms it was used under, as a state machine.

The machine drives the real use cases (contracts, seats, take-overs, usage,
billing runs) on the in-memory ledger with a simulated clock, month by
month, and after every billing run compares what the issued documents
charge with a naive oracle. The oracle shares no code with
``seatledger.domain.pricing``, ``charges`` or ``coverage``: it keeps its own
record of every seat (activation, deactivation, payer from each date), reads
only the contract versions agreed (their terms and policies, as data), and
walks the calendar one month and one seat at a time:

* a monthly month is counted on its last day; an annual year starts on
  1 September and is counted on 31 August; an annual contract starting or
  switched to mid-year pays the months to September, counted the day before
  its first month, at the annual price times months / 12 (rounded half-up per
  seat); leaving annual waits for the year's end, or with ``credit`` ends it
  when the monthly version starts;
* every month of a seat is paid once: by the first organisation that counted
  it (``carried``; a ``credited`` sender keeps only the months up to the one
  the seat left in), and a seat arriving in an annual organisation after its
  count, paid by another the month before, is charged the months left;
* a licence is N units at the seat price plus the seats above N at the
  overage price; usage of the previous month is priced at the plan in force
  that month.

Every shrunk failure is kept in ``test_regressions.py``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from returns.result import Success

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period
from seatledger.domain.invoice import Invoice, LineKind
from seatledger.domain.policies import LeaveAnnual, PaidCoverage
from seatledger.domain.services import admins, billing, contracts, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.organisations import add_organisation

CATALOG = load_catalog().unwrap()
PINS = ScryptPinHasher(log2_n=4)
ORGS = ("a", "b", "c")
START = date(2025, 8, 1)
PRICES = {  # the shipped catalog, written out again: (monthly, annual)
    "standard": (Decimal("39.00"), Decimal("390.00")),
    "blended": (Decimal("59.00"), Decimal("590.00")),
}
DOSSIER = {"standard": Decimal("0"), "blended": Decimal("0"), "starter": Decimal("5.00")}
OVERAGE = Decimal("12.50")
CENT = Decimal("0.01")


def months(first: Period, count: int) -> list[Period]:
    out = [first]
    while len(out) < count:
        out.append(out[-1].next())
    return out


def last_day(p: Period) -> date:
    return p.next().first_day - timedelta(days=1)


class Oracle:
    """What every organisation should have been charged, computed the slow and obvious way."""

    def __init__(self) -> None:
        self.activated: dict[str, date] = {}
        self.deactivated: dict[str, date] = {}
        self.payers: dict[str, list[tuple[date, str]]] = {}
        self.usage: list[tuple[str, date, int]] = []

    def active(self, seat: str, day: date) -> bool:
        off = self.deactivated.get(seat)
        return self.activated[seat] <= day and (off is None or day < off)

    def payer(self, seat: str, day: date) -> str | None:
        found = None
        for since, org in self.payers[seat]:
            if since <= day:
                found = org
        return found

    def terms(self, versions: list[Contract], month: Period) -> Contract | None:
        best = None
        for v in versions:
            if v.effective_from <= month and (
                best is None or (v.effective_from, v.version) > (best.effective_from, best.version)
            ):
                best = v
        return best

    def periods(self, org: str, versions: list[Contract], until: Period) -> list[tuple]:
        """(first month, months, basis, count date, contract) of each service period."""
        out: list[tuple] = []
        if not versions:
            return out
        m = min(v.effective_from for v in versions)
        while m <= until:
            c = self.terms(versions, m)
            if c is None or c.plan is None:
                m = m.next()
                continue
            if c.cadence is Cadence.MONTHLY:
                out.append((m, 1, 1, last_day(m), c))
                m = m.next()
                continue
            length = 12 if m.month == 9 else (9 - m.month) % 12
            count = date(m.year, 8, 31) if m.month == 9 else m.first_day - timedelta(days=1)
            span = length
            for k, later in enumerate(months(m, length)[1:], start=1):
                lc = self.terms(versions, later)
                if (
                    lc is not None
                    and lc.cadence is Cadence.MONTHLY
                    and (lc.policies.leave_annual is LeaveAnnual.CREDIT)
                ):
                    span = k
                    break
            out.append((m, span, 12, count, c))
            m = months(m, span + 1)[-1]
        return out

    def owed(self, schedules: dict[str, list[tuple]]) -> dict[tuple[str, Period], dict]:
        """For each (org, first month): {"seats": {seat: months}, "arrivals": {seat: months},
        "arrival_month": month} from a seat-month at a time walk over every claim."""
        result: dict[tuple[str, Period], dict] = defaultdict(
            lambda: {"seats": {}, "arrivals": {}, "counted": 0}
        )
        for seat in self.activated:
            claims = []
            for org, periods in schedules.items():
                for first, span, basis, count, contract in periods:
                    if self.active(seat, count) and self.payer(seat, count) == org:
                        claims.append((count, first, org, first, span, contract, False))
                    elif basis == 12:
                        for x in months(first, span):
                            day = last_day(x)
                            if (
                                day > count
                                and self.active(seat, day)
                                and self.payer(seat, day) == org
                            ):
                                claims.append((day, x, org, first, span, contract, True))
            claims.sort(key=lambda c: (c[0], c[1], c[2]))
            taken: dict[Period, str] = {}
            arrived: set[tuple[str, Period]] = set()
            for day, start, org, first, span, contract, arrival in claims:
                end = months(first, span + 1)[-1]
                if arrival:
                    if (org, first) in arrived or taken.get(start.previous()) in (None, org):
                        continue
                    arrived.add((org, first))
                elif contract.policies.paid_coverage is PaidCoverage.CREDITED:
                    for since, other in self.payers[seat]:
                        if (
                            since > day
                            and other != org
                            and self.payer(seat, since - timedelta(days=1)) == org
                        ):
                            end = min(end, Period(since.year, since.month).next())
                            break
                got = 0
                m = start
                while m < end:
                    if m not in taken:
                        taken[m] = org
                        got += 1
                    m = m.next()
                entry = result[(org, start if arrival else first)]
                if arrival:
                    entry["arrivals"][seat] = got
                elif got:
                    entry["seats"][seat] = got
        return result

    def expected(
        self, versions: dict[str, list[Contract]], until: Period
    ) -> dict[tuple[str, Period], Decimal]:
        schedules = {org: self.periods(org, versions[org], months(until, 13)[-1]) for org in ORGS}
        owed = self.owed(schedules)
        money: dict[tuple[str, Period], Decimal] = defaultdict(Decimal)
        for org, periods in schedules.items():
            for first, span, basis, _count, c in periods:
                if first > until:
                    continue
                monthly, annual = PRICES[c.plan]
                price = monthly if basis == 1 else annual
                owing = owed[(org, first)]["seats"]
                if c.licensed is not None:
                    unit = (price * span / basis).quantize(CENT, ROUND_HALF_UP)
                    over = (OVERAGE * span / basis).quantize(CENT, ROUND_HALF_UP)
                    money[(org, first)] += (
                        c.licensed * unit + max(0, len(owing) - c.licensed) * over
                    )
                else:
                    for got in owing.values():
                        money[(org, first)] += (price * got / basis).quantize(CENT, ROUND_HALF_UP)
                if basis == 12:
                    for x in months(first, span):
                        if x.next() > until:
                            continue
                        arrivals = owed.get((org, x), {"arrivals": {}})["arrivals"]
                        if c.licensed is None:
                            for got in arrivals.values():
                                money[(org, x.next())] += (price * got / 12).quantize(
                                    CENT, ROUND_HALF_UP
                                )
        for org, day, quantity in self.usage:
            used_in = Period(day.year, day.month)
            if used_in.next() > until:
                continue
            c = self.terms(versions[org], used_in)
            if c is not None and c.plan is not None:
                money[(org, used_in.next())] += DOSSIER[c.plan] * quantity
        return {k: v for k, v in money.items() if v}


class MoneyMachine(RuleBasedStateMachine):
    """Contracts, seats, take-overs and usage, billed month after month (INV-16)."""

    @initialize(
        plans=st.lists(st.sampled_from(["standard", "blended"]), min_size=3, max_size=3),
        cadences=st.lists(st.sampled_from(list(Cadence)), min_size=3, max_size=3),
        licences=st.lists(st.sampled_from([None, None, 1, 3]), min_size=3, max_size=3),
    )
    def start(self, plans, cadences, licences) -> None:
        self.clock = SimulatedDay(START)
        self.services = Services(InMemoryUnitOfWork(), self.clock)
        self.oracle = Oracle()
        self.billed_until: Period | None = None
        self.just_billed = False
        self.issued_now = set()
        self.next_seat = 0
        for org, plan, cadence, licensed in zip(ORGS, plans, cadences, licences, strict=True):
            add_organisation(self.services, org, org.upper()).unwrap()
            admins.add_admin(self.services, PINS, org, "boss", "2580").unwrap()
            contracts.set_contract(
                self.services, CATALOG, org,
                ContractTerms(
                    plan=plan, cadence=cadence, year_start="09-01",
                    payment_method=contracts.PaymentMethod.CARD,
                    licensed=licensed, overage_price=OVERAGE if licensed is not None else None,
                ),
                actor="ops",
            ).unwrap()  # fmt: skip
        for org in ORGS:
            self.activate(org, 2)

    @property
    def today(self) -> date:
        return self.clock.day

    def live(self) -> list[str]:
        return [s for s in self.oracle.activated if self.oracle.active(s, self.today)]

    @rule(org=st.sampled_from(ORGS), count=st.integers(1, 3))
    def activate(self, org: str, count: int) -> None:
        self.just_billed = False
        for _ in range(count):
            seat = f"s{self.next_seat}"
            self.next_seat += 1
            seats.activate(self.services, seat, org, actor="ops").unwrap()
            self.oracle.activated[seat] = self.today
            self.oracle.payers[seat] = [(self.today, org)]

    @precondition(lambda self: bool(self.live()))
    @rule(data=st.data(), back=st.integers(0, 45))
    def deactivate(self, data, back: int) -> None:
        self.just_billed = False
        seat = data.draw(st.sampled_from(sorted(self.live())))
        floor = max([self.oracle.activated[seat], *(d for d, _ in self.oracle.payers[seat])])
        on = max(floor + timedelta(days=1), self.today - timedelta(days=back))
        if on > self.today:
            return
        done = seats.deactivate(
            self.services, seat, actor="ops", on=on, reason="left" if on < self.today else None
        )
        assert isinstance(done, Success), done
        self.oracle.deactivated[seat] = on

    @precondition(lambda self: bool(self.live()))
    @rule(data=st.data(), to=st.sampled_from(ORGS))
    def take_over(self, data, to: str) -> None:
        self.just_billed = False
        seat = data.draw(st.sampled_from(sorted(self.live())))
        if self.oracle.payer(seat, self.today) == to:
            return
        if self.oracle.activated[seat] == self.today or any(
            d == self.today for d, _ in self.oracle.payers[seat]
        ):
            return  # one payer change a day keeps the oracle's payer table exact
        done = transfers.take_over(
            self.services, PINS, seat, to, admin="boss", pin="2580", actor="ops"
        )
        assert isinstance(done, Success), done
        self.oracle.payers[seat].append((self.today, to))

    @rule(
        org=st.sampled_from(ORGS),
        cadence=st.sampled_from([None, *Cadence]),
        plan=st.sampled_from([None, "standard", "blended"]),
        vat=st.sampled_from([None, Decimal("21"), Decimal("0")]),
        leave=st.sampled_from([None, *LeaveAnnual]),
        coverage=st.sampled_from([None, *PaidCoverage]),
    )
    def change_contract(self, org, cadence, plan, vat, leave, coverage) -> None:
        self.just_billed = False
        contracts.set_contract(
            self.services, CATALOG, org,
            ContractTerms(
                plan=plan, cadence=cadence, vat_percent=vat, leave_annual=leave,
                paid_coverage=coverage,
            ),
            actor="ops",
        ).unwrap()  # fmt: skip

    @rule(org=st.sampled_from(ORGS), quantity=st.integers(1, 4))
    def use(self, org: str, quantity: int) -> None:
        self.just_billed = False
        contracts.record_usage(
            self.services, CATALOG, org, "new-dossier", quantity=quantity, actor="ops"
        ).unwrap()
        self.oracle.usage.append((org, self.today, quantity))

    @rule(days=st.integers(1, 20))
    def pass_days(self, days: int) -> None:
        end = last_day(Period.containing(self.today))
        self.clock.day = min(end, self.today + timedelta(days=days))

    @rule()
    def month_ends(self) -> None:
        """Move to the 1st and bill the month just ended and the month begun (annual starts)."""
        ended = Period.containing(self.today)
        self.clock.day = ended.next().first_day
        self.issued_now: set[str] = set()
        for period in (ended, ended.next()):
            report = billing.bill_run(self.services, CATALOG, period).unwrap()
            assert not report.failed, report.failed
            self.issued_now |= {
                o.org for o in report.outcomes if o.outcome is billing.Outcome.ISSUED
            }
        self.billed_until = ended.next()
        self.just_billed = True

    def documents(self) -> list[Invoice]:
        with self.services.uow.transaction(write=False) as store:
            return list(store.invoices(None, None))

    @precondition(lambda self: self.billed_until is not None and self.just_billed)
    @invariant()
    def inv_16_every_seat_month_is_billed_once_at_its_terms(self) -> None:
        """INV-16: for every organisation and period billed, the charges of its document plus
        every adjustment to it equal what the oracle charges from the history known now.

        Corrections land on the organisation's next document, so the organisations checked are
        those that were issued one in this run: every earlier period of theirs is settled.
        """
        assert self.billed_until is not None
        with self.services.uow.transaction(write=False) as store:
            versions = {org: list(store.contracts(org)) for org in ORGS}
        expected = self.oracle.expected(versions, self.billed_until)
        docs = self.documents()
        settled: dict[tuple[str, Period], Decimal] = defaultdict(Decimal)
        by_id = {d.id: d for d in docs}
        for d in docs:
            for line in d.lines:
                if line.kind is LineKind.ADJUSTMENT:
                    original = by_id[line.refers_to or ""]
                    settled[(original.org, original.period)] += line.amount
                elif line.kind is not LineKind.DISCOUNT:
                    settled[(d.org, d.period)] += line.amount
        # The month begun is billed for annual starts only; monthly ones are not due yet.
        mine = self.issued_now
        shown = {k: v for k, v in settled.items() if v and k[0] in mine}
        ripe = {
            k: v
            for k, v in expected.items()
            if k[0] in mine and (k in shown or k[1] < self.billed_until)
        }
        assert shown == ripe

    @invariant()
    def inv_16_a_correction_carries_the_vat_of_the_invoice_it_corrects(self) -> None:
        docs = self.documents()
        by_id = {d.id: d for d in docs}
        for d in docs:
            for line in d.lines_of(LineKind.ADJUSTMENT):
                assert line.vat_percent == by_id[line.refers_to or ""].vat_rate

    @invariant()
    def no_document_has_a_negative_total_unless_it_is_a_credit_note(self) -> None:
        for d in self.documents():
            assert d.total >= 0 or d.kind == "credit-note", d.id


MoneyMachine.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_every_seat_month_is_billed_once_under_random_contract_lives = MoneyMachine.TestCase
