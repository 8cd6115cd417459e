"""An issued invoice as the legal document a buyer books: what the PDF and the UBL both say.

One pure view (``LegalDocument``) of a stored invoice, built once and
rendered by each exporter, so the two formats cannot disagree: the number
and dates, the parties, the lines with their VAT category and rate, the VAT
breakdown per category and rate, the totals, the invoices corrected, the
payment instructions and the proof (the seats counted and the active seats
per day). A credit note states its amounts as positive credits (its stored
total is negative).

An invoice issued before documents were numbered has no frozen number or
parties: its view uses its stable id as the number, the day it was issued
(in its organisation's zone) as the issue date, and the parties and terms as
they are set now (``frozen`` is False, and both renderings say so).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from attrs import frozen
from returns.result import Failure

from seatledger.domain.dates import business_date, zone
from seatledger.domain.invoice import CREDIT_NOTE, Invoice, LineKind
from seatledger.domain.money import ROUNDING_POLICIES, ZERO
from seatledger.domain.numbering import EXEMPTIONS, VatCategory, due_date
from seatledger.domain.organisation import Organisation
from seatledger.domain.parties import BuyerDetails, Seller

_LINE_NAMES = {
    LineKind.SEAT: "Seat licences",
    LineKind.ADDON: "Add-on",
    LineKind.USAGE: "Usage",
    LineKind.OVERAGE: "Seats above the licence",
    LineKind.DISCOUNT: "Discount",
    LineKind.ADJUSTMENT: "Correction",
}


@frozen
class DocumentLine:
    """One line as a document states it: a non-negative price, the sign on the quantity."""

    position: int
    kind: LineKind
    name: str
    description: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    category: VatCategory
    rate: Decimal
    refers_to: str | None


@frozen
class VatGroup:
    """The VAT breakdown of one category and rate (EN 16931 BG-23)."""

    category: VatCategory
    rate: Decimal
    base: Decimal
    vat: Decimal
    exemption_code: str | None
    exemption_reason: str | None


@frozen
class Reference:
    """An invoice a document corrects: its stable id, its legal number and its issue date."""

    invoice: str
    number: str
    issue_date: date | None


@frozen
class LegalDocument:
    invoice: Invoice
    credit_note: bool
    number: str
    numbered: bool
    frozen: bool
    issue_date: date
    due_date: date
    seller: Seller | None
    buyer_name: str
    buyer: BuyerDetails
    currency: str
    lines: tuple[DocumentLine, ...]
    groups: tuple[VatGroup, ...]
    line_total: Decimal
    vat: Decimal
    total: Decimal
    corrects: tuple[Reference, ...]
    payment_method: str | None
    payment_reference: str
    mentions: tuple[str, ...]
    daily: tuple[tuple[date, int], ...]
    licensed: int | None

    @property
    def kind_name(self) -> str:
        return "Credit note" if self.credit_note else "Invoice"


def category_of(invoice: Invoice) -> VatCategory:
    """The VAT category of an invoice's own lines (standard before categories existed)."""
    text = invoice.evidence.prices.vat_category
    return VatCategory(text) if text is not None else VatCategory.STANDARD


def issue_date_of(invoice: Invoice, organisation: Organisation | None) -> date | None:
    """The frozen issue date, or for an earlier invoice the day it was issued in its zone."""
    if invoice.issue is not None:
        return invoice.issue.issue_date
    if invoice.issued_at is None:
        return None
    if organisation is None:
        return invoice.issued_at.date()
    found = zone(organisation.zone_on(invoice.issued_at.date()))
    if isinstance(found, Failure):
        return invoice.issued_at.date()
    return business_date(invoice.issued_at, found.unwrap())


def number_of(invoice: Invoice) -> str:
    """The legal number, or the stable id for an invoice issued before numbering."""
    return invoice.issue.number.text if invoice.issue is not None else invoice.id


def payment_reference(invoice: Invoice, seller: Seller | None) -> str:
    """A structured reference the payer quotes: a Belgian structured communication
    (``+++123/4567/89012+++``) for a Belgian seller, else an ISO 11649 creditor reference."""
    if invoice.issue is None:
        return invoice.id
    number = invoice.issue.number
    if seller is not None and seller.party.country == "BE":
        base = int(
            f"{number.year % 100:02d}{1 if invoice.kind == CREDIT_NOTE else 0}{number.seq:07d}"
        )
        check = base % 97 or 97
        digits = f"{base:010d}{check:02d}"
        return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
    reference = "".join(c for c in number.text if c.isalnum()).upper()
    numeric = "".join(str(int(c, 36)) for c in reference + "RF00")
    return f"RF{98 - int(numeric) % 97:02d}{reference}"


def legal_document(
    invoice: Invoice,
    organisation: Organisation | None,
    current_seller: Seller | None,
    originals: Mapping[str, Invoice],
    daily: Sequence[tuple[date, int]] = (),
) -> LegalDocument:
    """The legal view of an issued ``invoice``; ``originals`` are the invoices it corrects."""
    issue = invoice.issue
    # A document issued before the seller (or its buyer's details) were set names them as
    # they are now, and says so (``frozen`` False).
    seller = issue.seller if issue is not None and issue.seller is not None else current_seller
    frozen_parties = issue is not None and issue.seller is not None
    if issue is not None and issue.buyer != BuyerDetails():
        buyer_name, buyer = issue.buyer_name, issue.buyer
    elif organisation is not None:
        frozen_parties = False
        buyer_name, buyer = organisation.name, organisation.details
    else:
        buyer_name, buyer = invoice.org, BuyerDetails()
    issued_on = issue_date_of(invoice, organisation) or invoice.period.first_day
    credit_note = invoice.kind == CREDIT_NOTE
    sign = Decimal(-1) if credit_note else Decimal(1)
    own = category_of(invoice)
    sheet = invoice.evidence.prices
    policy = ROUNDING_POLICIES[invoice.rounding]
    lines: list[DocumentLine] = []
    bases: dict[tuple[VatCategory, Decimal], Decimal] = {}
    for position, line in enumerate(invoice.lines, start=1):
        if line.vat_percent is None:
            category, rate = own, sheet.vat_percent
        else:
            original = originals.get(line.refers_to or "")
            category = category_of(original) if original is not None else own
            rate = line.vat_percent
        amount = sign * line.amount
        quantity = Decimal(line.quantity)
        price = sign * line.unit_price
        if price < ZERO:
            quantity, price = -quantity, -price
        if quantity * price != amount:
            # A price that does not multiply back (a rounded share): one unit at the amount.
            quantity, price = (Decimal(1), amount) if amount >= ZERO else (Decimal(-1), -amount)
        lines.append(
            DocumentLine(
                position, line.kind, _LINE_NAMES[line.kind], line.description, quantity,
                price, amount, category, rate, line.refers_to,
            )
        )  # fmt: skip
        bases[(category, rate)] = bases.get((category, rate), ZERO) + amount
    if not bases:
        bases[(own, sheet.vat_percent)] = ZERO
    groups = []
    for (category, rate), base in bases.items():
        rounded = policy.round(base, invoice.currency)
        code, reason = EXEMPTIONS.get(category, (None, None))
        groups.append(
            VatGroup(
                category, rate, rounded, policy.vat(rounded, rate, invoice.currency), code, reason
            )
        )
    corrected = sorted({line.refers_to for line in invoice.lines if line.refers_to is not None})
    references = []
    for ref in corrected:
        original = originals.get(ref)
        references.append(
            Reference(
                ref,
                number_of(original) if original is not None else ref,
                issue_date_of(original, organisation) if original is not None else None,
            )
        )
    mentions = tuple(reason for g in groups if (reason := g.exemption_reason) is not None)
    return LegalDocument(
        invoice=invoice,
        credit_note=credit_note,
        number=number_of(invoice),
        numbered=issue is not None,
        frozen=frozen_parties,
        issue_date=issued_on,
        due_date=issue.due_date if issue is not None else due_date(issued_on, current_seller),
        seller=seller,
        buyer_name=buyer_name,
        buyer=buyer,
        currency=invoice.currency,
        lines=tuple(lines),
        groups=tuple(groups),
        line_total=sign * invoice.subtotal,
        vat=sign * invoice.vat,
        total=sign * invoice.total,
        corrects=tuple(references),
        payment_method=issue.payment_method if issue is not None else None,
        payment_reference=payment_reference(invoice, seller),
        mentions=tuple(dict.fromkeys(mentions)),
        daily=tuple(daily),
        licensed=sheet.licensed,
    )


@frozen
class ExportedFacts:
    """What an exported document states, read back from it (``invoice verify --document``)."""

    credit_note: bool
    number: str
    issue_date: date | None
    currency: str
    line_total: Decimal
    vat: Decimal
    total: Decimal
    references: tuple[str, ...]
    evidence_hash: str | None
    evidence_csv: str | None


def compare(expected: LegalDocument, found: ExportedFacts, evidence_csv: str) -> list[str]:
    """Every way an exported document differs from the stored invoice (empty: it matches)."""
    problems = []
    pairs: list[tuple[str, object, object]] = [
        ("document type", "credit note" if expected.credit_note else "invoice",
         "credit note" if found.credit_note else "invoice"),
        ("number", expected.number, found.number),
        ("issue date", expected.issue_date, found.issue_date),
        ("currency", expected.currency, found.currency),
        ("line total", expected.line_total, found.line_total),
        ("VAT", expected.vat, found.vat),
        ("total", expected.total, found.total),
        ("corrected invoices", tuple(r.number for r in expected.corrects), found.references),
        ("evidence hash", expected.invoice.evidence_hash, found.evidence_hash),
    ]  # fmt: skip
    for what, want, got in pairs:
        if want != got:
            problems.append(f"the document's {what} is {got}, the stored invoice's {want}")
    if found.evidence_csv != evidence_csv:
        problems.append("the evidence embedded in the document differs from the stored evidence")
    return problems
