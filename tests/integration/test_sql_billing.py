"""Contracts, usage and invoices on real databases: exact round trips, immutability, billing.

Every test runs on a SQLite file and on a PostgreSQL schema (skipped, with
the reason, when ``SEATLEDGER_TEST_POSTGRES_URL`` is unset).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from returns.result import Success
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.sql import SqlLedger, SqlUnitOfWork
from seatledger.domain.audit import AuditEntry, AuditFilter
from seatledger.domain.authorisation import Action, Role
from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract, PaymentMethod
from seatledger.domain.dates import Period
from seatledger.domain.idempotency import IdempotencyKey, IdempotencyRecord
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import (
    AdjustmentBasis,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    PriceSheet,
    evidence_hash,
    invoice_id,
    summary_of,
)
from seatledger.domain.notifications import invoice_messages
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import Clock, LedgerHead
from seatledger.domain.pricing import InvoiceRules
from seatledger.domain.queries import SeatRow
from seatledger.domain.reference_dates import YearStart
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.services import billing, contracts, organisations, seats
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.usage import UsageRecord

CATALOG = load_catalog().unwrap()
NORTH = OrgId("north")
SOUTH = OrgId("south")
T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
APPEND_ONLY = (
    "seat_facts",
    "contract_versions",
    "usage_records",
    "invoices",
    "invoice_evidence_seats",
    "idempotency_keys",
)


@pytest.fixture
def store(engine: Engine) -> Iterator[SqlLedger]:
    """A write transaction on a migrated database with organisations north and south."""
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as ledger:
        ledger.add_organisation(Organisation(NORTH, "North"), T0)
        ledger.add_organisation(Organisation(OrgId("south"), "South"), T0)
        yield ledger


def sheet(**changes: Any) -> PriceSheet:
    values: dict[str, Any] = {
        "plan": "starter",
        "plan_name": "Starter",
        "cadence": "monthly",
        "reference_rule": "month-end",
        "seat_price": Decimal("15.00"),
        "student_price": Decimal("19.50"),
        "addon_prices": {"library": Decimal("4.00")},
        "usage_prices": {"new-dossier": Decimal("5.00"), "questionnaire": Decimal("2.50")},
        "licensed": 2,
        "overage_price": Decimal("12.50"),
        "vat_percent": Decimal("20.5"),
        "currency": "EUR",
        "rounding": "half-up-per-invoice",
        "discount_code": "WELCOME10",
        "discount_kind": "percent",
        "discount_value": Decimal("10"),
        "discount_applies": True,
        "contract_version": 3,
    }
    values.update(changes)
    return PriceSheet(**values)


def seat_row(seat: str, kind: SeatKind, addons: frozenset[str], **changes: Any) -> SeatRow:
    values: dict[str, Any] = {
        "seat": SeatId(seat),
        "holder": f"holder of {seat}",
        "kind": kind,
        "activated_on": date(2025, 8, 3),
        "deactivated_on": None,
        "paying_org": NORTH,
        "billed_from": date(2025, 8, 3),
        "billed_until": None,
        "addons": addons,
    }
    values.update(changes)
    return SeatRow(**values)


OCTOBER = Period(2025, 10)


def rich_invoice(org: OrgId = NORTH, period: Period = OCTOBER) -> Invoice:
    """An invoice with seat, student, add-on, usage, overage, discount and adjustment lines."""
    rows = [
        seat_row("a1", SeatKind.REGULAR, frozenset({"library", "forms"})),
        seat_row("a2", SeatKind.REGULAR, frozenset(), deactivated_on=date(2025, 11, 4)),
        seat_row(
            "b1",
            SeatKind.STUDENT,
            frozenset({"library"}),
            billed_from=date(2025, 9, 15),
            billed_until=date(2025, 12, 1),
            deactivated_on=date(2025, 12, 1),
        ),
    ]
    usage = [
        UsageRecord(7, org, "new-dossier", 3, date(2025, 9, 4), T0 + timedelta(days=3), "ops"),
        UsageRecord(9, org, "questionnaire", 2, date(2025, 9, 20), T0 + timedelta(days=19), "o"),
    ]
    basis = AdjustmentBasis(
        original=f"INV-{period.previous()}-{org}",
        billed_before=Decimal("117.00"),
        recomputed=Decimal("78.00"),
        seats_added=(),
        seats_removed=("s2",),
    )
    adjustment = InvoiceLine(
        kind=LineKind.ADJUSTMENT,
        description="Adjustment (credit)",
        quantity=1,
        unit_price=Decimal("-39.00"),
        amount=Decimal("-39.00"),
        refers_to=basis.original,
        seats=("s2",),
    )
    return InvoiceRules().compose(
        org=org,
        period=period,
        sheet=sheet(),
        reference_date=period.last_day,
        rows=rows,
        usage=usage,
        usage_window=(period.previous().first_day, period.previous().last_day),
        adjustments=[(basis, adjustment)],
        as_known_at=datetime(2025, 10, 31, 0, 0, 0, 17, tzinfo=UTC),
        issued_at=datetime(2025, 10, 31, 0, 0, 0, 18, tzinfo=UTC),
        status=InvoiceStatus.ISSUED,
    )


# --- contracts and usage -------------------------------------------------------------


def test_a_contract_version_comes_back_equal_and_moves_the_head(store: SqlLedger) -> None:
    first = Contract(
        org=NORTH,
        plan=None,
        cadence=Cadence.MONTHLY,
        reference="month-end",
        effective_from=Period(2025, 9),
        vat_percent=Decimal("21"),
        trial_until=date(2025, 9, 30),
        version=1,
        recorded_at=T0 + timedelta(minutes=1),
        actor="ops",
    )
    second = Contract(
        org=NORTH,
        plan="blended",
        cadence=Cadence.ANNUAL,
        reference="day-of-month:15",
        effective_from=Period(2025, 10),
        vat_percent=Decimal("20.50"),
        year_start=YearStart(9, 1),
        count_days_before=3,
        licensed=400,
        overage_price=Decimal("12.50"),
        trial_until=None,
        payment_method=PaymentMethod.SEPA,
        discount_code="PARTNER5",
        version=2,
        recorded_at=T0 + timedelta(minutes=2, microseconds=1),
        actor="ops",
    )
    store.add_contract(first, LedgerHead(0, first.recorded_at))
    assert store.head() == LedgerHead(0, first.recorded_at)
    store.add_contract(second, LedgerHead(0, second.recorded_at))
    assert store.head() == LedgerHead(0, second.recorded_at)
    assert list(store.contracts(NORTH)) == [first, second]
    assert str(store.contracts(NORTH)[1].vat_percent) == "20.50"
    assert list(store.contracts(OrgId("south"))) == []


def test_a_contract_without_a_recorded_instant_is_refused(store: SqlLedger) -> None:
    unstamped = Contract(
        NORTH, "standard", Cadence.MONTHLY, "month-end", Period(2025, 9), Decimal("21")
    )
    with pytest.raises(ValueError, match="recorded instant"):
        store.add_contract(unstamped, LedgerHead())


def test_usage_is_filtered_by_dates_both_included_and_by_the_known_at_cut(
    store: SqlLedger,
) -> None:
    records = [
        UsageRecord(1, NORTH, "new-dossier", 1, date(2025, 8, 31), T0, "ops"),
        UsageRecord(2, NORTH, "new-dossier", 2, date(2025, 9, 1), T0 + timedelta(hours=1), "o"),
        UsageRecord(3, SOUTH, "new-dossier", 5, date(2025, 9, 2), T0 + timedelta(hours=2), "o"),
        UsageRecord(4, NORTH, "questionnaire", 3, date(2025, 9, 30), T0 + timedelta(hours=3), "o"),
        UsageRecord(5, NORTH, "questionnaire", 4, date(2025, 10, 1), T0 + timedelta(hours=4), "o"),
    ]  # fmt: skip
    for record in records:
        store.add_usage(record, LedgerHead(record.seq, record.recorded_at))
    assert store.head() == LedgerHead(5, records[-1].recorded_at)
    september = (date(2025, 9, 1), date(2025, 9, 30))
    assert list(store.usage(NORTH, *september, None)) == [records[1], records[3]]
    assert list(store.usage(NORTH, *september, records[3].recorded_at)) == [records[1], records[3]]
    cut = records[3].recorded_at - timedelta(microseconds=1)
    assert list(store.usage(NORTH, *september, cut)) == [records[1]]
    assert list(store.usage(OrgId("nobody"), *september, None)) == []


# --- invoices ------------------------------------------------------------------------


def test_an_invoice_comes_back_exactly_as_stored_and_its_hash_recomputes(
    store: SqlLedger,
) -> None:
    invoice = rich_invoice()
    kinds = {line.kind for line in invoice.lines}
    assert kinds == set(LineKind), "the example must carry every kind of line"
    assert {row.kind for row in invoice.evidence.seats} == set(SeatKind)
    store.add_invoice(invoice)
    got = store.get_invoice(invoice.id)
    assert got == invoice
    assert got.evidence == invoice.evidence
    assert evidence_hash(got) == invoice.evidence_hash == got.evidence_hash
    # Scale survives: 117.00 is not 117, and the hash prints it.
    for name in ("subtotal", "vat_rate", "vat", "total"):
        assert str(getattr(got, name)) == str(getattr(invoice, name))
    assert [str(line.amount) for line in got.lines] == [str(line.amount) for line in invoice.lines]
    assert str(got.evidence.prices.vat_percent) == "20.5"
    assert isinstance(got.evidence.seats, tuple)
    assert isinstance(got.evidence.seats[0].addons, frozenset)
    assert store.get_invoice("INV-nothing") is None


def test_a_batch_reads_summaries_equal_to_the_invoices_and_knows_which_are_absent(
    engine: Engine,
) -> None:
    november = Period.parse("2025-11").unwrap()
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as store:
        store.add_organisation(Organisation(NORTH, "North"), T0)
        store.add_organisation(Organisation(SOUTH, "South"), T0)
        store.add_invoice(rich_invoice(NORTH, OCTOBER))
        store.add_invoice(rich_invoice(SOUTH, OCTOBER))
        uow.commit()
    with uow.transaction(write=True) as store:
        unread = [summary_of(i) for i in store.invoices(NORTH, None)]
        assert unread
        assert store.invoice_summaries(NORTH) == unread
        store.prefetch_billing([NORTH], november)
        assert store.invoice_summaries(NORTH) == unread
        assert store.get_invoice(invoice_id(NORTH, november)) is None
        # A listed invoice still comes back whole, its seats read.
        assert store.get_invoice(invoice_id(NORTH, OCTOBER)) == rich_invoice(NORTH, OCTOBER)
        issued = rich_invoice(NORTH, november)
        store.add_invoice(issued)
        assert store.invoice_summaries(NORTH) == [*unread, summary_of(issued)]
        assert store.get_invoice(issued.id) == issued
        # Organisations outside the batch are read as before.
        assert store.invoice_summaries(SOUTH) == [summary_of(rich_invoice(SOUTH, OCTOBER))]


def test_a_batch_knows_who_has_no_usage_and_sees_usage_recorded_in_its_own_transaction(
    store: SqlLedger,
) -> None:
    september = (date(2025, 9, 1), date(2025, 9, 30))
    used = UsageRecord(1, NORTH, "new-dossier", 2, date(2025, 9, 3), T0, "ops")
    store.add_usage(used, LedgerHead(1, T0))
    store.prefetch_billing([NORTH, SOUTH], Period(2025, 9))
    assert list(store.usage(NORTH, *september, None)) == [used]
    assert list(store.usage(SOUTH, *september, None)) == []
    # South had none when the batch was read; usage recorded since is still found.
    later = T0 + timedelta(hours=1)
    new = UsageRecord(2, SOUTH, "new-dossier", 5, date(2025, 9, 4), later, "ops")
    store.add_usage(new, LedgerHead(2, later))
    assert list(store.usage(SOUTH, *september, None)) == [new]
    assert list(store.usage(SOUTH, *september, T0)) == []


def activation(seq: int, seat: str, org: OrgId, at: datetime) -> SeatFact:
    return SeatFact(
        seq=seq, seat=SeatId(seat), kind=FactKind.ACTIVATED, effective_on=date(2025, 10, 1),
        recorded_at=at, actor="t", org=org, holder="Ann", seat_kind=SeatKind.REGULAR,
    )  # fmt: skip


def test_a_batch_answers_changed_since_as_the_per_organisation_queries_do(
    engine: Engine,
) -> None:
    uow = SqlUnitOfWork(engine)
    cut = rich_invoice().evidence.as_known_at
    assert cut is not None
    after = cut + timedelta(hours=1)
    with uow.transaction(write=True) as store:
        store.add_organisation(Organisation(NORTH, "North"), T0)
        store.add_organisation(Organisation(SOUTH, "South"), T0)
        before = T0 + timedelta(hours=1)
        store.append([activation(1, "n0", NORTH, before)], LedgerHead(1, before))
        store.add_invoice(rich_invoice(NORTH, OCTOBER))
        store.add_invoice(rich_invoice(SOUTH, OCTOBER))
        store.append([activation(2, "s1", SOUTH, after)], LedgerHead(2, after))
        uow.commit()
    instants = [T0, cut, after, after + timedelta(hours=1)]
    november = Period(2025, 11)
    with uow.transaction(write=True) as store:
        queried = {(o, t): store.changed_since(o, t) for o in (NORTH, SOUTH) for t in instants}
        assert [queried[NORTH, t] for t in instants] == [True, False, False, False]
        assert [queried[SOUTH, t] for t in instants] == [True, True, False, False]
        store.prefetch_billing([NORTH, SOUTH], november)
        assert {(o, t): store.changed_since(o, t) for o, t in queried} == queried
        # A fact recorded in the same transaction is seen, though the batch was read before.
        later = after + timedelta(hours=2)
        store.append([activation(3, "n1", NORTH, later)], LedgerHead(3, later))
        assert store.changed_since(NORTH, cut)


def test_a_billing_batch_holds_its_rows_until_a_read_or_the_commit_and_a_rollback_drops_them(
    engine: Engine,
) -> None:
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as store:
        store.add_organisation(Organisation(NORTH, "North"), T0)
        store.add_organisation(Organisation(SOUTH, "South"), T0)
        uow.commit()
    invoice = rich_invoice(NORTH, OCTOBER)
    assert invoice.issued_at is not None
    at: datetime = invoice.issued_at
    messages = invoice_messages(invoice, at)
    entry = AuditEntry(
        recorded_at=at, actor="system", role=Role.OPERATOR,
        action=Action.INVOICE_ISSUE, org=NORTH, subject=invoice.id, summary="issued",
    )  # fmt: skip

    def issue(store: SqlLedger) -> None:
        store.prefetch_billing([NORTH], OCTOBER)
        store.add_invoice(invoice)
        assert store.enqueue(messages, at) == len(messages)
        # Enqueued twice in the batch, as by a rerun: the held messages count as present.
        assert store.enqueue(messages, at) == 0
        store.add_audit([entry])
        assert store.head().last_recorded_at == at

    with uow.transaction(write=True) as store:
        issue(store)  # and no commit: the rollback drops everything
    with uow.transaction(write=False) as store:
        assert store.get_invoice(invoice.id) is None
        assert store.outbox(None, 10) == []
        assert store.audit(AuditFilter()) == []
        assert store.head().last_recorded_at == T0
    with uow.transaction(write=True) as store:
        issue(store)
        uow.commit()  # writes what was held, then commits
    with uow.transaction(write=False) as store:
        assert store.get_invoice(invoice.id) == invoice
        assert sorted(e.message.id for e in store.outbox(None, 10)) == sorted(
            m.id for m in messages
        )
        assert [attrs.evolve(e, seq=0) for e in store.audit(AuditFilter())] == [entry]
        assert store.head().last_recorded_at == at
    south = rich_invoice(SOUTH, OCTOBER)
    with uow.transaction(write=True) as store:
        store.prefetch_billing([SOUTH], OCTOBER)
        store.add_invoice(south)
        store.add_audit([attrs.evolve(entry, org=SOUTH, subject=south.id)])
        assert store.get_invoice(south.id) == south  # a read writes what was held first
        assert [e.subject for e in store.audit(AuditFilter(org=SOUTH))] == [south.id]


def test_seats_come_back_in_the_order_they_were_stored(store: SqlLedger) -> None:
    base = rich_invoice()
    shuffled = tuple(reversed(base.evidence.seats))
    invoice = attrs.evolve(base, evidence=attrs.evolve(base.evidence, seats=shuffled))
    invoice = attrs.evolve(invoice, evidence_hash=evidence_hash(invoice))
    store.add_invoice(invoice)
    assert store.get_invoice(invoice.id) == invoice


def test_a_second_invoice_for_the_same_org_period_and_kind_is_refused(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as ledger:
        ledger.add_organisation(Organisation(NORTH, "North"), T0)
        ledger.add_invoice(rich_invoice())
        uow.commit()
    again = attrs.evolve(rich_invoice(), id="INV-other-id")
    with uow.transaction(write=True) as ledger, pytest.raises(IntegrityError):
        ledger.add_invoice(again)
    with uow.transaction(write=False) as ledger:
        assert [i.id for i in ledger.invoices(None, None)] == [rich_invoice().id]


def test_invoices_are_listed_by_period_then_organisation_with_their_seats_in_one_query(
    engine: Engine, store: SqlLedger
) -> None:
    made = [
        rich_invoice(OrgId("south"), Period(2025, 10)),
        rich_invoice(NORTH, Period(2025, 11)),
        rich_invoice(NORTH, Period(2025, 10)),
    ]
    for invoice in made:
        store.add_invoice(invoice)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        everything = store.invoices(None, None)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [(str(i.period), i.org) for i in everything] == [
        ("2025-10", "north"),
        ("2025-10", "south"),
        ("2025-11", "north"),
    ]
    assert len(statements) == 2, statements
    assert sorted(everything, key=lambda i: i.id) == sorted(made, key=lambda i: i.id)
    assert [i.id for i in store.invoices(NORTH, None)] == ["INV-2025-10-north", "INV-2025-11-north"]
    assert [i.id for i in store.invoices(None, Period(2025, 10))] == [
        "INV-2025-10-north",
        "INV-2025-10-south",
    ]
    assert store.invoices(OrgId("south"), Period(2025, 11)) == []


def test_a_ten_thousand_seat_evidence_is_stored_as_rows_and_read_back_equal(
    store: SqlLedger,
) -> None:
    rows = [
        seat_row(f"s{i:05d}", SeatKind.STUDENT if i % 7 == 0 else SeatKind.REGULAR,
                 frozenset({"library"}) if i % 3 == 0 else frozenset())
        for i in range(10_000)
    ]  # fmt: skip
    invoice = InvoiceRules().compose(
        org=NORTH, period=Period(2025, 10), sheet=sheet(discount_applies=False),
        reference_date=date(2025, 10, 31), rows=rows, usage=[], usage_window=None,
        adjustments=[], as_known_at=T0, issued_at=T0, status=InvoiceStatus.ISSUED,
    )  # fmt: skip
    store.add_invoice(invoice)
    counted = store.conn.execute(
        text("SELECT count(*) FROM invoice_evidence_seats WHERE invoice_id = :id"),
        {"id": invoice.id},
    ).scalar_one()
    assert counted == 10_000
    got = store.get_invoice(invoice.id)
    assert got == invoice
    assert evidence_hash(got) == invoice.evidence_hash


# --- the database refuses to change history -------------------------------------------


def filled(engine: Engine) -> None:
    """One row in each append-only table, through the use cases and the store."""
    services = Services(SqlUnitOfWork(engine), SimulatedDay(date(2025, 9, 1)))
    assert isinstance(organisations.add_organisation(services, "north", "North"), Success)
    terms = ContractTerms(plan="standard", cadence=Cadence.MONTHLY)
    assert isinstance(contracts.set_contract(services, CATALOG, "north", terms, actor="a"), Success)
    assert isinstance(seats.activate(services, "s1", "north", actor="a"), Success)
    recorded = contracts.record_usage(services, CATALOG, "north", "new-dossier", actor="a")
    assert isinstance(recorded, Success)
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as ledger:
        ledger.add_invoice(rich_invoice())
        ledger.add_idempotency_record(
            IdempotencyRecord(IdempotencyKey("k-1"), "seat.activate", "0" * 64, "{}", T0)
        )
        uow.commit()


@pytest.mark.parametrize("table", APPEND_ONLY)
@pytest.mark.parametrize("statement", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}"])
def test_the_database_refuses_to_update_or_delete_history(
    engine: Engine, table: str, statement: str
) -> None:
    filled(engine)
    column = {
        "seat_facts": "actor",
        "contract_versions": "actor",
        "usage_records": "actor",
        "idempotency_keys": "command",
    }.get(table, "kind" if table == "invoices" else "holder")
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() >= 1
    with (
        engine.connect() as conn,
        conn.begin(),
        pytest.raises(IntegrityError, match=f"{table} is append-only"),
    ):
        conn.execute(text(statement.format(t=table, c=column)))
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() >= 1


def test_the_projection_head_organisations_and_admins_stay_writable(engine: Engine) -> None:
    filled(engine)
    with engine.connect() as conn, conn.begin():
        conn.execute(text("UPDATE billing_spans SET known_until = known_until"))
        conn.execute(text("UPDATE ledger_head SET last_seq = last_seq"))
        conn.execute(text("UPDATE organisations SET name = 'North BV'"))
        conn.execute(text("DELETE FROM admins"))
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as ledger:
        before = ledger.billable_on(NORTH, date(2025, 9, 30), None)
        assert ledger.rebuild_projection() >= 1
        assert ledger.billable_on(NORTH, date(2025, 9, 30), None) == before
        uow.commit()


# --- the billing use cases end to end ---------------------------------------------------


def test_billing_on_sql_issues_adjusts_verifies_and_is_idempotent(
    make_services: Callable[[Clock], Services],
) -> None:
    clock = SimulatedDay(date(2025, 9, 1))
    services = make_services(clock)
    assert isinstance(organisations.add_organisation(services, "north", "North"), Success)
    terms = ContractTerms(plan="standard", cadence=Cadence.MONTHLY)
    assert isinstance(contracts.set_contract(services, CATALOG, "north", terms, actor="a"), Success)
    for seat in ("s0", "s1", "s2"):
        assert isinstance(seats.activate(services, seat, "north", actor="a"), Success)

    clock.day = date(2025, 10, 1)  # 30 September has closed
    september = billing.bill_run(services, CATALOG, Period(2025, 9)).unwrap()
    (issued,) = september.invoices
    assert issued.id == "INV-2025-09-north"
    assert (str(issued.subtotal), str(issued.vat), str(issued.total)) == (
        "117.00",
        "24.57",
        "141.57",
    )
    assert [r.seat for r in issued.evidence.seats] == ["s0", "s1", "s2"]

    clock.day = date(2025, 10, 6)
    late = seats.deactivate(
        services, "s2", actor="a", on=date(2025, 9, 12), reason="left in September"
    )
    assert isinstance(late, Success)
    clock.day = date(2025, 11, 1)
    october = billing.bill_run(services, CATALOG, Period(2025, 10)).unwrap()
    (next_invoice,) = october.invoices
    (adjustment,) = next_invoice.lines_of(LineKind.ADJUSTMENT)
    assert adjustment.amount == Decimal("-39.00")
    assert adjustment.refers_to == "INV-2025-09-north"
    assert adjustment.seats == ("s2",)
    assert next_invoice.subtotal == Decimal("39.00")  # 2 x 39.00 - 39.00

    stored = billing.list_invoices(services).unwrap()
    assert list(stored) == [issued, next_invoice]
    for invoice in stored:
        verification = billing.verify_invoice(services, invoice.id).unwrap()
        assert verification.ok, verification.problems
    assert billing.get_invoice(services, issued.id).unwrap() == issued

    again = billing.bill_run(services, CATALOG, Period(2025, 10)).unwrap()
    assert [o.outcome for o in again.outcomes] == [billing.Outcome.ALREADY_ISSUED]
    assert list(billing.list_invoices(services).unwrap()) == [issued, next_invoice]
