"""JSON documents and CSV rows: dates and instants as strings, renames at the edge."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from seatledger.adapters.serialisation import (
    CSV_COLUMNS,
    csv_row,
    history_document,
    neutralise_formula,
    seat_rows_csv,
    seats_answer_document,
    to_json,
)
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.queries import RangeMode, SeatRow
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.services.imports import ImportSummary
from seatledger.domain.services.questions import SeatsAnswer
from seatledger.domain.services.seats import HistoryEntry, SeatHistory
from seatledger.domain.timeline import timeline

REPORT = datetime(2017, 9, 1, 23, 59, 59, tzinfo=UTC)


def row(seat: str = "s-001", holder: str = "Ada Lovelace", **changes: object) -> SeatRow:
    fields: dict[str, object] = {
        "seat": SeatId(seat),
        "holder": holder,
        "kind": SeatKind.REGULAR,
        "activated_on": date(2017, 3, 1),
        "deactivated_on": date(2017, 9, 15),
        "paying_org": OrgId("xtra"),
        "billed_from": date(2017, 3, 1),
        "billed_until": date(2017, 9, 15),
        "addons": frozenset({"library", "coaching"}),
    }
    fields.update(changes)
    return SeatRow(**fields)  # type: ignore[arg-type]


def test_a_seats_answer_on_a_date_has_exactly_the_keys_of_the_cli_contract():
    answer = SeatsAnswer(
        OrgId("xtra"), date(2017, 9, 1), None, None, None, REPORT, (row(),), REPORT
    )
    document = seats_answer_document(answer)
    assert list(document) == [
        "org", "on", "as_known_at", "asked_as_known_at", "cut", "count", "seats",
    ]  # fmt: skip
    assert document["on"] == "2017-09-01"
    assert document["as_known_at"] == "2017-09-01T23:59:59.000000Z"
    assert document["asked_as_known_at"] == "2017-09-01T23:59:59.000000Z"
    assert document["cut"] == "asked"
    assert document["count"] == 1
    assert document["seats"][0] == {
        "seat": "s-001",
        "holder": "Ada Lovelace",
        "kind": "regular",
        "activated_on": "2017-03-01",
        "deactivated_on": "2017-09-15",
        "paying_org": "xtra",
        "billed_from": "2017-03-01",
        "billed_until": "2017-09-15",
        "addons": ["coaching", "library"],
    }


def test_a_range_answer_says_from_to_and_mode_and_not_on():
    answer = SeatsAnswer(
        OrgId("xtra"), None, date(2017, 9, 1), date(2017, 9, 30), RangeMode.THROUGHOUT, None, ()
    )
    document = seats_answer_document(answer)
    assert document == {
        "org": "xtra",
        "from": "2017-09-01",
        "to": "2017-09-30",
        "mode": "throughout",
        "as_known_at": None,
        "asked_as_known_at": None,
        "cut": "head",
        "count": 0,
        "seats": [],
    }


def test_a_seat_still_active_has_a_null_deactivation_date_in_json():
    answer = SeatsAnswer(
        OrgId("xtra"),
        date(2017, 9, 1),
        None,
        None,
        None,
        REPORT,
        (row(deactivated_on=None, billed_until=None, addons=frozenset()),),
    )
    seat = seats_answer_document(answer)["seats"][0]
    assert seat["deactivated_on"] is None
    assert seat["billed_until"] is None
    assert seat["addons"] == []
    json.dumps(seats_answer_document(answer))


def test_an_organisation_is_keyed_by_org_not_by_the_domains_id():
    document = to_json(Organisation(OrgId("xtra"), "Xtra Lease", "America/Chicago", "USD"))
    assert document == {
        "org": "xtra",
        "name": "Xtra Lease",
        "timezone": "America/Chicago",
        "currency": "USD",
        "billing_relationship": True,
        "timezone_changes": [],
        "legal_name": None,
        "vat_id": None,
        "address": None,
        "city": None,
        "postcode": None,
        "country": None,
        "peppol_id": None,
        "buyer_reference": None,
        "sepa_mandate": None,
    }


def test_a_fact_has_its_recorded_instant_in_utc_with_a_z():
    fact = SeatFact(
        seq=7,
        seat=SeatId("s-001"),
        kind=FactKind.DEACTIVATED,
        effective_on=date(2017, 9, 15),
        recorded_at=datetime(2017, 10, 2, 9, 30, tzinfo=UTC),
        actor="lisa",
        reason="left in September",
    )
    document = to_json(fact)
    assert document["kind"] == "deactivated"
    assert document["effective_on"] == "2017-09-15"
    assert document["recorded_at"] == "2017-10-02T09:30:00.000000Z"
    assert document["reason"] == "left in September"


def test_a_history_lists_facts_with_who_superseded_them_and_the_intervals():
    activated = SeatFact(
        1,
        SeatId("s-001"),
        FactKind.ACTIVATED,
        date(2017, 3, 1),
        REPORT,
        "lisa",
        org=OrgId("xtra"),
        holder="Ada",
        seat_kind=SeatKind.REGULAR,
    )
    closed = SeatFact(2, SeatId("s-001"), FactKind.DEACTIVATED, date(2017, 9, 15), REPORT, "lisa")
    fixed = SeatFact(
        3,
        SeatId("s-001"),
        FactKind.DEACTIVATED,
        date(2017, 8, 29),
        REPORT,
        "jean",
        reason="HR",
        supersedes=2,
    )
    facts = [activated, closed, fixed]
    history = SeatHistory(
        SeatId("s-001"),
        (HistoryEntry(activated, None), HistoryEntry(closed, 3), HistoryEntry(fixed, None)),
        timeline(SeatId("s-001"), facts).unwrap(),
    )
    document = history_document(history)
    assert [(f["seq"], f["supersedes"], f["superseded_by"]) for f in document["facts"]] == [
        (1, None, None),
        (2, None, 3),
        (3, 2, None),
    ]
    assert document["active_intervals"] == [
        {
            "start": "2017-03-01",
            "end": "2017-08-29",
            "ended_by": "deactivated",
            "holder": "Ada",
            "seat_kind": "regular",
            "addons": [],
            "addon_changes": [],
        }
    ]
    assert document["payer_intervals"] == [{"org": "xtra", "start": "2017-03-01", "end": None}]


def test_an_import_summary_is_plain_numbers():
    assert to_json(ImportSummary(403, 12, 415)) == {"seats": 403, "deactivated": 12, "facts": 415}


def test_csv_rows_have_the_cli_header_and_empty_cells_for_open_dates():
    text = seat_rows_csv([row(deactivated_on=None, billed_until=None)])
    header, line = text.splitlines()
    assert header == ",".join(CSV_COLUMNS)
    assert line == "s-001,Ada Lovelace,regular,2017-03-01,,xtra,2017-03-01,,coaching;library"


def test_a_holder_named_equals_sum_is_neutralised_against_formula_injection():
    assert csv_row(row(holder="=SUM(A1:A9)"))["holder"] == "'=SUM(A1:A9)"
    for dangerous in ("+1", "-1", "@cmd", "\tx", "\rx"):
        assert neutralise_formula(dangerous) == "'" + dangerous
    assert neutralise_formula("Ada") == "Ada"
    assert neutralise_formula("2017-09-01") == "2017-09-01"


def test_a_holder_with_a_comma_and_quotes_survives_the_csv_round_trip():
    import csv
    import io

    text = seat_rows_csv([row(holder='Lovelace, Ada "the Countess"')])
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["holder"] == 'Lovelace, Ada "the Countess"'


# --- billing ownership, contracts and invoices ------------------------------------------


def _billed_north() -> tuple[object, object]:
    """North on standard monthly with three seats (one a student), billed for September 2025."""
    from seatledger.adapters.catalog.loader import load_catalog
    from seatledger.domain.catalog import Cadence
    from seatledger.domain.dates import Period
    from seatledger.domain.services import billing, contracts, organisations, seats
    from seatledger.domain.services.contracts import ContractTerms
    from seatledger.entrypoints.bootstrap import in_memory_services, with_clock

    catalog = load_catalog().unwrap()
    base = in_memory_services(date(2025, 9, 1))
    organisations.add_organisation(base, "north", "North", "Europe/Amsterdam", "EUR").unwrap()
    terms = ContractTerms(plan="standard", cadence=Cadence.MONTHLY, discount_code="WELCOME10")
    contracts.set_contract(base, catalog, "north", terms, actor="t").unwrap()
    for seat, kind in (
        ("s0", SeatKind.REGULAR),
        ("s1", SeatKind.REGULAR),
        ("s2", SeatKind.STUDENT),
    ):
        seats.activate(
            base, seat, "north", actor="t", kind=kind, addons=("library",), catalog=catalog
        ).unwrap()
    end = with_clock(base, date(2025, 10, 1))  # 30 September has closed
    report = billing.bill_run(end, catalog, Period(2025, 9)).unwrap()
    return report, report.invoices[0]


def test_an_invoice_has_the_keys_of_the_cli_contract_and_money_as_decimal_strings():
    from seatledger.adapters.serialisation import invoice_document

    _, invoice = _billed_north()
    document = invoice_document(invoice)  # type: ignore[arg-type]
    assert list(document)[:12] == [
        "invoice", "org", "period", "reference_date", "status", "currency", "lines",
        "subtotal", "vat_rate", "vat", "total", "evidence_hash",
    ]  # fmt: skip
    assert [
        (li["kind"], li["quantity"], li["unit_price"], li["amount"]) for li in document["lines"]
    ] == [
        ("seat", 2, "39.00", "78.00"),
        ("seat", 1, "19.50", "19.50"),
        ("addon", 3, "4.00", "12.00"),
        ("discount", 1, "-10.95", "-10.95"),
    ]
    assert (document["subtotal"], document["vat_rate"], document["vat"], document["total"]) == (
        "98.55", "21", "20.70", "119.25",
    )  # fmt: skip
    assert document["period"] == "2025-09"
    assert document["reference_date"] == "2025-09-30"
    json.dumps(document)  # plain JSON: no Decimal, no date


def test_money_keeps_the_minor_units_and_never_rounds_an_exact_price_away():
    from decimal import Decimal

    from seatledger.adapters.serialisation import money

    assert money(Decimal("117"), "EUR") == "117.00"
    assert money(Decimal("-11.7"), "EUR") == "-11.70"
    assert money(Decimal("0.125"), "EUR") == "0.125"
    assert money(Decimal("1950"), "JPY") == "1950"


def test_a_run_lists_invoices_and_outcomes():
    from seatledger.adapters.serialisation import run_document

    report, _ = _billed_north()
    document = run_document(report)  # type: ignore[arg-type]
    assert (document["period"], document["dry_run"]) == ("2025-09", False)
    assert [i["invoice"] for i in document["invoices"]] == ["INV-2025-09-north"]
    assert document["outcomes"] == [
        {
            "org": "north",
            "outcome": "issued",
            "invoice": "INV-2025-09-north",
            "total": "119.25",
            "note": "",
        }
    ]


def test_evidence_lists_the_seats_counted_with_the_cut_and_the_hash():
    from seatledger.adapters.serialisation import evidence_csv, evidence_document

    _, invoice = _billed_north()
    document = evidence_document(invoice)  # type: ignore[arg-type]
    assert document["count"] == 3
    assert document["evidence_hash"] == invoice.evidence_hash  # type: ignore[attr-defined]
    assert document["seats"][2] == {
        "seat": "s2",
        "holder": "",
        "kind": "student",
        "activated_on": "2025-09-01",
        "deactivated_on": None,
        "paying_org": "north",
        "addons": ["library"],
    }
    assert document["prices"]["seat_price"] == "39.00"
    text = evidence_csv(invoice.evidence.seats)  # type: ignore[attr-defined]
    assert text.splitlines() == [
        "seat,holder,kind,activated_on,deactivated_on,paying_org,addons",
        "s0,,regular,2025-09-01,,north,library",
        "s1,,regular,2025-09-01,,north,library",
        "s2,,student,2025-09-01,,north,library",
    ]


def test_evidence_csv_neutralises_a_formula_in_a_holder():
    from seatledger.adapters.serialisation import evidence_csv

    assert "'=HYPERLINK(1)" in evidence_csv([row(holder="=HYPERLINK(1)")])


def test_an_admin_is_shown_without_its_pin_hash():
    from seatledger.adapters.serialisation import admin_document
    from seatledger.domain.admins import Admin

    admin = Admin(OrgId("south"), "sam", "scrypt$15$8$1$c2FsdA==$aGFzaA==", 2, False)
    document = admin_document(admin)
    assert document == {"org": "south", "admin": "sam", "locked": False, "failed_attempts": 2}
    assert "scrypt" not in json.dumps(document)


def test_a_transfer_request_is_keyed_request_seat_from_to_status():
    from seatledger.adapters.serialisation import transfer_document
    from seatledger.domain.transfers import RequestStatus, TransferRequest

    made = TransferRequest(
        id="TR-42",
        seat=SeatId("p-17"),
        sender=OrgId("north"),
        receiver=OrgId("south"),
        requested_on=date(2025, 10, 20),
        requested_at=datetime(2025, 10, 20, tzinfo=UTC),
        requested_by="lisa",
        expires_on=None,
        status=RequestStatus.PENDING,
    )
    document = transfer_document(made, deadline=date(2025, 10, 31))
    assert list(document)[:5] == ["request", "seat", "from", "to", "status"]
    assert (document["request"], document["from"], document["to"], document["status"]) == (
        "TR-42", "north", "south", "pending",
    )  # fmt: skip
    assert (document["deadline"], document["requested_at"]) == (
        "2025-10-31", "2025-10-20T00:00:00.000000Z",
    )  # fmt: skip
    assert transfer_document(made, status="expired")["status"] == "expired"


def test_a_contract_has_its_terms_as_text():
    from decimal import Decimal

    from seatledger.adapters.serialisation import contract_document
    from seatledger.domain.catalog import Cadence
    from seatledger.domain.contracts import Contract, PaymentMethod
    from seatledger.domain.dates import Period
    from seatledger.domain.reference_dates import YearStart

    contract = Contract(
        org=OrgId("college"),
        plan="standard",
        cadence=Cadence.ANNUAL,
        reference="month-end",
        effective_from=Period(2025, 8),
        vat_percent=Decimal("21"),
        year_start=YearStart(9, 1),
        licensed=400,
        overage_price=Decimal("12.50"),
        payment_method=PaymentMethod.SEPA,
        version=2,
        recorded_at=REPORT,
    )
    document = contract_document(contract)
    assert {
        k: document[k]
        for k in ("cadence", "effective_from", "vat_percent", "year_start", "overage_price")
    } == {
        "cadence": "annual",
        "effective_from": "2025-08",
        "vat_percent": "21",
        "year_start": "09-01",
        "overage_price": "12.50",
    }
    assert document["payment_method"] == "sepa"
    json.dumps(document)
