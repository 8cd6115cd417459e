"""Billing invariants under hypothesis (numbers from docs/invariants.md).

INV-9   an invoice's total is its lines plus VAT under its stored rounding policy;
INV-10  billing a period twice issues exactly what billing it once did;
INV-11  deactivating a seat before the reference date never increases that invoice;
INV-12  an invoice plus its adjustments equals its recomputation with today's knowledge;
INV-13  a transfer moves a seat's charge, never duplicates or drops it;
INV-14  the catalog loader refuses every malformed file with a clear error, never a crash.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

from seatledger.adapters.catalog.loader import load_catalog, parse_catalog
from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.catalog import Cadence
from seatledger.domain.dates import Period
from seatledger.domain.invoice import Invoice, LineKind
from seatledger.domain.money import ROUNDING_POLICIES
from seatledger.domain.pricing import charges_subtotal
from seatledger.domain.seat import SeatKind
from seatledger.domain.services import admins, billing, contracts, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.organisations import add_organisation

CATALOG = load_catalog().unwrap()
PINS = ScryptPinHasher(log2_n=4)
SEPT = Period(2025, 9)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

seat_specs = st.lists(
    st.tuples(
        st.sampled_from(SeatKind),
        st.booleans(),  # holds the library add-on
        st.integers(min_value=1, max_value=40),  # deactivated this many days into September
    ),
    min_size=0,
    max_size=12,
)
terms = st.builds(
    ContractTerms,
    plan=st.sampled_from(["standard", "starter", "blended"]),
    cadence=st.just(Cadence.MONTHLY),
    vat_percent=st.sampled_from([Decimal("21"), Decimal("9"), Decimal("0"), Decimal("20.5")]),
    discount_code=st.sampled_from([None, "WELCOME10", "FIRST50", "PARTNER5"]),
    licensed=st.sampled_from([None, 0, 3, 8]),
).map(
    lambda t: ContractTerms(
        plan=t.plan,
        cadence=t.cadence,
        vat_percent=t.vat_percent,
        discount_code=t.discount_code,
        licensed=t.licensed,
        overage_price=Decimal("12.50") if t.licensed is not None else None,
    )
)


def world(
    spec: list[tuple[SeatKind, bool, int]], contract: ContractTerms
) -> tuple[Services, SimulatedDay]:
    clock = SimulatedDay(date(2025, 9, 1))
    services = Services(InMemoryUnitOfWork(), clock)
    add_organisation(services, "north", "North").unwrap()
    contracts.set_contract(services, CATALOG, "north", contract, actor="a").unwrap()
    for i, (kind, library, _) in enumerate(spec):
        seats.activate(
            services, f"s{i}", "north", actor="a", kind=kind,
            addons=["library"] if library else [], catalog=CATALOG,
        ).unwrap()  # fmt: skip
    return services, clock


def issue(services: Services, period: Period) -> Invoice | None:
    report = billing.bill_run(services, CATALOG, period).unwrap()
    return report.invoices[0] if report.invoices else None


@SETTINGS
@given(spec=seat_specs, contract=terms)
def test_inv9_total_is_the_lines_plus_vat_under_the_stored_rounding(
    spec: list[tuple[SeatKind, bool, int]], contract: ContractTerms
) -> None:
    services, clock = world(spec, contract)
    clock.day = date(2025, 10, 1)  # September has closed
    invoice = issue(services, SEPT)
    if invoice is None:
        assert not spec
        return
    policy = ROUNDING_POLICIES[invoice.rounding]
    lines = sum((line.amount for line in invoice.lines), Decimal("0"))
    assert invoice.subtotal == policy.round(lines, invoice.currency)
    assert invoice.vat == policy.vat(invoice.subtotal, invoice.vat_rate, invoice.currency)
    assert invoice.total == invoice.subtotal + invoice.vat
    assert invoice.subtotal >= 0, "a discount took an invoice below zero"


@SETTINGS
@given(spec=seat_specs, contract=terms)
def test_inv10_billing_twice_is_billing_once(
    spec: list[tuple[SeatKind, bool, int]], contract: ContractTerms
) -> None:
    services, clock = world(spec, contract)
    clock.day = date(2025, 10, 1)  # September has closed
    first = billing.bill_run(services, CATALOG, SEPT).unwrap().invoices
    second = billing.bill_run(services, CATALOG, SEPT).unwrap().invoices
    assert second == first
    assert list(billing.list_invoices(services).unwrap()) == first


@SETTINGS
@given(spec=seat_specs.filter(bool), contract=terms, data=st.data())
def test_inv11_deactivating_a_seat_before_the_reference_date_never_raises_the_invoice(
    spec: list[tuple[SeatKind, bool, int]], contract: ContractTerms, data: st.DataObject
) -> None:
    with_seat, clock = world(spec, contract)
    without_seat, clock2 = world(spec, contract)
    victim = data.draw(st.integers(min_value=0, max_value=len(spec) - 1))
    day = data.draw(st.integers(min_value=1, max_value=29))
    clock2.day = date(2025, 9, day)
    seats.deactivate(without_seat, f"s{victim}", actor="a").unwrap()
    clock.day = clock2.day = date(2025, 10, 1)
    kept, dropped = issue(with_seat, SEPT), issue(without_seat, SEPT)
    assert kept is not None
    assert (dropped.total if dropped else Decimal("0")) <= kept.total


@SETTINGS
@given(spec=seat_specs.filter(bool), contract=terms, data=st.data())
def test_inv12_an_invoice_plus_its_adjustments_equals_its_recomputation_today(
    spec: list[tuple[SeatKind, bool, int]], contract: ContractTerms, data: st.DataObject
) -> None:
    services, clock = world(spec, contract)
    clock.day = date(2025, 10, 1)  # September has closed
    september = issue(services, SEPT)
    assert september is not None
    clock.day = date(2025, 10, 3)
    for i, (_, _, days_in) in enumerate(spec):
        if data.draw(st.booleans(), label=f"correct s{i}"):
            day = date(2025, 9, 1) + timedelta(days=min(days_in, 29))
            seats.deactivate(services, f"s{i}", actor="a", on=day, reason="late news")
    for period in (Period(2025, 10), Period(2025, 11)):
        clock.day = period.last_day + timedelta(days=1)
        issue(services, period)
    adjustments = sum(
        (
            line.amount
            for invoice in billing.list_invoices(services).unwrap()
            for line in invoice.lines
            if line.kind is LineKind.ADJUSTMENT and line.refers_to == september.id
        ),
        Decimal("0"),
    )
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    recomputed, _, _ = billing.recompute_charges(uow.ledger, september, None)
    assert charges_subtotal(september.lines) + adjustments == charges_subtotal(recomputed)
    for invoice in billing.list_invoices(services).unwrap():
        assert billing.verify_invoice(services, invoice.id).unwrap().ok


@SETTINGS
@given(
    count=st.integers(min_value=1, max_value=8),
    moves=st.lists(
        st.tuples(st.integers(min_value=0, max_value=7), st.sampled_from(["south", "west"]),
                  st.integers(min_value=0, max_value=35), st.booleans()),
        max_size=6,
    ),
)  # fmt: skip
def test_inv13_a_transfer_moves_a_seat_charge_never_duplicates_or_drops_it(
    count: int, moves: list[tuple[int, str, int, bool]]
) -> None:
    clock = SimulatedDay(date(2025, 9, 1))
    services = Services(InMemoryUnitOfWork(), clock)
    for org in ("north", "south", "west"):
        add_organisation(services, org, org.title()).unwrap()
        admins.add_admin(services, PINS, org, "boss", "2580").unwrap()
        contracts.set_contract(
            services, CATALOG, org, ContractTerms(plan="standard", cadence=Cadence.MONTHLY),
            actor="a",
        ).unwrap()  # fmt: skip
    for i in range(count):
        seats.activate(services, f"s{i}", "north", actor="a").unwrap()
    for seat, to, day_offset, take_over in sorted(moves, key=lambda m: m[2]):
        clock.day = max(clock.day, date(2025, 9, 1) + timedelta(days=day_offset))
        if take_over:
            transfers.take_over(services, PINS, f"s{seat % count}", to, admin="boss", pin="2580",
                                actor="a")  # fmt: skip
            continue
        sent = transfers.request_transfer(services, f"s{seat % count}", to, actor="a")
        if isinstance(sent, Success):
            transfers.approve(services, PINS, sent.unwrap().id, admin="boss", pin="2580",
                              actor="a")  # fmt: skip
    clock.day = max(clock.day, date(2025, 11, 1))
    for period in (SEPT, Period(2025, 10)):
        report = billing.bill_run(services, CATALOG, period).unwrap()
        billed = sum(
            line.quantity for invoice in report.invoices for line in invoice.lines_of(LineKind.SEAT)
        )
        assert billed == count, f"{period}: {billed} seats billed for {count} active"


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_inv14_a_malformed_catalog_is_refused_with_a_clear_error_never_a_crash(
    data: st.DataObject,
) -> None:
    from importlib import resources

    text = resources.files("seatledger.adapters.catalog").joinpath("default.toml").read_text()
    lines = text.splitlines()
    value_lines = [i for i, line in enumerate(lines) if "=" in line]
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        i = data.draw(st.sampled_from(value_lines))
        key = lines[i].split("=", 1)[0]
        junk = data.draw(
            st.sampled_from(
                ['"-5"', "39.0", '"abc"', '"NaN"', '"Infinity"', "true", "[1, 2]", '""', "0",
                 '"1e3"', "2025-13-01", '"weekly"', "{}", '"39.001"']
            )
        )  # fmt: skip
        choice = data.draw(st.sampled_from(["replace", "delete", "rename"]))
        if choice == "replace":
            lines[i] = f"{key}= {junk}"
        elif choice == "delete":
            lines[i] = ""
        else:
            lines[i] = f"unexpected_{key.strip()} = {junk}"
    result = parse_catalog("\n".join(lines), "mutated.toml")
    if isinstance(result, Failure):
        error = result.failure()
        assert error.code == "invalid-catalog"
        assert error.message.startswith("catalog mutated.toml: ")
        assert all(problem.strip() for problem in error.problems)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_inv14_arbitrary_text_is_never_mistaken_for_a_catalog(text: str) -> None:
    result = parse_catalog(text, "noise.toml")
    assert isinstance(result, Failure)
    assert result.failure().code == "invalid-catalog"
