"""What issuing makes of an invoice a legal document: a number, dates, parties, a VAT category.

Legal numbers come from a gapless, strictly increasing series per seller
series and year (``2025-000123``, or ``SL-2025-000123`` with the series
``SL``); credit notes have their own series (``CN-2025-000004``). The next
number is the last one stored plus one, read and written in the issuing
transaction under the store's write lock, so a killed run leaves no gap (its
numbers roll back with its invoices) and two racing workers never take the
same one (decision 0025). The stable ids (``INV-2025-09-xtra``) stay the
references everything else uses.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

from attrs import frozen

from seatledger.domain.parties import (
    DEFAULT_PAYMENT_DAYS,
    EU,
    BuyerDetails,
    Seller,
    vat_id_country,
)
from seatledger.domain.policies import VatTreatment

CREDIT_NOTE_SERIES = "CN"


class VatCategory(enum.Enum):
    """The UNCL 5305 VAT categories seatledger issues (EN 16931 BT-118)."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"


# The legal mention a category needs on the document (BT-120 text, BT-121 code).
EXEMPTIONS: dict[VatCategory, tuple[str, str]] = {
    VatCategory.REVERSE_CHARGE: (
        "VATEX-EU-AE",
        "Reverse charge: VAT to be accounted for by the customer "
        "(Article 196 of Council Directive 2006/112/EC)",
    ),
    VatCategory.EXEMPT: (
        "VATEX-EU-132",
        "Exempt from VAT (Article 132 of Council Directive 2006/112/EC)",
    ),
}


def vat_category(
    seller: Seller | None, buyer: BuyerDetails, treatment: VatTreatment
) -> VatCategory:
    """The category of a document's own lines.

    The contract's treatment first (zero-rated, exempt); a standard-rated
    sale is reverse charged when seller and buyer are established in two
    different EU member states and the buyer has a VAT id (intra-EU B2B).
    """
    if treatment is VatTreatment.ZERO:
        return VatCategory.ZERO
    if treatment is VatTreatment.EXEMPT:
        return VatCategory.EXEMPT
    if seller is None or buyer.party.vat_id is None:
        return VatCategory.STANDARD
    ours = seller.party.country or vat_id_country(seller.party.vat_id)
    theirs = buyer.party.country or vat_id_country(buyer.party.vat_id)
    if ours in EU and theirs in EU and ours != theirs:
        return VatCategory.REVERSE_CHARGE
    return VatCategory.STANDARD


@frozen(order=True)
class DocumentNumber:
    """One legal number: the ``seq``-th of ``series`` in ``year``."""

    series: str
    year: int
    seq: int

    @property
    def text(self) -> str:
        core = f"{self.year}-{self.seq:06d}"
        return f"{self.series}-{core}" if self.series else core


def series_for(seller: Seller | None, credit_note: bool) -> str:
    """The series a document is numbered in: the seller's, or its credit-note series."""
    base = seller.invoice_series if seller is not None else ""
    if not credit_note:
        return base
    return f"{base}-{CREDIT_NOTE_SERIES}" if base else CREDIT_NOTE_SERIES


@frozen
class DocumentIssue:
    """What an issued document froze: its number and dates, the parties as they were, and the
    payment method of the contract it was billed under."""

    number: DocumentNumber
    issue_date: date
    due_date: date
    seller: Seller | None
    buyer_name: str
    buyer: BuyerDetails
    payment_method: str | None = None


def due_date(issue_date: date, seller: Seller | None) -> date:
    """The issue date plus the seller's payment terms (30 days when no seller is set)."""
    days = seller.payment_days if seller is not None else DEFAULT_PAYMENT_DAYS
    return issue_date + timedelta(days=days)
