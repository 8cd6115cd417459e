"""The outbox on SQLite and PostgreSQL, delivered for real to a local SMTP server and webhook."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from local_servers import LOOPBACK, EphemeralController, Receiver, Recorder

from seatledger.adapters.clock import FixedClock
from seatledger.adapters.notify import LogNotifier, SmtpNotifier, WebhookNotifier, verify_signature
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.identifiers import OrgId
from seatledger.domain.notifications import Message, MessageKind
from seatledger.domain.outbox import DeliveryStatus
from seatledger.domain.services import admins, notify, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import add_organisation

PINS = ScryptPinHasher(log2_n=4)
SECRET = "north-webhook-secret-0123456789"


@pytest.fixture
def ledger(services: Services, clock: FixedClock) -> Services:
    clock.step = timedelta(microseconds=1)
    add_organisation(services, "north", "North Clinic").unwrap()
    add_organisation(services, "south", "South Clinic").unwrap()
    admins.add_admin(services, PINS, "south", "sam", "4821").unwrap()
    seats.activate(services, "p-17", "north", actor="nora").unwrap()
    return services


def outbox_ids(services: Services) -> list[str]:
    return [entry.message.id for entry in notify.outbox(services)]


def test_a_transfer_request_enqueues_its_message_in_the_same_transaction(
    ledger: Services,
) -> None:
    request = transfers.request_transfer(ledger, "p-17", "south", actor="nora").unwrap()
    [entry] = notify.outbox(ledger)
    assert entry.message.id == f"transfer-requested:{request.id}"
    assert (entry.message.org, entry.status) == ("south", DeliveryStatus.PENDING)


def test_a_refused_command_enqueues_nothing(ledger: Services) -> None:
    transfers.request_transfer(ledger, "p-17", "north", actor="nora")  # same organisation
    transfers.request_transfer(ledger, "p-99", "south", actor="nora")  # unknown seat
    assert outbox_ids(ledger) == []


def test_a_rolled_back_transaction_sends_nothing(ledger: Services) -> None:
    with ledger.uow.transaction(write=True) as store:
        store.enqueue([_message("rolled-back")], ledger.clock.now())
        # no commit: the change and its message go together
    assert outbox_ids(ledger) == []


def local_receivers_allowed(services: Services) -> Services:
    """The test receivers listen on plain http on loopback: the documented opt-in."""
    return attrs.evolve(services, webhook_hosts=frozenset({"127.0.0.1"}))


def test_every_message_reaches_email_webhook_and_log_with_its_id_and_signature(
    ledger: Services,
    smtp_server: tuple[EphemeralController, Recorder],
    webhook_receiver: Receiver,
) -> None:
    controller, recorder = smtp_server
    ledger = local_receivers_allowed(ledger)
    notify.set_contact(ledger, "south", emails=["billing@south.example"]).unwrap()
    notify.set_contact(
        ledger, "north", webhook_url=webhook_receiver.url, webhook_secret=SECRET
    ).unwrap()
    request = transfers.request_transfer(ledger, "p-17", "south", actor="nora").unwrap()
    transfers.approve(ledger, PINS, request.id, admin="sam", pin="4821", actor="sam").unwrap()
    log = io.StringIO()
    notifiers = [
        LogNotifier(log),
        SmtpNotifier(LOOPBACK, controller.port, "seatledger@vendor.example", timeout=5),
        WebhookNotifier(timeout=5),
    ]
    report = notify.deliver_due(ledger, notifiers)
    assert (report.attempted, report.delivered) == (2, 2)
    [mail] = recorder.received()
    assert mail["X-Seatledger-Message-Id"] == f"transfer-requested:{request.id}"
    assert mail["To"] == "billing@south.example"
    [(_, headers, body)] = webhook_receiver.requests
    payload = json.loads(body)["data"]
    assert payload["id"] == f"transfer-approved:{request.id}"
    assert payload["kind"] == MessageKind.TRANSFER_APPROVED.value
    timestamp = headers["webhook-timestamp"]
    assert verify_signature(
        SECRET, headers["webhook-id"], timestamp, body, headers["webhook-signature"],
        now=float(timestamp),
    )  # fmt: skip
    assert log.getvalue().count("\n") == 2
    assert notify.deliver_due(ledger, notifiers).attempted == 0


def test_a_message_claimed_by_a_deliverer_that_died_is_delivered_after_its_lease(
    ledger: Services, clock: FixedClock, webhook_receiver: Receiver
) -> None:
    ledger = local_receivers_allowed(ledger)
    notify.set_contact(
        ledger, "south", webhook_url=webhook_receiver.url, webhook_secret=SECRET
    ).unwrap()
    transfers.request_transfer(ledger, "p-17", "south", actor="nora").unwrap()
    now = clock.now()
    with ledger.uow.transaction(write=True) as store:
        assert len(store.claim_due(now, now + timedelta(minutes=5), 10)) == 1
        ledger.uow.commit()  # the deliverer dies here, before sending or recording
    assert notify.deliver_due(ledger, [WebhookNotifier(timeout=5)]).attempted == 0
    clock.advance(timedelta(minutes=5))
    assert notify.deliver_due(ledger, [WebhookNotifier(timeout=5)]).delivered == 1
    assert len(webhook_receiver.requests) == 1


def test_reminders_enqueued_twice_on_the_same_day_are_kept_once(
    ledger: Services, clock: FixedClock
) -> None:
    first = notify.remind(ledger).unwrap()
    second = notify.remind(ledger).unwrap()
    assert first.new == len(first.due)
    assert second.new == 0
    assert len(outbox_ids(ledger)) == len(first.due)


def test_a_contact_is_replaced_and_its_secret_stays_out_of_its_repr(ledger: Services) -> None:
    notify.set_contact(ledger, "north", emails=["a@north.example"]).unwrap()
    notify.set_contact(ledger, "north", emails=["b@north.example", "c@north.example"]).unwrap()
    notify.set_contact(
        ledger, "north", webhook_url="https://north.example/hook", webhook_secret=SECRET
    ).unwrap()
    contact = notify.get_contact(ledger, "north").unwrap()
    assert contact.emails == ("b@north.example", "c@north.example")
    assert contact.webhook_secret == SECRET
    assert SECRET not in repr(contact)


def _message(key: str) -> Message:
    return Message(
        id=f"review-seats:north:{key}",
        kind=MessageKind.REVIEW_SEATS,
        org=OrgId("north"),
        subject="Review your seats",
        body="",
        data={},
        created_at=datetime(2025, 10, 1, tzinfo=UTC),
    )
