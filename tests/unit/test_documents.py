"""Parties, legal numbers, VAT categories and the legal view of an invoice (no I/O)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest
from returns.result import Failure, Success
from stdnum import iso11649

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.documents.ubl import read_ubl, ubl_document
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.domain.dates import Period
from seatledger.domain.invoice import evidence_hash
from seatledger.domain.legal_document import legal_document, payment_reference
from seatledger.domain.numbering import DocumentNumber, VatCategory, series_for, vat_category
from seatledger.domain.parties import (
    BuyerDetails,
    PartyDetails,
    Seller,
    valid_iban,
    valid_peppol_id,
    valid_vat_id,
)
from seatledger.domain.policies import VatTreatment

BELGIAN = Seller(
    PartyDetails(
        "Leerlijn BV", "BE0123456749", "Korenmarkt 12", "Gent", "9000", "BE", "0208:0123456749"
    ),
    invoice_series="SL",
)


def buyer(vat_id: str | None, country: str | None) -> BuyerDetails:
    return BuyerDetails(PartyDetails("Client", vat_id, country=country))


def test_vat_ids_are_checked_by_their_countrys_rule():
    assert valid_vat_id("be 0123.456.749") == Success("BE0123456749")
    assert valid_vat_id("NL000099998B57") == Success("NL000099998B57")
    refused = valid_vat_id("BE0123456748")
    assert isinstance(refused, Failure)
    assert "BE: BTW, TVA, NWSt, ondernemingsnummer" in refused.failure().message
    assert "check digit" in refused.failure().message
    assert "country prefix" in valid_vat_id("0123456749").failure().message  # type: ignore[union-attr]
    assert "no VAT number rule" in valid_vat_id("QQ123456").failure().message  # type: ignore[union-attr]


def test_peppol_ids_need_an_eas_scheme_and_valid_check_digits():
    assert valid_peppol_id("0208:0123456749") == Success("0208:0123456749")
    assert "EAS code list" in valid_peppol_id("1234:5678").failure().message  # type: ignore[union-attr]
    assert "SCHEME:ID" in valid_peppol_id("0208").failure().message  # type: ignore[union-attr]
    assert "0208" in valid_peppol_id("0208:0123456748").failure().message  # type: ignore[union-attr]


def test_an_iban_with_a_wrong_check_is_refused():
    assert valid_iban("BE32 1234 5678 9002") == Success("BE32123456789002")
    assert isinstance(valid_iban("BE33123456789002"), Failure)


@pytest.mark.parametrize(
    ("seller", "client", "treatment", "expected"),
    [
        (BELGIAN, buyer("NL000099998B57", "NL"), VatTreatment.STANDARD, VatCategory.REVERSE_CHARGE),
        (BELGIAN, buyer("BE0412345614", "BE"), VatTreatment.STANDARD, VatCategory.STANDARD),
        (BELGIAN, buyer(None, "NL"), VatTreatment.STANDARD, VatCategory.STANDARD),
        (BELGIAN, buyer(None, "US"), VatTreatment.STANDARD, VatCategory.STANDARD),
        (None, buyer("NL000099998B57", "NL"), VatTreatment.STANDARD, VatCategory.STANDARD),
        (BELGIAN, buyer("NL000099998B57", "NL"), VatTreatment.ZERO, VatCategory.ZERO),
        (BELGIAN, buyer("NL000099998B57", "NL"), VatTreatment.EXEMPT, VatCategory.EXEMPT),
    ],
)
def test_the_vat_category_of_a_sale(seller, client, treatment, expected):
    assert vat_category(seller, client, treatment) is expected


def test_numbers_and_series():
    assert DocumentNumber("", 2025, 123).text == "2025-000123"
    assert DocumentNumber("SL", 2025, 1).text == "SL-2025-000001"
    assert series_for(BELGIAN, credit_note=False) == "SL"
    assert series_for(BELGIAN, credit_note=True) == "SL-CN"
    assert series_for(None, credit_note=True) == "CN"


def billed_ledger(seller: Seller | None = BELGIAN):
    """One organisation billed for September 2025 on the in-memory ledger."""
    from seatledger.domain.catalog import Cadence
    from seatledger.domain.services import billing, contracts, organisations, parties, seats
    from seatledger.domain.services.context import Services
    from seatledger.domain.services.contracts import ContractTerms
    from seatledger.entrypoints.bootstrap import Settings, catalog_for

    uow = InMemoryUnitOfWork()
    catalog = catalog_for(Settings()).unwrap()
    early = Services(uow=uow, clock=SimulatedDay(date(2025, 9, 1)))
    if seller is not None:
        party = parties.PartyChanges(**attrs.asdict(seller.party))
        parties.set_seller(early, party, invoice_series=seller.invoice_series).unwrap()
    organisations.add_organisation(early, "noord", "Noord", "Europe/Brussels").unwrap()
    organisations.set_organisation(
        early, "noord", party=parties.PartyChanges(vat_id="NL000099998B57", country="NL",
                                                   peppol_id="9944:NL000099998B57"),
    ).unwrap()  # fmt: skip
    terms = ContractTerms(plan="standard", cadence=Cadence.MONTHLY)
    contracts.set_contract(early, catalog, "noord", terms, actor="t").unwrap()
    seats.activate(early, "n-1", "noord", actor="t", holder="Zoë").unwrap()
    later = Services(uow=uow, clock=SimulatedDay(date(2025, 10, 1)))
    billing.bill_run(later, catalog, Period(2025, 9)).unwrap()
    return uow, later


def test_a_reverse_charged_invoice_is_at_zero_and_numbered_in_the_sellers_series():
    uow, _ = billed_ledger()
    invoice = uow.ledger.issued["INV-2025-09-noord"]
    assert invoice.issue is not None
    assert invoice.issue.number.text == "SL-2025-000001"
    assert invoice.issue.issue_date == date(2025, 10, 1)
    assert invoice.issue.due_date == date(2025, 10, 31)
    assert invoice.evidence.prices.vat_category == "AE"
    assert (invoice.vat, invoice.total) == (Decimal("0.00"), Decimal("39.00"))
    view = legal_document(invoice, None, None, {})
    assert [g.category for g in view.groups] == [VatCategory.REVERSE_CHARGE]
    assert "Article 196" in view.mentions[0]


def test_an_invoice_issued_before_numbering_shows_and_exports_under_its_id():
    """What an earlier invoice gets: its id as the number, the day it was issued, the parties
    as set now (not frozen); the UBL still reads back to its figures."""
    uow, _ = billed_ledger()
    stored = uow.ledger.issued["INV-2025-09-noord"]
    earlier = attrs.evolve(stored, issue=None)
    earlier = attrs.evolve(earlier, evidence_hash=evidence_hash(earlier))
    organisation = uow.ledger.organisations["noord"]
    view = legal_document(earlier, organisation, uow.ledger.seller_details, {})
    assert (view.number, view.numbered, view.frozen) == ("INV-2025-09-noord", False, False)
    assert view.issue_date == date(2025, 10, 1)
    assert view.due_date == date(2025, 10, 31)
    assert view.payment_reference == "INV-2025-09-noord"
    data = ubl_document(view, "seat\n").unwrap()
    facts = read_ubl(data).unwrap()
    assert (facts.number, facts.total, facts.evidence_hash) == (
        "INV-2025-09-noord", Decimal("39.00"), earlier.evidence_hash,
    )  # fmt: skip


def test_structured_references_carry_their_check_digits():
    uow, _ = billed_ledger()
    invoice = uow.ledger.issued["INV-2025-09-noord"]
    ogm = payment_reference(invoice, BELGIAN)
    digits = ogm.strip("+").replace("/", "")
    assert int(digits[:10]) % 97 == int(digits[10:])
    dutch = attrs.evolve(BELGIAN, party=attrs.evolve(BELGIAN.party, country="NL"))
    assert iso11649.is_valid(payment_reference(invoice, dutch))


def test_a_credit_note_states_its_credit_as_positive_amounts():
    uow, _ = billed_ledger()
    invoice = uow.ledger.issued["INV-2025-09-noord"]
    credit = attrs.evolve(
        invoice, kind="credit-note", subtotal=-invoice.subtotal, total=-invoice.total,
        lines=tuple(attrs.evolve(line, amount=-line.amount, unit_price=-line.unit_price)
                    for line in invoice.lines),
    )  # fmt: skip
    view = legal_document(credit, None, None, {})
    assert view.credit_note
    assert view.total == invoice.total
    assert all(line.amount > 0 and line.price > 0 for line in view.lines)
