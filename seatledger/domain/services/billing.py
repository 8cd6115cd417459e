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

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain import notifications
from seatledger.domain.authorisation import Action
from seatledger.domain.catalog import Catalog
from seatledger.domain.closing import ClosingRule
from seatledger.domain.contracts import Contract, contract_in_force
from seatledger.domain.dates import Period, iso_instant
from seatledger.domain.errors import (
    CurrencyMismatch,
    LedgerError,
    NoContract,
    ReferenceDateNotReached,
    UnknownInvoice,
)
from seatledger.domain.identifiers import OrgId
from seatledger.domain.invoice import (
    AdjustmentBasis,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    IssuedSummary,
    LineKind,
    evidence_hash,
    invoice_id,
    summary_of,
)
from seatledger.domain.money import ZERO
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import Store
from seatledger.domain.pricing import (
    InvoiceRules,
    adjustment_for,
    charges_subtotal,
    price_sheet,
)
from seatledger.domain.queries import SeatRow
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.services.access import POLICY, SYSTEM_ACTOR, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation
from seatledger.domain.usage import UsageRecord

RULES = InvoiceRules()
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


@frozen
class OrgOutcome:
    org: OrgId
    outcome: Outcome
    invoice: Invoice | None = None
    note: str = ""


@frozen
class RunReport:
    period: Period
    dry_run: bool
    outcomes: tuple[OrgOutcome, ...]

    @property
    def invoices(self) -> list[Invoice]:
        return [o.invoice for o in self.outcomes if o.invoice is not None]


Progress = Callable[[int, int, OrgId], None]


def _no_progress(done: int, total: int, org: OrgId) -> None:
    return None


def due_date(contract: Contract, period: Period) -> date:
    """The day a period is counted on: its licence count date, else the 1st.

    Its invoice is issued once that day has closed (``ClosingRule``).
    """
    return contract.licence_reference_date(period) or period.first_day


def recompute_charges(
    store: Store, invoice: Invoice, known_at: datetime | None
) -> tuple[list[InvoiceLine], list[SeatRow], list[UsageRecord]]:
    """An invoice's own lines recomputed from history as known at ``known_at``.

    The prices, rules and discount decision come from the invoice's frozen
    evidence, so only what the ledger knows can change the result.
    """
    evidence = invoice.evidence
    rows: list[SeatRow] = []
    if evidence.reference_date is not None:
        rows = list(store.billable_on(invoice.org, evidence.reference_date, known_at))
    usage: list[UsageRecord] = []
    window = None
    if evidence.usage_from is not None and evidence.usage_until is not None:
        window = (evidence.usage_from, evidence.usage_until)
        usage = list(store.usage(invoice.org, *window, known_at))
    lines = RULES.charge_lines(evidence.prices, evidence.reference_date, rows, usage, window)
    return lines, rows, usage


def _adjusted_so_far(issued: Sequence[IssuedSummary], original: str) -> Decimal:
    return sum(
        (
            line.amount
            for inv in issued
            for line in inv.lines
            if line.kind is LineKind.ADJUSTMENT and line.refers_to == original
        ),
        ZERO,
    )


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
    return cut is not None and isinstance(store, ChangeLog) and not store.changed_since(org, cut)


def _adjustments(
    store: Store, issued: Sequence[IssuedSummary], known_at: datetime | None
) -> list[tuple[AdjustmentBasis, InvoiceLine]]:
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
        lines, rows, _ = recompute_charges(store, original, known_at)
        adjustment = adjustment_for(original, lines, rows, _adjusted_so_far(issued, original.id))
        if adjustment is not None:
            result.append(adjustment)
    return result


def _discount_applies(
    contract: Contract, catalog: Catalog, issued: Sequence[IssuedSummary], day: date
) -> bool:
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


def bill_organisation(
    services: Services,
    store: Store,
    catalog: Catalog,
    organisation: Organisation,
    period: Period,
    *,
    dry_run: bool,
    explicit: bool,
) -> Result[OrgOutcome, LedgerError]:
    """Compute (and unless a dry run, issue) one organisation's invoice for a period."""
    org = organisation.id
    existing = store.get_invoice(invoice_id(org, period))
    if existing is not None:
        return Success(OrgOutcome(org, Outcome.ALREADY_ISSUED, existing, "issued before"))
    contract = contract_in_force(store.contracts(org), period)
    if contract is None:
        if explicit:
            return Failure(NoContract(org))
        return Success(OrgOutcome(org, Outcome.NO_SUBSCRIPTION))
    due = due_date(contract, period)
    if contract.in_trial_on(due):
        return Success(
            OrgOutcome(org, Outcome.IN_TRIAL, note=f"trial until {contract.trial_until}")
        )
    if contract.plan is None:
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
    plan = catalog.plan(contract.plan)
    if isinstance(plan, Failure):
        return Failure(plan.failure())
    if organisation.currency != catalog.currency:
        return Failure(CurrencyMismatch(org, organisation.currency, catalog.currency))
    issued_at = None
    if not dry_run:
        # Issuing is recorded like a fact: never before what the ledger already knows.
        recorded = assign_recorded_at(services.clock, store.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        issued_at = recorded.unwrap()
    issued = [i for i in _summaries(store, org) if i.period < period]
    reference_date = contract.licence_reference_date(period)
    discount = catalog.discounts.get(contract.discount_code or "")
    sheet = price_sheet(
        contract, plan.unwrap(), catalog, discount,
        _discount_applies(contract, catalog, issued, due),
    )  # fmt: skip
    known_at = store.head().last_recorded_at
    # Everything below is asked "as known at" the cut, so the evidence is exactly that.
    rows = list(store.billable_on(org, reference_date, known_at)) if reference_date else []
    window = RULES.usage.window(period, contract.trial_until)
    usage = list(store.usage(org, *window, known_at)) if window else []
    invoice = RULES.compose(
        org=org,
        period=period,
        sheet=sheet,
        reference_date=reference_date,
        rows=rows,
        usage=usage,
        usage_window=window,
        adjustments=_adjustments(store, issued, known_at),
        as_known_at=known_at,
        issued_at=issued_at,
        status=InvoiceStatus.FORECAST if dry_run else InvoiceStatus.ISSUED,
    )
    if not invoice.lines:
        return Success(OrgOutcome(org, Outcome.NOTHING_TO_BILL))
    if dry_run:
        note = "forecast" if closed else f"forecast: counted on {due.isoformat()}"
        return Success(OrgOutcome(org, Outcome.FORECAST, invoice, note))
    store.add_invoice(invoice)
    assert invoice.issued_at is not None
    store.enqueue(notifications.invoice_messages(invoice, invoice.issued_at), invoice.issued_at)
    return Success(OrgOutcome(org, Outcome.ISSUED, invoice))


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
    for first in range(0, len(targets), BATCH_ORGS):
        batch = targets[first : first + BATCH_ORGS]
        billed: list[OrgOutcome] = []
        refusal: LedgerError | None = None
        with services.uow.transaction(write=not dry_run) as store:
            if isinstance(store, BillingPrefetch):
                store.prefetch_billing([o.id for o in batch], period)
            for organisation in batch:
                result = bill_organisation(
                    services, store, catalog, organisation, period,
                    dry_run=dry_run, explicit=org is not None,
                )  # fmt: skip
                if isinstance(result, Failure):
                    refusal = result.failure()
                    break
                outcome = result.unwrap()
                if outcome.outcome is Outcome.ISSUED:
                    issued = outcome.invoice
                    assert issued is not None
                    assert issued.issued_at is not None
                    record(
                        store, issued.issued_at, actor, allowed.unwrap(), Action.INVOICE_ISSUE,
                        org=issued.org, subject=issued.id,
                        text=f"{issued.period} total {issued.total} {issued.currency}",
                    )  # fmt: skip
                billed.append(outcome)
            # The invoices issued before a refusal are kept, as they were one by one.
            if any(o.outcome is Outcome.ISSUED for o in billed):
                services.uow.commit()
        for outcome in billed:
            outcomes.append(outcome)
            progress(len(outcomes), len(targets), outcome.org)
        if refusal is not None:
            return Failure(refusal)
    return Success(RunReport(period, dry_run, tuple(outcomes)))


def get_invoice(services: Services, invoice: str) -> Result[Invoice, LedgerError]:
    with services.uow.transaction(write=False) as store:
        found = store.get_invoice(invoice)
        if found is None:
            return Failure(UnknownInvoice(invoice))
        return Success(found)


def list_invoices(
    services: Services, org: str | None = None, period: Period | None = None
) -> Result[Sequence[Invoice], LedgerError]:
    with services.uow.transaction(write=False) as store:
        org_id = None
        if org is not None:
            found = require_organisation(store, org)
            if isinstance(found, Failure):
                return Failure(found.failure())
            org_id = found.unwrap().id
        return Success(list(store.invoices(org_id, period)))


@frozen
class Verification:
    """The outcome of ``invoice verify``: every check, and what differed, if anything."""

    invoice: str
    hash_matches: bool
    seats_match: bool
    lines_match: bool
    adjustments_match: bool
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_invoice(services: Services, invoice: str) -> Result[Verification, LedgerError]:
    """Recompute an issued invoice from history as known at its cut, and check its hash."""
    with services.uow.transaction(write=False) as store:
        found = store.get_invoice(invoice)
        if found is None:
            return Failure(UnknownInvoice(invoice))
        return Success(verify(store, found))


def verify(store: Store, invoice: Invoice) -> Verification:
    problems: list[str] = []
    cut = invoice.evidence.as_known_at
    hash_ok = evidence_hash(invoice) == invoice.evidence_hash
    if not hash_ok:
        problems.append("the content hash does not match: the stored invoice was altered")
    lines, rows, usage = recompute_charges(store, invoice, cut)
    seats_ok = (
        tuple(rows) == invoice.evidence.seats
        and tuple(sorted(usage, key=lambda u: u.seq)) == invoice.evidence.usage
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
    return Verification(invoice.id, hash_ok, seats_ok, lines_ok, adjustments_ok, tuple(problems))


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
