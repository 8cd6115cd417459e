"""The billing run, and the proof side: show, explain, verify, evidence.

A run bills one period for every organisation (or one), in batches of
organisations, one transaction each, so a long run keeps what it has done. It is idempotent: an
invoice is unique per organisation, period and kind, and a second run finds
it and issues nothing. A dry run computes the same invoices as a forecast
and stores nothing.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

import attrs
from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain import notifications, numbering
from seatledger.domain.authorisation import Action
from seatledger.domain.catalog import Cadence, Catalog
from seatledger.domain.charges import ALL, NO_OVERAGE, OVERAGE_ONLY, CoverageRules, term_words
from seatledger.domain.closing import ClosingRule
from seatledger.domain.contracts import Contract, contract_in_force
from seatledger.domain.coverage import (
    YEAR,
    ServicePeriod,
    add_months,
    arrival_count_date,
    covering,
    owed_for,
    schedule,
    seat_claims,
    starting_in,
)
from seatledger.domain.dates import Period, iso_instant
from seatledger.domain.errors import (
    ClockWentBackwards,
    CurrencyMismatch,
    LedgerError,
    NoContract,
    NoSigningKey,
    ReferenceDateNotReached,
    UnknownInvoice,
)
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import (
    CREDIT_NOTE,
    KINDS,
    OVERAGE,
    REGULAR,
    AdjustmentBasis,
    ArrivalCount,
    ChargeBasis,
    Evidence,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    IssuedSummary,
    LineKind,
    PriceSheet,
    ServiceTerm,
    evidence_hash,
    hashed_invoice,
    summary_of,
)
from seatledger.domain.money import ZERO
from seatledger.domain.numbering import (
    DocumentIssue,
    DocumentNumber,
    VatCategory,
    series_for,
    vat_category,
)
from seatledger.domain.organisation import Organisation
from seatledger.domain.parties import Seller
from seatledger.domain.policies import NegativeBalance, OverageDocument
from seatledger.domain.ports import LedgerHead, Store
from seatledger.domain.pricing import (
    InvoiceRules,
    adjustment_for,
    charges_subtotal,
    price_sheet,
)
from seatledger.domain.queries import SeatRow
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.seals import ChainCheck, Seal, check_chain, checkpoint_hash, next_seal
from seatledger.domain.services.access import POLICY, SYSTEM_ACTOR, may_read, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation
from seatledger.domain.timeline import SeatTimeline, timeline
from seatledger.domain.usage import UsageRecord

RULES = InvoiceRules()
LAST_PERIOD = Period(9999, 12)  # the last month a date can name
COVERAGE = CoverageRules()
CLOSING = ClosingRule()
# Organisations billed per write transaction: fewer commits and set-based reads, while a
# batch stays short enough (about a second) for a racing worker's wait for the write lock.
BATCH_ORGS = 100


class Outcome(enum.Enum):
    ISSUED = "issued"
    FORECAST = "forecast"
    ALREADY_ISSUED = "already issued"
    NOTHING_TO_BILL = "nothing to bill"
    IN_TRIAL = "in trial"
    NO_SUBSCRIPTION = "no active subscription"
    NOT_DUE = "not due yet"
    FAILED = "failed"


@frozen
class OrgOutcome:
    """One organisation's outcome; ``extra`` holds its other documents of the run
    (an overage invoice of its own)."""

    org: OrgId
    outcome: Outcome
    invoice: Invoice | None = None
    note: str = ""
    extra: tuple[Invoice, ...] = ()
    error: LedgerError | None = None


@frozen
class RunReport:
    period: Period
    dry_run: bool
    outcomes: tuple[OrgOutcome, ...]

    @property
    def failed(self) -> list[OrgOutcome]:
        """The organisations that could not be billed, each with its refusal."""
        return [o for o in self.outcomes if o.outcome is Outcome.FAILED]

    @property
    def invoices(self) -> list[Invoice]:
        return [
            doc
            for o in self.outcomes
            for doc in ((o.invoice,) if o.invoice is not None else ()) + o.extra
        ]


Progress = Callable[[int, int, OrgId], None]


def _no_progress(done: int, total: int, org: OrgId) -> None:
    return None


def _maybe_moved(row: SeatRow) -> bool:
    """True if the seat may have had, or may have later, another payer than this row's.

    A span that starts after the seat's activation, or ends before its
    deactivation, was cut by a payer change (or a change of holder, kind or
    add-ons); only those seats need their whole history to know which of
    their months another organisation covers.
    """
    if row.billed_from > row.activated_on:
        return True
    return row.billed_until is not None and (
        row.deactivated_on is None or row.billed_until < row.deactivated_on
    )


class _Claims:
    """The claims on moved seats' months: their histories and their payers' schedules.

    A billing batch shares one (``known_at`` None: everything recorded, which
    is what the batch's cuts know, since a batch records no facts or
    contracts, only documents); a recomputation as known at a cut has its own.
    """

    def __init__(self, store: Store, known_at: datetime | None, horizon: Period) -> None:
        self.store = store
        self.known_at = known_at
        self.horizon = horizon
        self.schedules: dict[OrgId, list[ServicePeriod]] = {}
        self.timelines: dict[SeatId, SeatTimeline | None] = {}
        # Every organisation's contracts, read on first need; those with an annual version;
        # per month, the two earliest monthly count dates (``claimed_elsewhere``).
        self.contracts: dict[OrgId, Sequence[Contract]] | None = None
        self.annual: set[OrgId] = set()
        self.earliest: dict[Period, tuple[tuple[date, OrgId], ...]] = {}

    def schedule_of(self, org: OrgId) -> list[ServicePeriod]:
        if org not in self.schedules:
            versions = self.store.contracts(org)
            self.schedules[org] = schedule(org, versions, self.horizon, self.known_at)
        return self.schedules[org]

    def claimed_elsewhere(self, org: OrgId, sp: ServicePeriod) -> bool:
        """Could another organisation have claimed the month of ``sp`` before ``org``?

        Only if one with an annual contract exists (its years and arrivals
        may cover the month), or one with a monthly contract counts that
        month before ``sp`` is counted (an earlier reference day). When
        neither, every seat counted for the month owes it and no history
        needs reading: the common case of monthly contracts counted on the
        same day. A year is always worked out seat by seat, and so is every
        month of a ledger that has an annual contract.
        """
        if sp.basis != 1:
            return True  # a year: its own seats may leave it early (credited), read them
        if self.contracts is None:
            self.contracts = dict(self.store.every_contract())
            self.annual = {
                other
                for other, versions in self.contracts.items()
                if any(v.cadence is Cadence.ANNUAL for v in self._known(versions))
            }
        if self.annual - {org}:
            return True
        if sp.first not in self.earliest:
            self.earliest[sp.first] = self._earliest_counts(sp.first)
        return any(
            other != org and counted_on < sp.counted_on
            for counted_on, other in self.earliest[sp.first]
        )

    def _known(self, versions: Sequence[Contract]) -> list[Contract]:
        at = self.known_at
        return [v for v in versions if at is None or v.recorded_at is None or v.recorded_at <= at]

    def _earliest_counts(self, month: Period) -> tuple[tuple[date, OrgId], ...]:
        """The two earliest count dates of ``month`` among the monthly organisations (one
        count each), whatever their trials (counting one that is in trial is only careful)."""
        found: list[tuple[date, OrgId]] = []
        for other, versions in (self.contracts or {}).items():
            contract = contract_in_force(self._known(versions), month)
            if contract is None or contract.plan is None:
                continue
            found.append((contract.reference_rule().reference_date(month), other))
        found.sort()
        return tuple(found[:2])

    def read(self, seats: Sequence[SeatId]) -> None:
        """Read the histories of ``seats`` not read yet, in one go."""
        wanted = [seat for seat in seats if seat not in self.timelines]
        if not wanted:
            return
        found = self.store.seat_facts_of(wanted)
        for seat in wanted:
            folded = timeline(seat, found.get(seat, ()), self.known_at)
            self.timelines[seat] = folded.unwrap() if isinstance(folded, Success) else None

    def owed(
        self, seat: SeatId, org: OrgId, sp: ServicePeriod, *, arrival: bool
    ) -> tuple[int, Period | None]:
        """The months of ``sp`` that ``org`` owes for ``seat``, and the month the claim starts."""
        self.read([seat])
        found = self.timelines[seat]
        if found is None:
            return (0 if arrival else sp.months), None
        payers = sorted({owner.org for owner in found.owners})
        owed = seat_claims(
            found, {p: self.schedule_of(p) for p in payers}, within=(sp.first, sp.end)
        )
        item = owed_for(owed, org, sp, arrival=arrival)
        if item is None:
            return (0 if arrival else sp.months), None
        return item.months, item.claim.from_month


@frozen
class Coverage:
    """What a period's documents of one organisation cover, as known at an instant.

    ``service`` is the service period that starts in the period; ``annual``
    the annual period that covered the month before (seats arriving in it
    are counted then); ``due`` the last of their count dates: the period's
    documents are issued once it has closed.
    """

    periods: tuple[ServicePeriod, ...]
    service: ServicePeriod | None
    annual: ServicePeriod | None
    basis: ChargeBasis
    rows: tuple[SeatRow, ...]
    due: date | None

    @property
    def terms(self) -> Contract | None:
        """The contract whose prices the period's seats are charged at."""
        if self.service is not None:
            return self.service.contract
        if self.annual is not None:
            return self.annual.contract
        return None


def horizon(period: Period) -> Period:
    """How far a run for ``period`` needs the schedules: a year on, within the calendar."""
    return min(add_months(period, YEAR), LAST_PERIOD)


def coverage_of(
    store: Store,
    org: OrgId,
    period: Period,
    known_at: datetime | None,
    *,
    document: str = ALL,
    count: bool = True,
    claims: _Claims | None = None,
    arrival_prices: tuple[Decimal, Decimal] | None = None,
) -> Coverage:
    """Which service period of ``org`` starts in ``period``, which seats it counts and what
    each owes, and which seats arrived in its annual period last month (``count`` False:
    the schedule only, no seats read)."""
    if claims is None:
        claims = _Claims(store, known_at, horizon(period))
    periods = tuple(claims.schedule_of(org))
    sp = starting_in(periods, period)
    previous = period.previous()
    last = covering(periods, previous)
    annual = last if last is not None and last.basis == YEAR else None
    rows: list[SeatRow] = []
    owed: list[tuple[str, int]] = []
    elsewhere: list[str] = []
    arrivals: ArrivalCount | None = None
    if count and sp is not None:
        counted = list(store.billable_on(org, sp.counted_on, known_at))
        moved = {row.seat for row in counted if _maybe_moved(row)}
        if moved and not claims.claimed_elsewhere(org, sp):
            moved = set()  # nobody else counted these months first: every seat owes them all
        claims.read(sorted(moved))
        for row in counted:
            months = sp.months
            if row.seat in moved:
                months, _ = claims.owed(row.seat, org, sp, arrival=False)
            if months == 0:
                elsewhere.append(row.seat)
                continue
            rows.append(row)
            if months != sp.months:
                owed.append((row.seat, months))
    if count and annual is not None:
        day = arrival_count_date(annual, previous)
        arrived: list[SeatRow] = []
        arrived_owed: list[tuple[str, int]] = []
        candidates = [row for row in store.billable_on(org, day, known_at) if _maybe_moved(row)]
        claims.read([row.seat for row in candidates])
        for row in candidates:  # the others, never paid by anyone else, wait for the next count
            months, start = claims.owed(row.seat, org, annual, arrival=True)
            if months > 0 and start == previous:
                arrived.append(row)
                arrived_owed.append((row.seat, months))
        if arrived:
            seat, student = arrival_prices or (None, None)
            arrivals = ArrivalCount(
                previous, YEAR, day, tuple(arrived), tuple(arrived_owed), seat, student
            )
    service = ServiceTerm(sp.first, sp.months, sp.basis, sp.counted_on) if sp is not None else None
    basis = ChargeBasis(service, tuple(owed), tuple(elsewhere), arrivals, document)
    days = [sp.counted_on] if sp is not None else []
    if annual is not None:
        days.append(arrival_count_date(annual, previous))
    return Coverage(periods, sp, annual, basis, tuple(rows), max(days) if days else None)


def recompute_charges(
    store: Store, invoice: Invoice, known_at: datetime | None
) -> tuple[list[InvoiceLine], list[SeatRow], list[UsageRecord]]:
    """An invoice's own lines recomputed from history as known at ``known_at``.

    The prices, rules and discount decision come from the invoice's frozen
    evidence, so only what the ledger knows can change the result. An
    invoice issued under billed coverage is recomputed by its rules (which
    service period, which seats owe which months); one issued before them by
    the rules it was issued under.
    """
    lines, rows, usage, _ = _recompute(store, invoice, known_at)
    return lines, rows, usage


def _recompute(
    store: Store, invoice: Invoice, known_at: datetime | None, claims: _Claims | None = None
) -> tuple[list[InvoiceLine], list[SeatRow], list[UsageRecord], ChargeBasis | None]:
    evidence = invoice.evidence
    usage: list[UsageRecord] = []
    window = None
    if evidence.usage_from is not None and evidence.usage_until is not None:
        window = (evidence.usage_from, evidence.usage_until)
        usage = list(store.usage(invoice.org, *window, known_at))
    if evidence.basis is None:
        rows: list[SeatRow] = []
        if evidence.reference_date is not None:
            rows = list(store.billable_on(invoice.org, evidence.reference_date, known_at))
        lines = RULES.charge_lines(evidence.prices, evidence.reference_date, rows, usage, window)
        return lines, rows, usage, None
    stored = evidence.basis.arrivals
    prices = None
    if stored is not None and stored.seat_price is not None and stored.student_price is not None:
        prices = (stored.seat_price, stored.student_price)
    found = coverage_of(
        store, invoice.org, invoice.period, known_at, document=evidence.basis.document,
        claims=claims, arrival_prices=prices,
    )  # fmt: skip
    basis = found.basis
    if evidence.basis.service is None:
        basis = attrs.evolve(basis, service=None, owed=(), covered_elsewhere=())
        rows = []
    else:
        rows = list(found.rows)
    if evidence.basis.arrivals is None:
        basis = attrs.evolve(basis, arrivals=None)
    lines = COVERAGE.lines(evidence.prices, basis, rows, usage, window)
    return lines, rows, usage, basis


def _adjusted_so_far(issued: Sequence[IssuedSummary], original: str) -> Decimal:
    return sum((line.amount for line in _adjustment_lines(issued, original)), ZERO)


def _adjustment_lines(issued: Sequence[IssuedSummary], original: str) -> list[InvoiceLine]:
    return [
        line
        for inv in issued
        for line in inv.lines
        if line.kind is LineKind.ADJUSTMENT and line.refers_to == original
    ]


@runtime_checkable
class ChangeLog(Protocol):
    """A store that can tell cheaply whether an organisation's billing inputs changed.

    Optional (the SQL store has it, the in-memory reference store does not):
    ``changed_since(org, t)`` is True if a fact or usage recorded after ``t``
    could change what ``org`` is billed. An invoice cut at ``t`` with
    nothing changed since recomputes to itself and needs no adjustment, so
    the run skips recomputing it; the invoices issued are identical.
    """

    def changed_since(self, org: OrgId, instant: datetime) -> bool: ...


@runtime_checkable
class BillingPrefetch(Protocol):
    """A store that can read a batch of organisations' billing inputs set-based.

    Optional (the SQL store has it, the in-memory reference store does not):
    ``prefetch_billing(orgs, period)`` reads, in a few queries for the whole
    batch, what billing those organisations will ask the store inside the
    current transaction (their contracts, their invoices' summaries, which of
    them have no usage, the head); the store's own methods then answer from
    what it read, and its writes keep it current. The answers are the same as
    without it.
    """

    def prefetch_billing(self, orgs: Sequence[OrgId], period: Period) -> None: ...


@runtime_checkable
class InvoiceSummaries(Protocol):
    """A store that can list an organisation's invoices without their evidence seats.

    Optional (the SQL store has it): ``invoice_summaries(org)`` is
    ``summary_of`` of each of ``invoices(org, None)``, in the same order,
    without reading the seats counted on each. A run needs those only for an
    invoice it recomputes, and reads that one whole.
    """

    def invoice_summaries(self, org: OrgId) -> Sequence[IssuedSummary]: ...


def _summaries(store: Store, org: OrgId) -> Sequence[IssuedSummary]:
    if isinstance(store, InvoiceSummaries):
        return store.invoice_summaries(org)
    return [summary_of(i) for i in store.invoices(org, None)]


def _unchanged_since(store: Store, org: OrgId, cut: datetime | None) -> bool:
    if cut is None or not isinstance(store, ChangeLog) or store.changed_since(org, cut):
        return False
    # A contract version recorded later can end a paid annual period early (LeaveAnnual).
    return all(c.recorded_at is None or c.recorded_at <= cut for c in store.contracts(org))


def _adjustments(
    store: Store,
    issued: Sequence[IssuedSummary],
    known_at: datetime | None,
    claims: _Claims | None = None,
) -> list[tuple[AdjustmentBasis, InvoiceLine]]:
    """Adjustments to earlier documents, recomputed as known at ``known_at`` (the head:
    ``claims``, the run's histories and schedules, know exactly that much)."""
    result: list[tuple[AdjustmentBasis, InvoiceLine]] = []
    if not issued:
        return result
    cuts = [i.as_known_at for i in issued]
    earliest = None if None in cuts else min(c for c in cuts if c is not None)
    if _unchanged_since(store, issued[0].org, earliest):
        # Nothing recorded after the earliest cut: no earlier invoice can need adjusting.
        return result
    for summary in issued:
        if _unchanged_since(store, summary.org, summary.as_known_at):
            continue
        original = store.get_invoice(summary.id)
        if original is None:
            raise LookupError(f"invoice {summary.id} was listed but cannot be read")
        lines, rows, _, _ = _recompute(store, original, known_at, claims)
        adjustment = adjustment_for(
            original, lines, rows, _adjusted_so_far(issued, original.id),
            _adjustment_lines(issued, original.id),
            own_vat=original.evidence.basis is not None,
        )  # fmt: skip
        if adjustment is not None:
            result.append(adjustment)
    return result


def _discount_applies(
    contract: Contract, catalog: Catalog, issued: Sequence[IssuedSummary], day: date
) -> bool:
    """True if the contract's discount code applies to the next document issued.

    Uses are counted over the documents already issued, whatever periods
    they bill (a missed month billed after a later one does not get a
    ``once`` code a second time).
    """
    if contract.discount_code is None:
        return False
    code = catalog.discounts.get(contract.discount_code)
    if code is None or not code.valid_on(day):
        return False
    allowed = code.uses_allowed()
    used = sum(
        1
        for inv in issued
        if any(line.kind is LineKind.DISCOUNT for line in inv.lines)
        and inv.prices.discount_code == code.code
    )
    return allowed is None or used < allowed


def _carry_credits(
    sheet: PriceSheet,
    charges: Sequence[InvoiceLine],
    adjustments: Sequence[tuple[AdjustmentBasis, InvoiceLine]],
) -> list[tuple[AdjustmentBasis, InvoiceLine]]:
    """The adjustments an invoice can take without going below zero, oldest first.

    ``NegativeBalance.CARRY``: a credit that does not fit waits; the next run
    recomputes the invoice it corrects and offers it again.
    """
    kept: list[tuple[AdjustmentBasis, InvoiceLine]] = []
    lines = list(charges)
    for basis, line in adjustments:
        _, _, total = RULES.vat.totals(sheet, [*lines, line])
        if line.amount < ZERO and total < ZERO:
            continue
        kept.append((basis, line))
        lines.append(line)
    return kept


def bill_organisation(
    services: Services,
    store: Store,
    catalog: Catalog,
    organisation: Organisation,
    period: Period,
    *,
    dry_run: bool,
    explicit: bool,
    claims: _Claims | None = None,
) -> Result[OrgOutcome, LedgerError]:
    """Compute (and unless a dry run, issue) one organisation's documents for a period.

    The documents are its invoice (or, when credits exceed charges under the
    ``credit-note`` policy, a credit note), and its overage invoice when the
    contract bills overage on a document of its own. The first is the
    outcome's ``invoice``; the overage invoice is in ``extra``.
    """
    org = organisation.id
    summaries = list(_summaries(store, org))
    existing = [s for s in summaries if s.period == period and s.kind in (REGULAR, CREDIT_NOTE)]
    if existing:
        found = store.get_invoice(existing[0].id)
        return Success(OrgOutcome(org, Outcome.ALREADY_ISSUED, found, "issued before"))
    versions = store.contracts(org)
    contract = contract_in_force(versions, period)
    if contract is None:
        if explicit:
            return Failure(NoContract(org))
        return Success(OrgOutcome(org, Outcome.NO_SUBSCRIPTION))
    claims = claims or _Claims(store, None, horizon(period))
    plan_of_period = coverage_of(store, org, period, None, count=False, claims=claims)
    due = plan_of_period.due or period.first_day
    if plan_of_period.terms is None and contract.in_trial_on(due):
        return Success(
            OrgOutcome(org, Outcome.IN_TRIAL, note=f"trial until {contract.trial_until}")
        )
    if plan_of_period.terms is None and contract.plan is None:
        if explicit:
            return Failure(NoContract(org))
        return Success(OrgOutcome(org, Outcome.NO_SUBSCRIPTION, note="trial ended, no plan"))
    today = organisation.today(services.clock.today)
    closed = CLOSING.closed(due, services.clock)
    if not closed and not dry_run:
        if explicit:
            return Failure(
                ReferenceDateNotReached(org, str(period), due, today, CLOSING.closes_at(due))
            )
        return Success(
            OrgOutcome(org, Outcome.NOT_DUE, note=f"counted on {due.isoformat()}, not closed yet")
        )
    terms = plan_of_period.terms or contract
    plan = catalog.plan(terms.plan or contract.plan or "")
    if isinstance(plan, Failure):
        return Failure(plan.failure())
    if organisation.currency != catalog.currency:
        return Failure(CurrencyMismatch(org, organisation.currency, catalog.currency))
    previous = contract_in_force(versions, period.previous())
    usage_plan = plan.unwrap()
    if previous is not None and previous.plan is not None:
        priced = catalog.plan(previous.plan)
        if isinstance(priced, Success):
            usage_plan = priced.unwrap()
    issued_at = None
    if not dry_run:
        # Issuing is recorded like a fact: never before what the ledger already knows.
        recorded = assign_recorded_at(services.clock, store.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        issued_at = recorded.unwrap()
    issued = [i for i in summaries if i.period != period or i.kind not in KINDS]
    seller = store.seller()
    category = vat_category(seller, organisation.details, contract.policies.vat_treatment)
    discount = catalog.discounts.get(contract.discount_code or "")
    service = plan_of_period.service or plan_of_period.annual
    separate = terms.policies.overage_document is OverageDocument.SEPARATE
    sheet = price_sheet(
        terms, plan.unwrap(), catalog, discount,
        _discount_applies(contract, catalog, issued, due),
        usage_plan=usage_plan,
        cadence=service.cadence if service is not None else Cadence.MONTHLY,
        vat_percent=contract.vat_percent if category is VatCategory.STANDARD else ZERO,
        coverage=True,
    )  # fmt: skip
    if category is not VatCategory.STANDARD:
        sheet = attrs.evolve(sheet, vat_category=category.value)
    known_at = store.head().last_recorded_at
    # Everything below is asked "as known at" the cut, so the evidence is exactly that.
    counted = coverage_of(
        store, org, period, known_at, document=NO_OVERAGE if separate else ALL, claims=claims,
        arrival_prices=_annual_prices(catalog, plan_of_period.annual),
    )  # fmt: skip
    window = RULES.usage.window(period, contract.trial_until)
    usage = list(store.usage(org, *window, known_at)) if window else []
    status = InvoiceStatus.FORECAST if dry_run else InvoiceStatus.ISSUED
    charges = COVERAGE.lines(sheet, counted.basis, counted.rows, usage, window)
    adjustments = _adjustments(store, issued, known_at, claims)
    negative = contract.policies.negative_balance
    if negative is NegativeBalance.CARRY:
        adjustments = _carry_credits(sheet, charges, adjustments)
    invoice = _compose(
        org, period, REGULAR, sheet, counted, charges, usage, window, adjustments,
        known_at, issued_at, status,
    )  # fmt: skip
    if invoice.total < ZERO:
        invoice = _compose(
            org, period, CREDIT_NOTE, sheet, counted, charges, usage, window, adjustments,
            known_at, issued_at, status,
        )  # fmt: skip
    extra: tuple[Invoice, ...] = ()
    if separate and counted.service is not None:
        overage_basis = attrs.evolve(counted.basis, document=OVERAGE_ONLY)
        overage_lines = COVERAGE.lines(sheet, overage_basis, counted.rows, (), None)
        already = any(s.period == period and s.kind == OVERAGE for s in summaries)
        if overage_lines and not already:
            extra = (
                _compose(
                    org, period, OVERAGE, attrs.evolve(sheet, discount_applies=False),
                    attrs.evolve(counted, basis=overage_basis), overage_lines, (), None, (),
                    known_at, issued_at, status,
                ),
            )  # fmt: skip
    if not invoice.lines and not extra:
        return Success(OrgOutcome(org, Outcome.NOTHING_TO_BILL))
    documents = ((invoice,) if invoice.lines else ()) + extra
    if dry_run:
        note = "forecast" if closed else f"forecast: counted on {due.isoformat()}"
        return Success(OrgOutcome(org, Outcome.FORECAST, documents[0], note, documents[1:]))
    stored: list[Invoice] = []
    for draft in documents:
        # One at a time: the next document's number follows this one's.
        document = _issue(store, draft, organisation, seller, today, contract.payment_method.value)
        store.add_invoice(document)
        stored.append(document)
        # Chained (and signed, with a key) in the transaction that issues it (decision 0037).
        store.add_seal(
            next_seal(store.last_seal(), document.id, document.evidence_hash, services.signer)
        )
        assert document.issued_at is not None
        store.enqueue(
            notifications.invoice_messages(document, document.issued_at), document.issued_at
        )
    return Success(OrgOutcome(org, Outcome.ISSUED, stored[0], "", tuple(stored[1:])))


def _issue(
    store: Store,
    document: Invoice,
    organisation: Organisation,
    seller: Seller | None,
    day: date,
    payment_method: str | None,
) -> Invoice:
    """``document`` as issued on ``day``: the next legal number of its series and year, its
    due date, the parties as they are now; hashed with them.

    Called inside the issuing transaction, under the store's write lock: the
    number read here and the invoice stored with it commit or roll back
    together, so the series has no gap and no number twice (decision 0025).
    """
    series = series_for(seller, document.kind == CREDIT_NOTE)
    number = DocumentNumber(series, day.year, store.last_document_number(series, day.year) + 1)
    issue = DocumentIssue(
        number=number,
        issue_date=day,
        due_date=numbering.due_date(day, seller),
        seller=seller,
        buyer_name=organisation.name,
        buyer=organisation.details,
        payment_method=payment_method,
    )
    issued = attrs.evolve(document, issue=issue)
    return attrs.evolve(issued, evidence_hash=evidence_hash(issued))


def _annual_prices(
    catalog: Catalog, annual: ServicePeriod | None
) -> tuple[Decimal, Decimal] | None:
    """The seat and student prices of an annual period's plan, for the seats arriving in it."""
    if annual is None or annual.contract.plan is None:
        return None
    plan = catalog.plan(annual.contract.plan)
    if isinstance(plan, Failure):
        return None
    seat = plan.unwrap().seat_prices.get(Cadence.ANNUAL)
    student = catalog.student_rate.get(Cadence.ANNUAL)
    return (seat, student) if seat is not None and student is not None else None


def _compose(
    org: OrgId,
    period: Period,
    kind: str,
    sheet: PriceSheet,
    counted: Coverage,
    charges: Sequence[InvoiceLine],
    usage: Sequence[UsageRecord],
    window: tuple[date, date] | None,
    adjustments: Sequence[tuple[AdjustmentBasis, InvoiceLine]],
    known_at: datetime | None,
    issued_at: datetime | None,
    status: InvoiceStatus,
) -> Invoice:
    """One document with its evidence and content hash."""
    lines = [*charges, *(line for _, line in adjustments)]
    subtotal, vat, total = RULES.vat.totals(sheet, lines)
    service = counted.basis.service
    evidence = Evidence(
        as_known_at=known_at,
        reference_date=service.counted_on if service is not None else None,
        usage_from=window[0] if window else None,
        usage_until=window[1] if window else None,
        prices=sheet,
        seats=counted.rows if service is not None else (),
        usage=tuple(sorted(usage, key=lambda u: u.seq)),
        adjustments=tuple(basis for basis, _ in adjustments),
        basis=counted.basis,
    )
    return hashed_invoice(
        org=org, period=period, kind=kind, status=status, sheet=sheet, lines=lines,
        totals=(subtotal, vat, total), evidence=evidence, issued_at=issued_at,
    )  # fmt: skip


def shard_of(org: OrgId, shards: int) -> int:
    """The shard (0 <= k < shards) an organisation belongs to: stable across processes and hosts.

    CRC-32 of the id, not ``hash()``, which Python salts per process.
    """
    return zlib.crc32(org.encode("utf-8")) % shards


def bill_run(
    services: Services,
    catalog: Catalog,
    period: Period,
    *,
    org: str | None = None,
    dry_run: bool = False,
    progress: Progress = _no_progress,
    shard: tuple[int, int] | None = None,
    actor: str = SYSTEM_ACTOR,
) -> Result[RunReport, LedgerError]:
    """Bill ``period`` for every organisation, or only ``org``.

    Organisations are billed in batches of ``BATCH_ORGS``, each batch in one
    write transaction (one commit; each invoice is whole, and a crash loses
    at most the batch, which the next run bills again). With ``org``,
    a refusal (no subscription, reference date not reached) is the result;
    for all organisations such cases are reported per organisation.

    ``shard=(k, n)`` bills only the organisations whose ``shard_of(id, n)``
    is ``k``, so n workers (processes or hosts) share a run. Workers may
    also overlap (two unsharded runs at once): each organisation's check
    for an existing invoice and its insert happen in one write transaction
    (its batch's)
    under the store's write lock, so the one that comes second reports
    "already issued"; the unique constraint (org, period, kind) is the last
    guard.
    """
    if shard is not None and not 0 <= shard[0] < shard[1]:
        raise ValueError(f"shard {shard[0]} of {shard[1]}: need 0 <= k < n")
    with services.uow.transaction(write=False) as store:
        # A dry run stores nothing, so anyone may preview; issuing is the vendor's work.
        allowed = POLICY.check_operator_task(standing(store, actor), Action.INVOICE_ISSUE)
        if isinstance(allowed, Failure) and not dry_run:
            return Failure(allowed.failure())
        if org is not None:
            found = require_organisation(store, org)
            if isinstance(found, Failure):
                return Failure(found.failure())
            targets = [found.unwrap()]
        else:
            targets = list(store.list_organisations())
    if shard is not None:
        targets = [o for o in targets if shard_of(o.id, shard[1]) == shard[0]]
    outcomes: list[OrgOutcome] = []
    shared: _Claims | None = None
    left: LedgerHead | None = None
    for first in range(0, len(targets), BATCH_ORGS):
        batch = targets[first : first + BATCH_ORGS]
        billed: list[OrgOutcome] = []
        refusal: LedgerError | None = None
        with services.uow.transaction(write=not dry_run) as store:
            if isinstance(store, BillingPrefetch):
                store.prefetch_billing([o.id for o in batch], period)
            # Histories and schedules read once for the run: kept from batch to batch while
            # nothing but this run wrote to the ledger (its head is where the last batch left it).
            if shared is None or store.head() != left:
                shared = _Claims(store, None, horizon(period))
            shared.store = store  # this batch's transaction
            claims = shared
            for organisation in batch:
                result = bill_organisation(
                    services, store, catalog, organisation, period,
                    dry_run=dry_run, explicit=org is not None, claims=claims,
                )  # fmt: skip
                if isinstance(result, Failure):
                    if org is not None or isinstance(result.failure(), ClockWentBackwards):
                        refusal = result.failure()
                        break
                    # One organisation that cannot be billed (nothing of it was written)
                    # does not stop the others: it is reported with its reason.
                    error = result.failure()
                    billed.append(
                        OrgOutcome(organisation.id, Outcome.FAILED, note=error.message, error=error)
                    )
                    continue
                outcome = result.unwrap()
                if outcome.outcome is Outcome.ISSUED:
                    assert outcome.invoice is not None
                    for issued in (outcome.invoice, *outcome.extra):
                        assert issued.issued_at is not None
                        record(
                            store, issued.issued_at, actor, allowed.unwrap(),
                            Action.INVOICE_ISSUE, org=issued.org, subject=issued.id,
                            text=f"{issued.period} total {issued.total} {issued.currency}",
                        )  # fmt: skip
                billed.append(outcome)
            left = store.head()
            # The invoices issued before a refusal are kept, as they were one by one.
            if any(o.outcome is Outcome.ISSUED for o in billed):
                services.uow.commit()
        for outcome in billed:
            outcomes.append(outcome)
            progress(len(outcomes), len(targets), outcome.org)
        if refusal is not None:
            return Failure(refusal)
    return Success(RunReport(period, dry_run, tuple(outcomes)))


def get_invoice(
    services: Services, invoice: str, *, reader: str | None = None
) -> Result[Invoice, LedgerError]:
    with services.uow.transaction(write=False) as store:
        found = store.get_invoice(invoice)
        # A stranger learns nothing, not even whether the invoice exists.
        allowed = may_read(store, reader, "the invoice", found.org if found is not None else None)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        if found is None:
            return Failure(UnknownInvoice(invoice))
        return Success(found)


def list_invoices(
    services: Services,
    org: str | None = None,
    period: Period | None = None,
    *,
    reader: str | None = None,
) -> Result[Sequence[Invoice], LedgerError]:
    with services.uow.transaction(write=False) as store:
        allowed = may_read(store, reader, "the invoices", None if org is None else OrgId(org))
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        org_id = None
        if org is not None:
            found = require_organisation(store, org)
            if isinstance(found, Failure):
                return Failure(found.failure())
            org_id = found.unwrap().id
        return Success(list(store.invoices(org_id, period)))


@frozen
class Verification:
    """The outcome of ``invoice verify``: every check, and what differed, if anything.

    ``seal`` says how the invoice's place in the chain of issued documents is
    vouched for: ``signed`` (its own seal's signature checked), ``covered``
    (a later signed seal, checked, commits to it), ``unchecked`` (signatures
    not checked: no public key given), or ``unsigned`` (no signature covers it).
    """

    invoice: str
    hash_matches: bool
    seats_match: bool
    lines_match: bool
    adjustments_match: bool
    problems: tuple[str, ...]
    sealed: bool = True
    seal: str = "unchecked"
    facts_match: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems


@frozen
class LedgerVerification:
    """``invoice verify --all``: each invoice, and what the chain and the facts say as a whole."""

    invoices: tuple[Verification, ...]
    chain: ChainCheck
    drifted: tuple[SeatId, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and all(v.ok for v in self.invoices)


def verify_invoice(services: Services, invoice: str) -> Result[Verification, LedgerError]:
    """Recompute an issued invoice from history as known at its cut, check its hash, its seal
    in the chain of issued documents, and the projection of its organisation's seats against
    the facts."""
    with services.uow.transaction(write=False) as store:
        found = store.get_invoice(invoice)
        if found is None:
            return Failure(UnknownInvoice(invoice))
        chain = check_chain(store.seals(), store.invoice_hashes(), services.seal_keys)
        drifted = store.projection_drift(found.org)
        return Success(verify(store, found, chain, drifted))


def verify_ledger(services: Services) -> Result[LedgerVerification, LedgerError]:
    """Verify every issued invoice, walk the whole chain once and replay every seat's facts."""
    with services.uow.transaction(write=False) as store:
        chain = check_chain(store.seals(), store.invoice_hashes(), services.seal_keys)
        drifted = tuple(store.projection_drift(None))
        checks = tuple(
            verify(store, i, chain, drifted, only_concerned=True)
            for i in store.invoices(None, None)
        )
        problems = list(chain.general())
        if drifted:
            problems.append(_drift_problem(drifted))
        return Success(LedgerVerification(checks, chain, drifted, tuple(problems)))


def _drift_problem(drifted: Sequence[SeatId]) -> str:
    return (
        f"the billing projection of {len(drifted)} seat(s) differs from their facts (rewritten "
        f"outside seatledger): {list(drifted)[:10]}"
    )


def verify(
    store: Store,
    invoice: Invoice,
    chain: ChainCheck | None = None,
    drifted: Sequence[SeatId] = (),
    *,
    only_concerned: bool = False,
) -> Verification:
    """One invoice's checks. ``chain`` is the walk of the whole chain, ``drifted`` the seats
    whose projection differs from their facts (all of them the invoice's organisation's,
    unless ``only_concerned``: then only those it counted or would count now are its own)."""
    problems: list[str] = []
    cut = invoice.evidence.as_known_at
    hash_ok = evidence_hash(invoice) == invoice.evidence_hash
    if not hash_ok:
        problems.append("the content hash does not match: the stored invoice was altered")
    sealed = True
    seal = "unchecked"
    if chain is not None:
        mine = chain.of(invoice.id)
        sealed = not mine
        problems += mine
        seal = chain.status.get(invoice.id, "unsigned")
    lines, rows, usage, recomputed_basis = _recompute(store, invoice, cut)
    concerned = {r.seat for r in invoice.evidence.seats} | {r.seat for r in rows}
    mine_drifted = [s for s in drifted if s in concerned or not only_concerned]
    facts_ok = not mine_drifted
    if mine_drifted:
        problems.append(_drift_problem(mine_drifted))
    seats_ok = (
        tuple(rows) == invoice.evidence.seats
        and tuple(sorted(usage, key=lambda u: u.seq)) == invoice.evidence.usage
        and recomputed_basis == invoice.evidence.basis
    )
    if recomputed_basis != invoice.evidence.basis:
        problems.append(
            "the coverage recomputed as known at the cut differs (which period is counted, "
            "which seats owe which months, or the seats that arrived)"
        )
    if not seats_ok:
        counted = {r.seat for r in invoice.evidence.seats}
        now = {r.seat for r in rows}
        problems.append(
            f"the seats recomputed as known at the cut differ: {len(now)} instead of "
            f"{len(counted)} (only in evidence: {sorted(counted - now)[:10]}, only now: "
            f"{sorted(now - counted)[:10]})"
        )
    own = [line for line in invoice.lines if line.kind is not LineKind.ADJUSTMENT]
    lines_ok = own == lines
    if not lines_ok:
        problems.append("the invoice lines recomputed from the evidence prices differ")
    adjustments_ok = True
    for basis in invoice.evidence.adjustments:
        original = store.get_invoice(basis.original)
        if original is None:
            adjustments_ok = False
            problems.append(f"adjustment refers to {basis.original}, which does not exist")
            continue
        recomputed, _, _ = recompute_charges(store, original, cut)
        if charges_subtotal(recomputed) != basis.recomputed:
            adjustments_ok = False
            problems.append(f"the adjustment to {basis.original} no longer recomputes")
    return Verification(
        invoice.id, hash_ok, seats_ok, lines_ok, adjustments_ok, tuple(problems),
        sealed=sealed, seal=seal, facts_match=facts_ok,
    )  # fmt: skip


def seal_chain(services: Services, actor: str = SYSTEM_ACTOR) -> Result[Seal, LedgerError]:
    """Append a signed checkpoint that vouches for every seal before it (``invoice seal``)."""
    if services.signer is None:
        return Failure(NoSigningKey())
    with services.uow.transaction(write=True) as store:
        allowed = POLICY.check_operator_task(standing(store, actor), Action.INVOICE_SEAL)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        recorded = assign_recorded_at(services.clock, store.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        last = store.last_seal()
        seal = next_seal(last, None, checkpoint_hash(last), services.signer)
        store.add_seal(seal)
        record(
            store, recorded.unwrap(), actor, allowed.unwrap(), Action.INVOICE_SEAL,
            subject=f"seal #{seal.position}",
            text=f"chain signed up to {seal.previous[:16]} with key {seal.key_id}",
        )  # fmt: skip
        services.uow.commit()
        return Success(seal)


def _explain_coverage(invoice: Invoice) -> list[str]:
    basis = invoice.evidence.basis
    if basis is None:
        return []
    out: list[str] = []
    if invoice.kind == CREDIT_NOTE:
        out.append(
            "This is a credit note: the corrections below exceed the charges, so the balance "
            "is owed to the client (policy negative_balance=credit-note)."
        )
    if invoice.kind == OVERAGE:
        out.append("This overage invoice bills only the seats above the licence.")
    if basis.service is not None:
        term = basis.service
        out.append(f"It covers {term_words(term.first, term.months, term.basis)}, paid in advance.")
    if basis.owed:
        named = ", ".join(f"{seat} ({months} months)" for seat, months in basis.owed[:10])
        out.append(
            "Seats whose earlier payer paid some of these months in advance owe only the "
            f"others: {named}."
        )
    if basis.covered_elsewhere:
        out.append(
            "Counted but owing nothing, because another organisation paid these months in "
            f"advance: {', '.join(basis.covered_elsewhere[:10])}."
        )
    if basis.arrivals is not None:
        arrived = basis.arrivals
        out.append(
            f"{len(arrived.seats)} seats were taken over during {arrived.month} from an "
            "organisation that paid for them the month before; they are counted on "
            f"{arrived.counted_on.isoformat()} for the months left of the contract year."
        )
    rates = {line.vat_percent for line in invoice.lines if line.vat_percent is not None}
    if rates - {invoice.vat_rate}:
        parts = "; ".join(
            f"{rate}% on {base} = {vat}"
            for rate, base, vat in RULES.vat.breakdown(invoice.evidence.prices, invoice.lines)
        )
        out.append(
            f"VAT per rate (a correction keeps the rate of the invoice it corrects): {parts}."
        )
    return out


def explain(invoice: Invoice) -> list[str]:
    """Each line of an invoice, and where it comes from, in words a client would accept."""
    evidence = invoice.evidence
    sheet = evidence.prices
    out = [
        f"Invoice {invoice.id} for {invoice.org}, period {invoice.period}, "
        f"{sheet.plan_name} plan billed {sheet.cadence}.",
    ]
    if evidence.reference_date is not None:
        out.append(
            f"Seats were counted on {evidence.reference_date.isoformat()} (rule: "
            f"{sheet.reference_rule}): a seat counts if it was activated on or before that day "
            "and not deactivated or completed on or before it, and its billing belonged to "
            f"{invoice.org} that day. {len(evidence.seats)} seats counted; each is listed with "
            "its activation and deactivation dates in the evidence."
        )
    out += _explain_coverage(invoice)
    if evidence.as_known_at is not None:
        out.append(
            f"The count uses everything recorded up to {iso_instant(evidence.as_known_at)}; "
            "corrections recorded later appear as adjustments on a later invoice, never here."
        )
    for line in invoice.lines:
        money = f"{line.quantity} x {line.unit_price} = {line.amount} {invoice.currency}"
        if line.kind is LineKind.SEAT:
            why = "licence fees, billed in advance for the period"
        elif line.kind is LineKind.ADDON:
            why = "an add-on held by these seats on the count date"
        elif line.kind is LineKind.USAGE:
            why = "usage of the previous month, billed in arrears"
        elif line.kind is LineKind.OVERAGE:
            why = f"seats above the {sheet.licensed} in the contract, at the overage price"
        elif line.kind is LineKind.DISCOUNT:
            why = "discount code, applied before VAT"
        else:
            why = f"correction to {line.refers_to}; seats concerned: {', '.join(line.seats) or '-'}"
        out.append(f"- {line.description}: {money} ({why}).")
    out.append(
        f"Subtotal {invoice.subtotal}; VAT {invoice.vat_rate}% = {invoice.vat} (computed once on "
        f"the subtotal, rounded {invoice.rounding}); total {invoice.total} {invoice.currency}."
    )
    out.append(f"Evidence hash (SHA-256): {invoice.evidence_hash}")
    return out
