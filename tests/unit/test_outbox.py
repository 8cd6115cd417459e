"""The outbox: enqueued with the fact, delivered at least once, retried on a schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from returns.result import Failure

from seatledger.adapters.clock import FixedClock
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.notifications import (
    Channel,
    Contact,
    Delivered,
    DeliveryResult,
    Message,
    MessageKind,
    RetryLater,
    Undeliverable,
)
from seatledger.domain.outbox import DeliveryStatus, RetrySchedule
from seatledger.domain.services import notify, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import add_organisation

START = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
PINS = ScryptPinHasher(log2_n=4)


class RecordingNotifier:
    """A fake channel that answers from a script and records what it was asked to send."""

    def __init__(self, channel: Channel, *answers: DeliveryResult) -> None:
        self._channel = channel
        self.answers = list(answers)
        self.sent: list[tuple[str, str]] = []

    @property
    def channel(self) -> Channel:
        return self._channel

    def send(self, message: Message, contact: Contact) -> DeliveryResult:
        self.sent.append((message.id, contact.org))
        return self.answers.pop(0) if self.answers else Delivered()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START, step=timedelta(microseconds=1))


@pytest.fixture
def services(clock: FixedClock) -> Services:
    services = Services(InMemoryUnitOfWork(), clock)
    add_organisation(services, "north", "North Clinic").unwrap()
    add_organisation(services, "south", "South Clinic").unwrap()
    return services


def message(number: int, org: str = "north") -> Message:
    return Message(
        id=f"review-seats:{org}:{number}",
        kind=MessageKind.REVIEW_SEATS,
        org=org,  # type: ignore[arg-type]
        subject="Review your seats",
        body="Check which seats are active.",
        data={},
        created_at=START,
    )


def enqueue(services: Services, *messages: Message) -> int:
    with services.uow.transaction(write=True) as store:
        new = store.enqueue(list(messages), services.clock.now())
        services.uow.commit()
    return new


def test_a_message_enqueued_twice_is_kept_once(services: Services) -> None:
    assert enqueue(services, message(1)) == 1
    assert enqueue(services, message(1), message(2)) == 1
    assert [e.message.id for e in notify.outbox(services)] == [
        "review-seats:north:1",
        "review-seats:north:2",
    ]


def test_nothing_is_enqueued_by_a_transaction_that_is_not_committed(services: Services) -> None:
    with services.uow.transaction(write=True) as store:
        store.enqueue([message(1)], START)
    assert notify.outbox(services) == []


def test_a_message_goes_to_the_log_and_to_every_channel_its_contact_has(
    services: Services,
) -> None:
    notify.set_contact(
        services, "north", emails=["billing@north.example"],
        webhook_url="https://north.example/hook", webhook_secret="s" * 24,
    ).unwrap()  # fmt: skip
    enqueue(services, message(1), message(2, org="south"))
    log, mail, hook = (
        RecordingNotifier(ch) for ch in (Channel.LOG, Channel.EMAIL, Channel.WEBHOOK)
    )
    report = notify.deliver_due(services, [log, mail, hook])
    assert (report.attempted, report.delivered) == (2, 2)
    assert log.sent == [("review-seats:north:1", "north"), ("review-seats:south:2", "south")]
    assert mail.sent == hook.sent == [("review-seats:north:1", "north")]


def test_a_channel_that_fails_is_retried_later_without_resending_the_others(
    services: Services, clock: FixedClock
) -> None:
    notify.set_contact(services, "north", emails=["billing@north.example"]).unwrap()
    enqueue(services, message(1))
    log = RecordingNotifier(Channel.LOG)
    mail = RecordingNotifier(Channel.EMAIL, RetryLater("421 try again"))
    first = notify.deliver_due(services, [log, mail])
    assert (first.waiting, first.entries[0].attempts) == (1, 1)
    assert timedelta(minutes=1) <= first.entries[0].next_attempt_at - START < timedelta(minutes=2)
    assert notify.deliver_due(services, [log, mail]).attempted == 0  # not due yet
    clock.advance(timedelta(minutes=1))
    second = notify.deliver_due(services, [log, mail])
    assert second.delivered == 1
    assert len(log.sent) == 1
    assert len(mail.sent) == 2


def test_a_message_is_given_up_after_the_schedule_runs_out(
    services: Services, clock: FixedClock
) -> None:
    notify.set_contact(services, "north", emails=["billing@north.example"]).unwrap()
    enqueue(services, message(1))
    schedule = RetrySchedule(delays=(timedelta(minutes=1), timedelta(minutes=2)))
    mail = RecordingNotifier(Channel.EMAIL, *[RetryLater("down")] * 5)
    for _ in range(3):
        notify.deliver_due(services, [mail], schedule=schedule)
        clock.advance(timedelta(minutes=5))
    [entry] = notify.outbox(services)
    assert entry.status is DeliveryStatus.UNDELIVERABLE
    assert entry.attempts == 3
    assert "gave up after 3 attempts" in (entry.last_error or "")


def test_an_undeliverable_channel_is_not_retried(services: Services) -> None:
    notify.set_contact(services, "north", emails=["nobody@north.example"]).unwrap()
    enqueue(services, message(1))
    mail = RecordingNotifier(Channel.EMAIL, Undeliverable("550 no such user"))
    report = notify.deliver_due(services, [mail])
    assert report.undeliverable == 1
    assert "550 no such user" in (report.entries[0].last_error or "")


def test_a_deliverer_that_died_leaves_its_messages_to_be_sent_again_after_the_lease(
    services: Services, clock: FixedClock
) -> None:
    enqueue(services, message(1))
    now = clock.now()
    with services.uow.transaction(write=True) as store:  # claimed, then the process died
        assert len(store.claim_due(now, now + timedelta(minutes=5), 10)) == 1
        services.uow.commit()
    log = RecordingNotifier(Channel.LOG)
    assert notify.deliver_due(services, [log]).attempted == 0
    clock.advance(timedelta(minutes=5))
    assert notify.deliver_due(services, [log]).delivered == 1
    assert log.sent == [("review-seats:north:1", "north")]


def test_a_webhook_needs_a_secret_and_an_http_url(services: Services) -> None:
    no_secret = notify.set_contact(services, "north", webhook_url="https://n.example/hook")
    assert isinstance(no_secret, Failure)
    bad_url = notify.set_contact(
        services, "north", webhook_url="ftp://n.example", webhook_secret="s" * 24
    )
    assert isinstance(bad_url, Failure)
    assert "ftp://n.example" in bad_url.failure().message
    not_email = notify.set_contact(services, "north", emails=["north.example"])
    assert isinstance(not_email, Failure)


def test_the_webhook_secret_never_shows_in_a_contact_repr(services: Services) -> None:
    contact = notify.set_contact(
        services, "north", webhook_url="https://n.example/h", webhook_secret="top-secret-0123456789"
    ).unwrap()
    assert "top-secret" not in repr(contact)


def test_reminders_run_twice_on_the_first_of_the_month_enqueue_once(
    services: Services,
) -> None:
    seats.activate(services, "p-1", "north", actor="nora").unwrap()
    first = notify.remind(services).unwrap()
    second = notify.remind(services).unwrap()
    assert [m.id for m in first.due] == ["review-seats:north:2025-10-01"]
    assert (first.new, second.new) == (1, 0)


def test_a_pending_request_is_reminded_to_its_sender_before_the_reference_date(
    services: Services, clock: FixedClock
) -> None:
    seats.activate(services, "p-1", "north", actor="nora").unwrap()
    transfers.request_transfer(services, "p-1", "south", actor="nora").unwrap()
    clock.set(datetime(2025, 10, 28, 9, 0, tzinfo=UTC))  # three days before 31 October
    report = notify.remind(services).unwrap()
    assert [(m.kind, m.org) for m in report.due] == [(MessageKind.PENDING_TRANSFERS, "north")]
    assert "p-1" in report.due[0].body


def test_outbox_entries_keep_the_message_they_were_given(services: Services) -> None:
    original = message(7)
    enqueue(services, original)
    [entry] = notify.outbox(services)
    assert entry.message == original
    assert attrs.evolve(entry, attempts=1).message is original
    assert entry.enqueued_at.date() == date(2025, 10, 1)


def test_on_a_simulated_day_every_message_of_that_day_is_due_the_same_day() -> None:
    from seatledger.adapters.clock import SimulatedDay

    services = Services(InMemoryUnitOfWork(), SimulatedDay(date(2025, 10, 1)))
    add_organisation(services, "north", "North Clinic").unwrap()
    add_organisation(services, "south", "South Clinic").unwrap()
    seats.activate(services, "p-1", "north", actor="nora").unwrap()
    transfers.request_transfer(services, "p-1", "south", actor="nora").unwrap()  # 00:00:00.000003
    log = RecordingNotifier(Channel.LOG)
    assert notify.deliver_due(services, [log]).delivered == 1
