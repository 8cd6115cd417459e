"""The legal document of an issued invoice, for its exports and for checking an export.

``document_view`` reads what the view needs in one read transaction: the
invoice, its organisation, the invoices it corrects, the seller (for an
invoice issued before parties were frozen) and the active seats on every day
of its service period as known at its cut (the proof annex's chart).
"""

from __future__ import annotations

from datetime import date, timedelta

from returns.result import Failure, Result, Success

from seatledger.domain.coverage import add_months
from seatledger.domain.errors import LedgerError, UnknownInvoice
from seatledger.domain.invoice import Invoice
from seatledger.domain.legal_document import LegalDocument, legal_document
from seatledger.domain.ports import Store
from seatledger.domain.services.context import Services

# The chart covers at most a year and a day of daily counts.
MAX_DAYS = 367


def document_view(services: Services, invoice: str) -> Result[LegalDocument, LedgerError]:
    """The legal view of the issued invoice or credit note ``invoice``."""
    with services.uow.transaction(write=False) as store:
        found = store.get_invoice(invoice)
        if found is None:
            return Failure(UnknownInvoice(invoice))
        return Success(view_of(store, found))


def view_of(store: Store, invoice: Invoice) -> LegalDocument:
    originals: dict[str, Invoice] = {}
    for line in invoice.lines:
        if line.refers_to is not None and line.refers_to not in originals:
            original = store.get_invoice(line.refers_to)
            if original is not None:
                originals[line.refers_to] = original
    return legal_document(
        invoice,
        store.get_organisation(invoice.org),
        store.seller(),
        originals,
        daily_counts(store, invoice),
    )


def service_days(invoice: Invoice) -> tuple[date, date] | None:
    """The first and last day of the service an invoice's count covers (or of its month)."""
    evidence = invoice.evidence
    service = evidence.basis.service if evidence.basis is not None else None
    if service is not None:
        first = service.first.first_day
        end = add_months(service.first, service.months).first_day
    elif evidence.reference_date is not None:
        first = invoice.period.first_day
        end = invoice.period.next().first_day
    else:
        return None
    return first, min(end - timedelta(days=1), first + timedelta(days=MAX_DAYS - 1))


def daily_counts(store: Store, invoice: Invoice) -> list[tuple[date, int]]:
    """The organisation's billable seats on each day of the service, as known at the cut."""
    days = service_days(invoice)
    if days is None:
        return []
    first, last = days
    cut = invoice.evidence.as_known_at
    counts = []
    day = first
    while day <= last:
        counts.append((day, store.count_billable(invoice.org, day, cut)))
        day += timedelta(days=1)
    return counts
