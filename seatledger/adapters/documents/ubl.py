"""UBL 2.1 documents that conform to Peppol BIS Billing 3.0, built with lxml (decision 0027).

``ubl_document`` writes an ``Invoice`` (type 380) or, for a credit note, a
``CreditNote`` (381) from a ``LegalDocument``: the BIS 3.0 customization and
profile ids, both parties with their electronic (Peppol) addresses, postal
addresses and VAT ids, a ``BillingReference`` to each corrected invoice, the
evidence CSV embedded as an ``AdditionalDocumentReference`` (base64), the
payment means (credit transfer to the seller's IBAN, or SEPA direct debit
with the buyer's mandate), the VAT breakdown per category and rate with the
exemption reason where one is required, the totals and the lines. Elements
are written in the order the UBL 2.1 schema requires. ``read_ubl`` reads
back what ``invoice verify --document`` compares.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from lxml import etree
from returns.result import Failure, Result, Success

from seatledger.domain.errors import DocumentIncomplete, UnreadableDocument
from seatledger.domain.legal_document import DocumentLine, ExportedFacts, LegalDocument
from seatledger.domain.money import minor_unit
from seatledger.domain.numbering import VatCategory
from seatledger.domain.parties import PartyDetails

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
EVIDENCE_PREFIX = "Evidence of "
HASH_WORDS = "SHA-256 content hash "

# UNCL 4461 payment means.
CREDIT_TRANSFER = ("30", "Credit transfer")
SEPA_CREDIT_TRANSFER = ("58", "SEPA credit transfer")
SEPA_DIRECT_DEBIT = ("59", "SEPA direct debit")
NOT_DEFINED = ("1", "Instrument not defined")


def missing_for_ubl(view: LegalDocument) -> list[str]:
    """What a Peppol document needs that the parties do not have (empty: it can be written)."""
    missing = []
    seller = view.seller
    if seller is None:
        return ["the seller is not set (seatledger seller set …)"]
    for field, words in (
        ("legal_name", "legal name"),
        ("country", "country"),
        ("vat_id", "VAT id"),
        ("peppol_id", "Peppol id"),
    ):
        if getattr(seller.party, field) is None:
            missing.append(f"the seller has no {words} (seatledger seller set --{_option(field)})")
    buyer = view.buyer.party
    org = view.invoice.org
    for field, words in (("country", "country"), ("peppol_id", "Peppol id")):
        if getattr(buyer, field) is None:
            missing.append(f"{org} has no {words} (seatledger org set {org} --{_option(field)})")
    if view.payment_method == "sepa" and view.buyer.sepa_mandate is None and not view.credit_note:
        missing.append(
            f"{org} pays by SEPA direct debit but has no mandate reference "
            f"(seatledger org set {org} --sepa-mandate REF)"
        )
    if any(g.category is VatCategory.REVERSE_CHARGE for g in view.groups) and buyer.vat_id is None:
        missing.append(f"{org} has no VAT id, which a reverse-charged document must name")
    return missing


def _option(field: str) -> str:
    return "name" if field == "legal_name" else field.replace("_", "-")


def ubl_document(view: LegalDocument, evidence_csv: str) -> Result[bytes, DocumentIncomplete]:
    """The document as UBL 2.1 XML (UTF-8), or what it lacks."""
    missing = missing_for_ubl(view)
    if missing:
        return Failure(DocumentIncomplete(view.invoice.id, "ubl", tuple(missing)))
    return Success(_write(view, evidence_csv))


def _write(view: LegalDocument, evidence_csv: str) -> bytes:
    seller = view.seller
    assert seller is not None
    credit = view.credit_note
    root_ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    namespaces: dict[str | None, str] = {None: root_ns, "cac": CAC, "cbc": CBC}
    # The stubs do not know that None names the default namespace.
    root = etree.Element(
        f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}",
        nsmap=namespaces,  # type: ignore[arg-type]
    )
    currency = view.currency

    def cbc(parent: etree._Element, tag: str, text: object, **attributes: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attributes)
        element.text = str(text)
        return element

    def cac(parent: etree._Element, tag: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{CAC}}}{tag}")

    def money(parent: etree._Element, tag: str, amount: Decimal) -> None:
        cbc(parent, tag, _amount(amount, currency), currencyID=currency)

    invoice = view.invoice
    cbc(root, "CustomizationID", CUSTOMIZATION)
    cbc(root, "ProfileID", PROFILE)
    cbc(root, "ID", view.number)
    cbc(root, "IssueDate", view.issue_date.isoformat())
    if not credit:
        cbc(root, "DueDate", view.due_date.isoformat())
    cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", "381" if credit else "380")
    # Peppol allows one note (PEPPOL-EN16931-R002).
    note = f"Reference {invoice.id}, period {invoice.period}."
    if not view.frozen:
        note += " Issued before documents froze their parties: the parties as set now."
    cbc(root, "Note", note)
    cbc(root, "DocumentCurrencyCode", currency)
    cbc(root, "BuyerReference", view.buyer.buyer_reference or invoice.org)
    service = _service_period(view)
    if service is not None:
        period = cac(root, "InvoicePeriod")
        cbc(period, "StartDate", service[0].isoformat())
        cbc(period, "EndDate", service[1].isoformat())
    for reference in view.corrects:
        billing = cac(cac(root, "BillingReference"), "InvoiceDocumentReference")
        cbc(billing, "ID", reference.number)
        if reference.issue_date is not None:
            cbc(billing, "IssueDate", reference.issue_date.isoformat())
    evidence = cac(root, "AdditionalDocumentReference")
    cbc(evidence, "ID", f"evidence-{invoice.id}")
    cbc(
        evidence,
        "DocumentDescription",
        f"{EVIDENCE_PREFIX}{invoice.id}: the seats counted; {HASH_WORDS}{invoice.evidence_hash}",
    )
    attachment = cac(evidence, "Attachment")
    cbc(
        attachment,
        "EmbeddedDocumentBinaryObject",
        base64.b64encode(evidence_csv.encode("utf-8")).decode("ascii"),
        mimeCode="text/csv",
        filename=f"{invoice.id}-evidence.csv",
    )
    _party(cac(root, "AccountingSupplierParty"), seller.party, seller.name, cbc, cac)
    _party(
        cac(root, "AccountingCustomerParty"),
        view.buyer.party,
        view.buyer.party.legal_name or view.buyer_name,
        cbc,
        cac,
    )
    if not credit:
        _payment_means(root, view, cbc, cac)
    terms = cac(root, "PaymentTerms")
    if credit:
        cbc(terms, "Note", "This credit is owed to the buyer: it is refunded or set off.")
    else:
        cbc(terms, "Note", f"Payment due by {view.due_date.isoformat()}.")
    tax_total = cac(root, "TaxTotal")
    money(tax_total, "TaxAmount", view.vat)
    for group in view.groups:
        subtotal = cac(tax_total, "TaxSubtotal")
        money(subtotal, "TaxableAmount", group.base)
        money(subtotal, "TaxAmount", group.vat)
        category = cac(subtotal, "TaxCategory")
        cbc(category, "ID", group.category.value)
        cbc(category, "Percent", _number(group.rate))
        if group.exemption_code is not None:
            cbc(category, "TaxExemptionReasonCode", group.exemption_code)
            cbc(category, "TaxExemptionReason", group.exemption_reason)
        cbc(cac(category, "TaxScheme"), "ID", "VAT")
    totals = cac(root, "LegalMonetaryTotal")
    money(totals, "LineExtensionAmount", view.line_total)
    money(totals, "TaxExclusiveAmount", view.line_total)
    money(totals, "TaxInclusiveAmount", view.total)
    money(totals, "PayableAmount", view.total)
    for line in view.lines:
        _line(root, line, credit, currency, cbc, cac)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


Maker = Callable[..., etree._Element]


def _party(parent: etree._Element, party: PartyDetails, name: str, cbc: Maker, cac: Maker) -> None:
    element = cac(parent, "Party")
    assert party.peppol_id is not None
    scheme, _, identifier = party.peppol_id.partition(":")
    cbc(element, "EndpointID", identifier, schemeID=scheme)
    cbc(cac(element, "PartyName"), "Name", name)
    address = cac(element, "PostalAddress")
    if party.address:
        cbc(address, "StreetName", party.address)
    if party.city:
        cbc(address, "CityName", party.city)
    if party.postcode:
        cbc(address, "PostalZone", party.postcode)
    cbc(cac(address, "Country"), "IdentificationCode", party.country)
    if party.vat_id:
        tax = cac(element, "PartyTaxScheme")
        cbc(tax, "CompanyID", party.vat_id)
        cbc(cac(tax, "TaxScheme"), "ID", "VAT")
    cbc(cac(element, "PartyLegalEntity"), "RegistrationName", name)


def _payment_means(root: etree._Element, view: LegalDocument, cbc: Maker, cac: Maker) -> None:
    seller = view.seller
    assert seller is not None
    means = cac(root, "PaymentMeans")
    if view.payment_method == "sepa":
        code, words = SEPA_DIRECT_DEBIT
    elif seller.iban is not None:
        code, words = SEPA_CREDIT_TRANSFER if view.currency == "EUR" else CREDIT_TRANSFER
    else:
        code, words = NOT_DEFINED
    cbc(means, "PaymentMeansCode", code, name=words)
    cbc(means, "PaymentID", view.payment_reference)
    if code in (SEPA_CREDIT_TRANSFER[0], CREDIT_TRANSFER[0]) and seller.iban is not None:
        account = cac(means, "PayeeFinancialAccount")
        cbc(account, "ID", seller.iban)
        cbc(account, "Name", seller.name)
    if code == SEPA_DIRECT_DEBIT[0] and view.buyer.sepa_mandate is not None:
        cbc(cac(means, "PaymentMandate"), "ID", view.buyer.sepa_mandate)


def _line(
    root: etree._Element, line: DocumentLine, credit: bool, currency: str, cbc: Maker, cac: Maker
) -> None:
    element = cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    cbc(element, "ID", line.position)
    cbc(element, "CreditedQuantity" if credit else "InvoicedQuantity", _number(line.quantity),
        unitCode="C62")  # fmt: skip
    cbc(element, "LineExtensionAmount", _amount(line.amount, currency), currencyID=currency)
    item = cac(element, "Item")
    cbc(item, "Description", line.description)
    cbc(item, "Name", line.name)
    category = cac(item, "ClassifiedTaxCategory")
    cbc(category, "ID", line.category.value)
    cbc(category, "Percent", _number(line.rate))
    cbc(cac(category, "TaxScheme"), "ID", "VAT")
    cbc(cac(element, "Price"), "PriceAmount", _number(line.price), currencyID=currency)


def _service_period(view: LegalDocument) -> tuple[date, date] | None:
    if not view.daily:
        return None
    return view.daily[0][0], view.daily[-1][0]


def _amount(amount: Decimal, currency: str) -> str:
    return format(amount.quantize(minor_unit(currency)), "f")


def _number(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def read_ubl(data: bytes) -> Result[ExportedFacts, UnreadableDocument]:
    """The facts ``invoice verify --document`` compares, read from a UBL Invoice or CreditNote."""
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        return Failure(UnreadableDocument(f"not well-formed XML ({error})"))
    if root.tag not in (f"{{{INVOICE_NS}}}Invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote"):
        return Failure(UnreadableDocument(f"the root element is {root.tag}"))
    ns = {"cbc": CBC, "cac": CAC}

    def text(path: str) -> str | None:
        found = root.find(path, ns)
        return found.text if found is not None else None

    try:
        number = text("cbc:ID")
        currency = text("cbc:DocumentCurrencyCode")
        if number is None or currency is None:
            return Failure(UnreadableDocument("it has no ID or no DocumentCurrencyCode"))
        issued = text("cbc:IssueDate")
        description = text("cac:AdditionalDocumentReference/cbc:DocumentDescription") or ""
        embedded = text(
            "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"
        )
        return Success(
            ExportedFacts(
                credit_note=root.tag.endswith("CreditNote"),
                number=number,
                issue_date=date.fromisoformat(issued) if issued else None,
                currency=currency,
                line_total=Decimal(text("cac:LegalMonetaryTotal/cbc:LineExtensionAmount") or "0"),
                vat=Decimal(text("cac:TaxTotal/cbc:TaxAmount") or "0"),
                total=Decimal(text("cac:LegalMonetaryTotal/cbc:PayableAmount") or "0"),
                references=tuple(
                    e.text or ""
                    for e in root.findall(
                        "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", ns
                    )
                ),
                evidence_hash=description.partition(HASH_WORDS)[2] or None,
                evidence_csv=base64.b64decode(embedded).decode("utf-8") if embedded else None,
            )
        )
    except (ValueError, ArithmeticError) as error:
        return Failure(UnreadableDocument(f"a value cannot be read ({error})"))
