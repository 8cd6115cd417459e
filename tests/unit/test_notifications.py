"""The notification vocabulary: one builder per event, from real domain values.

Requests, take-overs and invoices come from the use cases on the in-memory
ledger, so the messages are built from exactly what the engine produces.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.notify import LogNotifier
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.catalog import Cadence
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId
from seatledger.domain.invoice import Invoice, InvoiceStatus
from seatledger.domain.notifications import (
    Channel,
    Contact,
    Delivered,
    DeliveryResult,
    Message,
    MessageKind,
    Notifier,
    RetryLater,
    Undeliverable,
    adjustment_issued,
    invoice_issued,
    invoice_messages,
    taken_over,
    transfer_approved,
    transfer_expired,
    transfer_rejected,
    transfer_requested,
    transfer_withdrawn,
)
from seatledger.domain.organisation import Organisation
from seatledger.domain.services import admins, billing, contracts, seats, transfers
from seatledger.domain.services.billing import Outcome
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.organisations import add_organisation
from seatledger.domain.transfers import RequestStatus, TransferRequest

PINS = ScryptPinHasher(log2_n=8)
CATALOG = load_catalog().unwrap()
AT = datetime(2025, 10, 20, 9, 30, tzinfo=UTC)
NORTH = Organisation(OrgId("north"), "North Clinic")
SOUTH = Organisation(OrgId("south"), "South Clinic")


@pytest.fixture
def clock() -> SimulatedDay:
    return SimulatedDay(date(2025, 10, 20))


@pytest.fixture
def services(clock: SimulatedDay) -> Services:
    services = Services(InMemoryUnitOfWork(), clock)
    add_organisation(services, "north", "North Clinic").unwrap()
    add_organisation(services, "south", "South Clinic").unwrap()
    admins.add_admin(services, PINS, "south", "sam", "4821").unwrap()
    seats.activate(services, "p-17", "north", actor="nora").unwrap()
    return services


def request(services: Services, **kw: object) -> TransferRequest:
    return transfers.request_transfer(services, "p-17", "south", actor="nora", **kw).unwrap()  # type: ignore[arg-type]


def assert_json_able(message: Message) -> dict[str, object]:
    """The payload survives JSON both ways, unchanged."""
    text = json.dumps(message.payload())
    decoded: dict[str, object] = json.loads(text)
    assert decoded == message.payload()
    return decoded


# --- transfers --------------------------------------------------------------------------------


def test_a_request_goes_to_the_receiver_naming_seat_sender_and_deadline(
    services: Services,
) -> None:
    req = request(services)
    msg = transfer_requested(req, NORTH, SOUTH, AT)
    assert msg.kind is MessageKind.TRANSFER_REQUESTED
    assert msg.org == "south"
    assert msg.id == f"transfer-requested:{req.id}"
    assert msg.id.startswith("transfer-requested:TR-")
    assert "awaits your approval" in msg.body
    for needle in ("p-17", "North Clinic", req.id, "2025-10-31", "PIN"):
        assert needle in msg.body
    assert "p-17" in msg.subject
    assert "2025-10-31" in msg.subject
    assert msg.data["deadline"] == "2025-10-31"
    assert msg.data["seat"] == "p-17"
    assert msg.data["sender"] == "north"
    assert msg.data["receiver"] == "south"
    assert msg.data["requested_on"] == "2025-10-20"
    assert msg.data["expires_on"] is None
    assert msg.created_at == AT
    payload = assert_json_able(msg)
    assert set(payload) == {"id", "kind", "org", "subject", "body", "data", "created_at"}
    assert payload["kind"] == "transfer-requested"
    assert payload["created_at"] == "2025-10-20T09:30:00.000000Z"


def test_the_deadline_is_the_senders_reference_date_when_given(services: Services) -> None:
    req = request(services)
    msg = transfer_requested(req, NORTH, SOUTH, AT, deadline=date(2025, 11, 1))
    assert "on or before 2025-11-01" in msg.body
    assert msg.data["deadline"] == "2025-11-01"


def test_a_request_that_expires_before_the_deadline_says_so(services: Services) -> None:
    req = request(services, expires_in_days=5)
    msg = transfer_requested(req, NORTH, SOUTH, AT)
    assert "expires after 2025-10-25" in msg.body
    assert "cannot be approved after that day" in msg.body
    assert msg.data["expires_on"] == "2025-10-25"


def test_building_twice_gives_the_same_message(services: Services) -> None:
    req = request(services)
    assert transfer_requested(req, NORTH, SOUTH, AT) == transfer_requested(req, NORTH, SOUTH, AT)


def test_the_wrong_parties_are_a_bug(services: Services) -> None:
    req = request(services)
    with pytest.raises(ValueError, match="from 'north' to 'south'"):
        transfer_requested(req, SOUTH, NORTH, AT)


def test_an_approval_goes_to_the_sender_with_the_day_billing_moves(
    services: Services, clock: SimulatedDay
) -> None:
    req = request(services)
    clock.day = date(2025, 10, 31)
    approved = transfers.approve(
        services, PINS, req.id, admin="sam", pin="4821", actor="sam"
    ).unwrap()
    msg = transfer_approved(approved, NORTH, SOUTH, AT)
    assert (msg.org, msg.kind, msg.id) == (
        "north",
        MessageKind.TRANSFER_APPROVED,
        f"transfer-approved:{req.id}",
    )
    assert "approved" in msg.subject
    assert "p-17" in msg.subject
    assert "From 2025-10-31 on, seat p-17 is billed to South Clinic" in msg.body
    assert "sam" in msg.body
    assert msg.data["status"] == "approved"
    assert msg.data["decided_on"] == "2025-10-31"
    assert msg.data["decided_by"] is not None
    assert_json_able(msg)


def test_a_rejection_goes_to_the_sender_who_still_pays(services: Services) -> None:
    req = request(services)
    rejected = transfers.reject(services, PINS, req.id, admin="sam", pin="4821", actor="sam")
    msg = transfer_rejected(rejected.unwrap(), NORTH, SOUTH, AT)
    assert (msg.org, msg.id) == ("north", f"transfer-rejected:{req.id}")
    assert "still billed to North Clinic" in msg.body
    assert "deactivate the seat" in msg.body
    assert msg.data["status"] == "rejected"


def test_a_withdrawal_goes_to_the_sender(services: Services) -> None:
    req = request(services)
    withdrawn = transfers.withdraw(services, req.id, actor="nora").unwrap()
    msg = transfer_withdrawn(withdrawn, NORTH, SOUTH, AT)
    assert (msg.org, msg.id) == ("north", f"transfer-withdrawn:{req.id}")
    assert "withdrawn" in msg.body
    assert "p-17" in msg.body
    assert msg.data["status"] == "withdrawn"


def test_an_expiry_goes_to_the_sender_recorded_or_not(
    services: Services, clock: SimulatedDay
) -> None:
    req = request(services, expires_in_days=3)
    # Still recorded as pending, but past its last day:
    msg = transfer_expired(req, NORTH, SOUTH, AT)
    assert (msg.org, msg.id) == ("north", f"transfer-expired:{req.id}")
    assert "not approved by 2025-10-23" in msg.body
    assert msg.data["status"] == "expired"
    clock.day = date(2025, 10, 24)
    transfers.expire_due(services, actor="system").unwrap()
    (view,) = transfers.list_requests(services, "north").unwrap()
    recorded = view.request
    assert recorded.status is RequestStatus.EXPIRED
    assert transfer_expired(recorded, NORTH, SOUTH, AT).id == msg.id


def test_a_decision_message_needs_that_decision(services: Services) -> None:
    req = request(services)
    with pytest.raises(ValueError, match="is pending, not approved"):
        transfer_approved(req, NORTH, SOUTH, AT)
    with pytest.raises(ValueError, match="did not expire"):
        transfer_expired(attrs.evolve(req, expires_on=None), NORTH, SOUTH, AT)


def test_a_take_over_goes_to_the_previous_payer(services: Services) -> None:
    fact = transfers.take_over(
        services, PINS, "p-17", "south", admin="sam", pin="4821", actor="sam", reason="moved"
    ).unwrap()
    msg = taken_over(fact, NORTH, SOUTH, AT)
    assert msg.kind is MessageKind.TAKEN_OVER
    assert msg.org == "north"
    assert msg.id == f"taken-over:p-17:{fact.seq}"
    assert "South Clinic" in msg.body
    assert "p-17" in msg.body
    assert "2025-10-20" in msg.body
    assert "Reason given: moved" in msg.body
    assert msg.data == {
        "seat": "p-17",
        "fact": fact.seq,
        "previous_payer": "north",
        "taker": "south",
        "effective_on": "2025-10-20",
        "actor": fact.actor,
        "reason": "moved",
    }
    with pytest.raises(ValueError, match="not from 'south' to 'north'"):
        taken_over(fact, SOUTH, NORTH, AT)


# --- invoices ---------------------------------------------------------------------------------


def issued(services: Services, period: Period) -> Invoice:
    report = billing.bill_run(services, CATALOG, period, org="north").unwrap()
    (invoice,) = [o.invoice for o in report.outcomes if o.outcome is Outcome.ISSUED]
    assert invoice is not None
    return invoice


@pytest.fixture
def september_and_october(clock: SimulatedDay) -> tuple[Invoice, Invoice]:
    """117.00 in September for three seats; October credits one left on 12 September."""
    clock.day = date(2025, 9, 1)
    billing_services = Services(InMemoryUnitOfWork(), clock)
    add_organisation(billing_services, "north", "North Clinic").unwrap()
    terms = ContractTerms(plan="standard", cadence=Cadence.MONTHLY)
    contracts.set_contract(billing_services, CATALOG, "north", terms, actor="admin").unwrap()
    for i in range(3):
        seats.activate(billing_services, f"s{i}", "north", actor="admin").unwrap()
    clock.day = date(2025, 10, 1)
    september = issued(billing_services, Period(2025, 9))
    clock.day = date(2025, 10, 6)
    seats.deactivate(
        billing_services, "s2", actor="admin", on=date(2025, 9, 12), reason="left"
    ).unwrap()
    clock.day = date(2025, 11, 1)
    return september, issued(billing_services, Period(2025, 10))


def test_an_invoice_goes_to_the_billed_organisation_with_money_as_text(
    september_and_october: tuple[Invoice, Invoice],
) -> None:
    september, _ = september_and_october
    msg = invoice_issued(september, AT)
    assert (msg.org, msg.kind, msg.id) == (
        "north",
        MessageKind.INVOICE_ISSUED,
        "invoice-issued:INV-2025-09-north",
    )
    assert msg.subject == "Invoice INV-2025-09-north for 2025-09: EUR 141.57"
    for needle in ("117.00", "24.57", "141.57", "VAT 21%", "2025-09-30", "3 seat(s)"):
        assert needle in msg.body
    assert msg.data["subtotal"] == "117.00"
    assert msg.data["vat"] == "24.57"
    assert msg.data["total"] == "141.57"
    assert msg.data["vat_rate"] == "21"
    assert msg.data["reference_date"] == "2025-09-30"
    assert msg.data["seats_counted"] == 3
    (line,) = json_data(msg)["lines"]
    assert line["amount"] == "117.00"
    assert line["quantity"] == 3
    assert line["kind"] == "seat"
    assert_json_able(msg)
    assert invoice_messages(september, AT) == [msg]


def test_an_adjustment_names_the_invoice_it_corrects_and_the_seats(
    september_and_october: tuple[Invoice, Invoice],
) -> None:
    september, october = september_and_october
    msg = adjustment_issued(october, AT)
    assert (msg.org, msg.kind, msg.id) == (
        "north",
        MessageKind.ADJUSTMENT_ISSUED,
        "adjustment-issued:INV-2025-10-north",
    )
    assert september.id in msg.subject
    assert "-39.00" in msg.subject
    assert "INV-2025-09-north: -39.00 (credit), seats: s2" in msg.body
    assert msg.data["net"] == "-39.00"
    (adjustment,) = json_data(msg)["adjustments"]
    assert adjustment["refers_to"] == september.id
    assert adjustment["amount"] == "-39.00"
    assert adjustment["seats"] == ["s2"]
    assert [m.kind for m in invoice_messages(october, AT)] == [
        MessageKind.INVOICE_ISSUED,
        MessageKind.ADJUSTMENT_ISSUED,
    ]
    with pytest.raises(ValueError, match="no adjustment lines"):
        adjustment_issued(september, AT)


def json_data(msg: Message) -> Any:
    """The message's data as a receiver decodes it."""
    return json.loads(json.dumps(msg.payload()))["data"]


def test_a_forecast_is_never_announced(september_and_october: tuple[Invoice, Invoice]) -> None:
    september, _ = september_and_october
    with pytest.raises(ValueError, match="forecast"):
        invoice_issued(attrs.evolve(september, status=InvoiceStatus.FORECAST), AT)


# --- the values -------------------------------------------------------------------------------


def plain_message(**kw: object) -> Message:
    fields: dict[str, object] = {
        "id": "review-seats:north:2025-10-01",
        "kind": MessageKind.REVIEW_SEATS,
        "org": OrgId("north"),
        "subject": "s",
        "body": "b",
        "data": {"n": 1, "list": [1, "a", None, True], "obj": {"k": "v"}},
        "created_at": AT,
    }
    fields.update(kw)
    return Message(**fields)  # type: ignore[arg-type]


def test_message_data_is_frozen_and_json_only() -> None:
    msg = plain_message()
    assert msg.data["list"] == (1, "a", None, True)
    with pytest.raises(TypeError):
        msg.data["n"] = 2  # type: ignore[index]
    assert hash(msg) == hash(plain_message())
    with pytest.raises(TypeError, match="Decimal"):
        plain_message(data={"amount": Decimal("1.00")})
    with pytest.raises(TypeError, match="float"):
        plain_message(data={"x": [1.5]})
    with pytest.raises(TypeError, match="not a string"):
        plain_message(data={"o": {1: "x"}})


def test_a_message_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plain_message(created_at=datetime(2025, 10, 1, 9, 0))


def test_the_webhook_secret_never_shows_in_a_repr() -> None:
    contact = Contact(OrgId("north"), ("a@north.example",), "https://x.example/h", "s3cret-value")
    assert "s3cret-value" not in repr(contact)
    assert "a@north.example" in repr(contact)
    assert Contact(OrgId("north"), "one@north.example").emails == ("one@north.example",)


def test_delivery_results_are_values() -> None:
    assert Delivered() == Delivered()
    assert RetryLater("x") == RetryLater("x")
    later: DeliveryResult = RetryLater("x")
    assert Undeliverable("x") != later


# --- the log channel --------------------------------------------------------------------------


def test_the_log_notifier_writes_one_line_per_message() -> None:
    stream = io.StringIO()
    notifier: Notifier = LogNotifier(stream)
    msg = plain_message(subject="Review\nyour seats")
    assert notifier.channel is Channel.LOG
    assert notifier.send(msg, Contact(OrgId("north"))) == Delivered()
    assert notifier.send(msg, Contact(OrgId("north"))) == Delivered()
    assert (
        stream.getvalue().splitlines()
        == ["review-seats north review-seats:north:2025-10-01: Review your seats"] * 2
    )


def test_the_log_notifier_can_write_to_a_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.notify")
    with caplog.at_level(logging.INFO, logger="test.notify"):
        assert LogNotifier(logger).send(plain_message(), Contact(OrgId("north"))) == Delivered()
    assert [r.getMessage() for r in caplog.records] == [
        "review-seats north review-seats:north:2025-10-01: s"
    ]
