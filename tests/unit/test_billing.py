"""Billing rules with worked examples in euros, on the in-memory ledger and the shipped catalog."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest
from returns.result import Failure

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.catalog import Cadence, Catalog
from seatledger.domain.contracts import PaymentMethod, SubscriptionStatus
from seatledger.domain.dates import Period
from seatledger.domain.errors import LedgerError
from seatledger.domain.invoice import Invoice, LineKind
from seatledger.domain.seat import SeatKind
from seatledger.domain.services import admins, billing, contracts, seats, transfers
from seatledger.domain.services.billing import Outcome
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.organisations import add_organisation

CATALOG = load_catalog().unwrap()
SEPT = Period(2025, 9)
OCT = Period(2025, 10)


@pytest.fixture
def clock() -> SimulatedDay:
    return SimulatedDay(date(2025, 9, 1))


@pytest.fixture
def services(clock: SimulatedDay) -> Services:
    services = Services(InMemoryUnitOfWork(), clock)
    add_organisation(services, "north", "North Clinic").unwrap()
    return services


def contract(services: Services, org: str = "north", **terms: object) -> None:
    defaults: dict[str, object] = {"plan": "standard", "cadence": Cadence.MONTHLY}
    defaults.update(terms)
    contracts.set_contract(
        services,
        CATALOG,
        org,
        ContractTerms(**defaults),
        actor="admin",  # type: ignore[arg-type]
    ).unwrap()


def activate(
    services: Services, count: int, *, prefix: str = "s", org: str = "north", **kw: object
) -> None:
    for i in range(count):
        seats.activate(services, f"{prefix}{i}", org, actor="admin", **kw).unwrap()  # type: ignore[arg-type]


def run(
    services: Services, period: Period, org: str | None = None, catalog: Catalog = CATALOG
) -> Invoice:
    report = billing.bill_run(services, catalog, period, org=org).unwrap()
    issued = [o.invoice for o in report.outcomes if o.outcome is Outcome.ISSUED]
    assert len(issued) == 1, report.outcomes
    invoice = issued[0]
    assert invoice is not None
    return invoice


def amounts(invoice: Invoice) -> list[tuple[str, int, str, str]]:
    return [
        (line.kind.value, line.quantity, str(line.unit_price), str(line.amount))
        for line in invoice.lines
    ]


def code_of(result: object) -> str:
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, LedgerError)
    return error.code


def test_three_standard_seats_monthly_cost_117_plus_24_57_vat_is_141_57(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 3)
    clock.day = date(2025, 10, 1)
    invoice = run(services, SEPT)
    assert amounts(invoice) == [("seat", 3, "39.00", "117.00")]
    assert (invoice.subtotal, invoice.vat, invoice.total) == (
        Decimal("117.00"), Decimal("24.57"), Decimal("141.57"),
    )  # fmt: skip
    assert invoice.rounding == "half-up-per-invoice"
    assert len(invoice.evidence_hash) == 64


def test_student_seats_are_billed_at_the_student_rate_on_any_plan(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services, plan="blended")
    activate(services, 2)
    activate(services, 3, prefix="st", kind=SeatKind.STUDENT)
    clock.day = date(2025, 10, 1)
    invoice = run(services, SEPT)
    assert amounts(invoice) == [("seat", 2, "59.00", "118.00"), ("seat", 3, "19.50", "58.50")]
    assert invoice.subtotal == Decimal("176.50")
    assert invoice.vat == Decimal("37.07")  # 37.065 rounds half-up


def test_a_seat_deactivated_before_the_reference_date_is_not_billed_for_that_month(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 3)
    clock.day = date(2025, 9, 29)
    seats.deactivate(services, "s0", actor="admin").unwrap()
    clock.day = date(2025, 10, 1)
    assert run(services, SEPT).lines[0].quantity == 2


def test_an_annual_contract_is_counted_the_day_before_its_year_and_billed_in_its_first_month(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services, cadence=Cadence.ANNUAL, year_start="10-01")
    activate(services, 4)
    clock.day = date(2025, 9, 30)
    seats.activate(services, "late", "north", actor="admin").unwrap()  # counted: active 30 Sep
    clock.day = date(2025, 10, 1)
    seats.activate(services, "in-year", "north", actor="admin").unwrap()  # next year's count
    invoice = run(services, OCT)
    assert invoice.evidence.reference_date == date(2025, 9, 30)
    assert amounts(invoice) == [("seat", 5, "390.00", "1950.00")]
    clock.day = date(2025, 12, 1)
    report = billing.bill_run(services, CATALOG, Period(2025, 11)).unwrap()
    assert [o.outcome for o in report.outcomes] == [Outcome.NOTHING_TO_BILL]


def test_starter_is_monthly_only(services: Services) -> None:
    result = contracts.set_contract(
        services, CATALOG, "north",
        ContractTerms(plan="starter", cadence=Cadence.ANNUAL, year_start="01-01"), actor="a",
    )  # fmt: skip
    assert code_of(result) == "cadence-not-offered"


def test_new_dossiers_on_starter_are_billed_in_arrears_on_the_next_invoice(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services, plan="starter")
    activate(services, 2)
    contracts.record_usage(
        services, CATALOG, "north", "new-dossier", quantity=3, actor="a"
    ).unwrap()
    clock.day = date(2025, 10, 1)
    september = run(services, SEPT)
    assert amounts(september) == [("seat", 2, "15.00", "30.00")]
    clock.day = date(2025, 11, 1)
    october = run(services, OCT)
    assert amounts(october) == [("seat", 2, "15.00", "30.00"), ("usage", 3, "5.00", "15.00")]
    assert october.total == Decimal("54.45")


def test_new_dossiers_are_included_in_the_standard_plan(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 1)
    contracts.record_usage(
        services, CATALOG, "north", "new-dossier", quantity=9, actor="a"
    ).unwrap()
    clock.day = date(2025, 11, 1)
    run_sept = billing.bill_run(services, CATALOG, SEPT).unwrap()
    assert run_sept.invoices
    assert [line.kind for line in run(services, OCT).lines] == [LineKind.SEAT]


def test_library_access_is_billed_per_seat_holding_it_on_the_reference_date(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 2, addons=["library"], catalog=CATALOG)
    activate(services, 1, prefix="plain")
    clock.day = date(2025, 10, 1)
    assert amounts(run(services, SEPT)) == [
        ("seat", 3, "39.00", "117.00"),
        ("addon", 2, "4.00", "8.00"),
    ]


def test_403_seats_on_a_400_licence_bill_3_seats_of_overage(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services, licensed=400, overage_price=Decimal("12.50"))
    activate(services, 403)
    clock.day = date(2025, 10, 1)
    invoice = run(services, SEPT)
    assert invoice.lines_of(LineKind.OVERAGE)[0].quantity == 3
    assert invoice.lines_of(LineKind.OVERAGE)[0].amount == Decimal("37.50")


def test_a_percentage_code_reduces_three_invoices_then_stops(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services, discount_code="WELCOME10")
    activate(services, 3)
    discounts = []
    for period in (SEPT, OCT, Period(2025, 11), Period(2025, 12)):
        clock.day = period.last_day + timedelta(days=1)
        invoice = run(services, period)
        discounts.append([str(line.amount) for line in invoice.lines_of(LineKind.DISCOUNT)])
    assert discounts == [["-11.70"], ["-11.70"], ["-11.70"], []]


def test_a_fixed_discount_never_takes_an_invoice_below_zero(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services, discount_code="FIRST50")
    activate(services, 1)
    clock.day = date(2025, 10, 1)
    invoice = run(services, SEPT)
    assert invoice.lines_of(LineKind.DISCOUNT)[0].amount == Decimal("-39.00")
    assert invoice.total == Decimal("0.00")


def test_a_discount_outside_its_validity_dates_does_not_apply(
    services: Services, clock: SimulatedDay
) -> None:
    limited = attrs.evolve(
        CATALOG,
        discounts={
            **CATALOG.discounts,
            "SUMMER": attrs.evolve(
                CATALOG.discounts["PARTNER5"], code="SUMMER", valid_until=date(2025, 8, 31)
            ),
        },
    )
    contracts.set_contract(
        services, limited, "north",
        ContractTerms(plan="standard", cadence=Cadence.MONTHLY, discount_code="SUMMER"),
        actor="a",
    ).unwrap()  # fmt: skip
    activate(services, 1)
    clock.day = date(2025, 10, 1)
    assert run(services, SEPT, catalog=limited).lines_of(LineKind.DISCOUNT) == []


def test_no_invoice_inside_the_trial_and_no_subscription_after_it_without_a_plan(
    services: Services, clock: SimulatedDay
) -> None:
    contracts.set_contract(
        services, CATALOG, "north", ContractTerms(trial_until=date(2025, 9, 30)), actor="a"
    ).unwrap()
    activate(services, 2)
    clock.day = date(2025, 9, 30)
    assert contracts.contract_status(services, "north").unwrap().status is SubscriptionStatus.TRIAL
    clock.day = date(2025, 10, 1)
    report = billing.bill_run(services, CATALOG, SEPT).unwrap()
    assert [o.outcome for o in report.outcomes] == [Outcome.IN_TRIAL]
    clock.day = date(2025, 11, 1)
    report = billing.bill_run(services, CATALOG, OCT).unwrap()
    assert [o.outcome for o in report.outcomes] == [Outcome.NO_SUBSCRIPTION]
    status = contracts.contract_status(services, "north").unwrap().status
    assert status is SubscriptionStatus.NONE
    assert (
        code_of(billing.bill_run(services, CATALOG, OCT, org="north")) == "no-active-subscription"
    )


def test_changing_plan_needs_an_automatic_payment_method_and_applies_next_period(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 2)
    clock.day = date(2025, 9, 15)
    refused = contracts.set_contract(
        services, CATALOG, "north", ContractTerms(plan="blended"), actor="a"
    )
    assert code_of(refused) == "payment-method-required"
    changed = contracts.set_contract(
        services, CATALOG, "north",
        ContractTerms(plan="blended", payment_method=PaymentMethod.SEPA), actor="a",
    ).unwrap()  # fmt: skip
    assert changed.effective_from == OCT
    clock.day = date(2025, 10, 1)
    assert amounts(run(services, SEPT)) == [("seat", 2, "39.00", "78.00")]
    clock.day = date(2025, 11, 1)
    assert amounts(run(services, OCT)) == [("seat", 2, "59.00", "118.00")]


def test_billing_before_the_reference_date_is_refused_but_a_dry_run_forecasts(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 3)
    clock.day = date(2025, 9, 29)
    assert code_of(billing.bill_run(services, CATALOG, SEPT, org="north")) == (
        "reference-date-not-reached"
    )
    forecast = billing.bill_run(services, CATALOG, SEPT, dry_run=True).unwrap()
    assert [o.outcome for o in forecast.outcomes] == [Outcome.FORECAST]
    assert forecast.invoices[0].total == Decimal("141.57")
    assert billing.list_invoices(services).unwrap() == []


def test_billing_twice_issues_nothing_new(services: Services, clock: SimulatedDay) -> None:
    contract(services)
    activate(services, 3)
    clock.day = date(2025, 10, 1)
    first = run(services, SEPT)
    again = billing.bill_run(services, CATALOG, SEPT).unwrap()
    assert [o.outcome for o in again.outcomes] == [Outcome.ALREADY_ISSUED]
    assert billing.list_invoices(services).unwrap() == [first]


def test_a_backdated_deactivation_is_credited_on_the_next_invoice_never_edited_in(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 3)
    clock.day = date(2025, 10, 1)
    september = run(services, SEPT)
    clock.day = date(2025, 10, 6)
    seats.deactivate(
        services, "s2", actor="admin", on=date(2025, 9, 12), reason="left on 12 September"
    ).unwrap()
    clock.day = date(2025, 11, 1)
    october = run(services, OCT)
    adjustment = october.lines_of(LineKind.ADJUSTMENT)[0]
    assert (adjustment.amount, adjustment.refers_to, adjustment.seats) == (
        Decimal("-39.00"), september.id, ("s2",),
    )  # fmt: skip
    assert billing.get_invoice(services, september.id).unwrap() == september
    assert billing.verify_invoice(services, september.id).unwrap().ok
    assert billing.verify_invoice(services, october.id).unwrap().ok


def test_an_approved_transfer_moves_the_charge_to_the_receiver(
    services: Services, clock: SimulatedDay
) -> None:
    pins = ScryptPinHasher(log2_n=8)
    add_organisation(services, "south", "South Clinic").unwrap()
    contract(services)
    contract(services, org="south")
    admins.add_admin(services, pins, "south", "sam", "4821").unwrap()
    activate(services, 2)
    request = transfers.request_transfer(services, "s1", "south", actor="nora").unwrap()
    clock.day = date(2025, 9, 30)
    transfers.approve(services, pins, request.id, admin="sam", pin="4821", actor="sam").unwrap()
    clock.day = date(2025, 10, 1)  # approved on the reference date: the receiver pays
    report = billing.bill_run(services, CATALOG, SEPT).unwrap()
    by_org = {i.org: i.lines[0].quantity for i in report.invoices}
    assert by_org == {"north": 1, "south": 1}


def test_verify_detects_an_altered_invoice(services: Services, clock: SimulatedDay) -> None:
    contract(services)
    activate(services, 3)
    clock.day = date(2025, 10, 1)
    invoice = run(services, SEPT)
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    uow.ledger.issued[invoice.id] = attrs.evolve(invoice, total=Decimal("14.16"))
    verification = billing.verify_invoice(services, invoice.id).unwrap()
    assert not verification.ok
    assert not verification.hash_matches


def test_explain_names_the_reference_date_and_every_line(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 3)
    clock.day = date(2025, 10, 1)
    text = "\n".join(billing.explain(run(services, SEPT)))
    assert "counted on 2025-09-30" in text
    assert "3 x 39.00 = 117.00 EUR" in text
    assert "total 141.57 EUR" in text


def test_usage_during_a_trial_is_never_billed_and_the_invoice_still_verifies(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services, trial_until=date(2025, 9, 15))
    activate(services, 1)
    clock.day = date(2025, 9, 10)
    contracts.record_usage(services, CATALOG, "north", "paid-questionnaire", actor="a").unwrap()
    clock.day = date(2025, 9, 20)
    contracts.record_usage(
        services, CATALOG, "north", "paid-questionnaire", quantity=2, actor="a"
    ).unwrap()
    clock.day = date(2025, 11, 1)
    run(services, SEPT)
    october = run(services, OCT)
    [usage] = october.lines_of(LineKind.USAGE)
    assert (usage.quantity, usage.amount) == (2, Decimal("5.00"))
    assert (october.evidence.usage_from, october.evidence.usage_until) == (
        date(2025, 9, 16), date(2025, 9, 30),
    )  # fmt: skip
    assert billing.verify_invoice(services, october.id).unwrap().ok


def test_an_organisation_billed_in_another_currency_than_the_catalog_is_refused(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 1)
    in_dollars = attrs.evolve(CATALOG, currency="USD")
    clock.day = date(2025, 10, 1)
    refused = billing.bill_run(services, in_dollars, SEPT, org="north")
    assert code_of(refused) == "currency-mismatch"
    assert "EUR" in refused.failure().message
    # Billing everyone reports the organisation as failed, with the same refusal.
    report = billing.bill_run(services, in_dollars, SEPT).unwrap()
    [failed] = report.failed
    assert failed.org == "north"
    assert failed.error is not None
    assert failed.error.code == "currency-mismatch"
    assert billing.list_invoices(services).unwrap() == []


def test_an_invoice_is_never_issued_before_what_the_ledger_already_knows(
    services: Services, clock: SimulatedDay
) -> None:
    contract(services)
    activate(services, 2)
    clock.day = date(2025, 10, 20)
    seats.activate(services, "late", "north", actor="admin").unwrap()
    clock.day = date(2025, 10, 1)  # a --today earlier than the last recorded fact
    assert code_of(billing.bill_run(services, CATALOG, SEPT)) == "clock-went-backwards"
    clock.day = date(2025, 10, 20)
    invoice = run(services, SEPT)
    assert invoice.issued_at is not None
    assert invoice.evidence.as_known_at is not None
    assert invoice.issued_at > invoice.evidence.as_known_at
