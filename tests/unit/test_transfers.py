"""The transfer workflow on the in-memory ledger: requests, decisions, take-overs, deadlines."""

from __future__ import annotations

from datetime import date

import pytest
from returns.result import Failure, Success

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.errors import LedgerError
from seatledger.domain.seat import FactKind
from seatledger.domain.services import admins, questions, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import add_organisation
from seatledger.domain.transfers import RequestStatus

PINS = ScryptPinHasher(log2_n=8)


@pytest.fixture
def clock() -> SimulatedDay:
    return SimulatedDay(date(2025, 10, 1))


@pytest.fixture
def services(clock: SimulatedDay) -> Services:
    services = Services(InMemoryUnitOfWork(), clock)
    add_organisation(services, "north", "North Clinic").unwrap()
    add_organisation(services, "south", "South Clinic").unwrap()
    add_organisation(services, "west", "West Clinic").unwrap()
    add_organisation(services, "island", "Island Practice", billing_relationship=False).unwrap()
    admins.add_admin(services, PINS, "south", "sam", "4821").unwrap()
    admins.add_admin(services, PINS, "south", "sue", "7302").unwrap()
    admins.add_admin(services, PINS, "west", "wim", "5566").unwrap()
    seats.activate(services, "p-17", "north", actor="nora").unwrap()
    return services


def failure_code(result: object) -> str:
    assert isinstance(result, Failure), f"expected a refusal, got {result!r}"
    error = result.failure()
    assert isinstance(error, LedgerError)
    return error.code


def snapshot(services: Services) -> object:
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    return (uow.ledger.head(), {k: list(v) for k, v in uow.ledger.facts.items()})


def payer_on(services: Services, org: str, day: date) -> bool:
    answer = questions.seats_on(services, org, day).unwrap()
    return any(row.seat == "p-17" for row in answer.rows)


def test_a_request_names_sender_receiver_and_waits_pending(services: Services) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    assert (request.id, request.sender, request.receiver) == ("TR-2", "north", "south")
    assert request.status is RequestStatus.PENDING
    assert request.requested_on == date(2025, 10, 1)


def test_a_pending_request_never_changes_who_pays(services: Services, clock: SimulatedDay) -> None:
    transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    clock.day = date(2025, 10, 31)
    assert payer_on(services, "north", date(2025, 10, 31))
    assert not payer_on(services, "south", date(2025, 10, 31))


def test_approval_on_the_reference_date_moves_that_period_to_the_receiver(
    services: Services, clock: SimulatedDay
) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    clock.day = date(2025, 10, 31)
    transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam").unwrap()
    assert payer_on(services, "south", date(2025, 10, 31))
    assert not payer_on(services, "north", date(2025, 10, 31))
    assert payer_on(services, "north", date(2025, 10, 30))


def test_approval_the_day_after_the_reference_date_leaves_that_period_with_the_sender(
    services: Services, clock: SimulatedDay
) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    clock.day = date(2025, 11, 1)
    transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam").unwrap()
    assert payer_on(services, "north", date(2025, 10, 31))
    assert not payer_on(services, "south", date(2025, 10, 31))
    assert payer_on(services, "south", date(2025, 11, 1))


def test_an_approval_is_a_fact_in_the_seat_history_with_its_request(
    services: Services,
) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam").unwrap()
    kinds = [e.fact.kind for e in seats.history(services, "p-17").unwrap().entries]
    assert kinds == [FactKind.ACTIVATED, FactKind.TRANSFER_REQUESTED, FactKind.TRANSFER_APPROVED]
    approved = seats.history(services, "p-17").unwrap().entries[-1].fact
    assert (approved.request, approved.org, approved.from_org) == (request.id, "south", "north")
    assert "admin sam of south" in approved.actor


def test_the_seat_is_billed_to_the_sender_as_known_before_the_approval(
    services: Services, clock: SimulatedDay
) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    before = questions.seats_on(services, "north", date(2025, 10, 1)).unwrap().as_known_at
    transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam").unwrap()
    as_then = questions.seats_on(services, "north", date(2025, 10, 1), before).unwrap()
    assert [r.seat for r in as_then.rows] == ["p-17"]
    assert questions.seats_on(services, "north", date(2025, 10, 1)).unwrap().rows == ()


@pytest.mark.parametrize(
    ("seat", "to", "code"),
    [
        ("p-17", "island", "no-billing-relationship"),
        ("p-17", "north", "same-organisation"),
        ("p-17", "nowhere", "unknown-organisation"),
        ("p-99", "south", "unknown-seat"),
    ],
)
def test_a_request_is_refused_and_changes_nothing(
    services: Services, seat: str, to: str, code: str
) -> None:
    before = snapshot(services)
    assert failure_code(transfers.request_transfer(services, seat, to, actor="nora")) == code
    assert snapshot(services) == before


def test_a_request_for_a_deactivated_seat_is_refused(
    services: Services, clock: SimulatedDay
) -> None:
    clock.day = date(2025, 10, 5)
    seats.deactivate(services, "p-17", actor="nora").unwrap()
    result = transfers.request_transfer(services, "p-17", "south", actor="nora")
    assert failure_code(result) == "seat-not-active"


def test_a_second_pending_request_for_the_same_seat_is_refused(services: Services) -> None:
    transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    second = transfers.request_transfer(services, "p-17", "west", actor="nora")
    assert failure_code(second) == "transfer-already-pending"
    assert "TR-2" in second.failure().message


def test_after_a_rejection_a_new_request_may_be_sent(services: Services) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    rejected = transfers.reject(
        services, PINS, request.id, admin="sue", pin="7302", actor="sue", reason="not ours"
    ).unwrap()
    assert rejected.status is RequestStatus.REJECTED
    assert payer_on(services, "north", date(2025, 10, 1))
    again = transfers.request_transfer(services, "p-17", "west", actor="nora")
    assert isinstance(again, Success)


def test_a_withdrawn_request_can_no_longer_be_approved(services: Services) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    withdrawn = transfers.withdraw(services, request.id, actor="nora").unwrap()
    assert withdrawn.status is RequestStatus.WITHDRAWN
    late = transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam")
    assert failure_code(late) == "request-not-pending"


def test_an_admin_of_a_third_organisation_cannot_approve(services: Services) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    before = snapshot(services)
    result = transfers.approve(services, PINS, request.id, admin="wim", pin="5566", actor="wim")
    assert failure_code(result) == "unknown-admin"
    assert snapshot(services) == before


def test_a_wrong_pin_refuses_the_approval_and_says_how_many_attempts_are_left(
    services: Services,
) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    before = snapshot(services)
    result = transfers.approve(services, PINS, request.id, admin="sam", pin="0000", actor="x")
    assert failure_code(result) == "wrong-pin"
    assert "4 attempt(s) left" in result.failure().message
    assert "0000" not in result.failure().message
    assert snapshot(services) == before


def test_five_wrong_pins_lock_the_admin_even_against_the_right_pin(services: Services) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    for _ in range(5):
        wrong = transfers.approve(services, PINS, request.id, admin="sam", pin="1111", actor="x")
        assert failure_code(wrong) == "wrong-pin"
    right = transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam")
    assert failure_code(right) == "admin-locked"
    assert payer_on(services, "north", date(2025, 10, 1))


def test_another_admin_of_the_organisation_unlocks_a_locked_admin(services: Services) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    for _ in range(5):
        transfers.approve(services, PINS, request.id, admin="sam", pin="1111", actor="x")
    assert failure_code(admins.unlock_admin(services, PINS, "south", "sam", by="sam", pin="4821"))
    unlocked = admins.unlock_admin(services, PINS, "south", "sam", by="sue", pin="7302").unwrap()
    assert (unlocked.locked, unlocked.failed_attempts) == (False, 0)
    transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam").unwrap()


def test_a_right_pin_resets_the_count_of_wrong_ones(services: Services) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    for _ in range(4):
        transfers.reject(services, PINS, request.id, admin="sam", pin="1111", actor="x")
    transfers.withdraw(services, request.id, actor="nora").unwrap()
    second = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    transfers.approve(services, PINS, second.id, admin="sam", pin="4821", actor="sam").unwrap()
    listed = admins.list_admins(services, "south").unwrap()
    assert [(a.id, a.failed_attempts, a.locked) for a in listed] == [
        ("sam", 0, False),
        ("sue", 0, False),
    ]


def test_the_pin_is_stored_only_as_a_salted_hash(services: Services) -> None:
    listed = admins.list_admins(services, "south").unwrap()
    assert all("4821" not in a.pin_hash and "7302" not in a.pin_hash for a in listed)
    assert all(a.pin_hash.startswith("scrypt$") for a in listed)
    assert PINS.hash("4821") != PINS.hash("4821")


@pytest.mark.parametrize("pin", ["98", "abcd", "9876543210987", "7777", ""])
def test_a_weak_or_malformed_pin_is_refused_without_echoing_it(
    services: Services, pin: str
) -> None:
    result = admins.add_admin(services, PINS, "west", "wendy", pin)
    assert failure_code(result) == "invalid-text"
    if pin:
        assert pin not in result.failure().message


def test_a_take_over_moves_billing_at_once_with_the_takers_pin(services: Services) -> None:
    fact = transfers.take_over(
        services, PINS, "p-17", "west", admin="wim", pin="5566", actor="wim"
    ).unwrap()
    assert (fact.kind, fact.org, fact.from_org) == (FactKind.TAKEN_OVER, "west", "north")
    assert payer_on(services, "west", date(2025, 10, 1))
    assert not payer_on(services, "north", date(2025, 10, 1))


def test_a_take_over_is_refused_while_a_request_is_pending(services: Services) -> None:
    transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    result = transfers.take_over(services, PINS, "p-17", "west", admin="wim", pin="5566", actor="w")
    assert failure_code(result) == "transfer-already-pending"


def test_a_take_over_by_an_organisation_without_billing_relationship_is_refused(
    services: Services,
) -> None:
    admins.add_admin(services, PINS, "island", "ida", "2468").unwrap()
    result = transfers.take_over(
        services, PINS, "p-17", "island", admin="ida", pin="2468", actor="ida"
    )
    assert failure_code(result) == "no-billing-relationship"


def test_an_expired_request_cannot_be_approved_and_expiry_is_recorded_once(
    services: Services, clock: SimulatedDay
) -> None:
    request = transfers.request_transfer(
        services, "p-17", "south", actor="nora", expires_in_days=7
    ).unwrap()
    assert request.expires_on == date(2025, 10, 8)
    clock.day = date(2025, 10, 9)
    late = transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam")
    assert failure_code(late) == "request-expired"
    assert [r.id for r in transfers.expire_due(services, actor="system").unwrap()] == ["TR-2"]
    assert transfers.expire_due(services, actor="system").unwrap() == []
    views = transfers.list_requests(services, "north").unwrap()
    assert [v.status for v in views] == [RequestStatus.EXPIRED]


def test_a_request_that_never_expires_by_default_stays_pending_for_months(
    services: Services, clock: SimulatedDay
) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    clock.day = date(2026, 3, 1)
    assert request.expires_on is None
    views = transfers.list_requests(services, "south", pending_only=True).unwrap()
    assert [v.request.id for v in views] == [request.id]


def test_pending_outgoing_requests_carry_the_reference_date_they_must_be_approved_by(
    services: Services, clock: SimulatedDay
) -> None:
    clock.day = date(2025, 10, 20)
    transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    views = transfers.list_requests(services, "north", pending_only=True).unwrap()
    assert [(v.request.receiver, v.deadline) for v in views] == [("south", date(2025, 10, 31))]


def test_the_new_organisation_may_reactivate_a_seat_the_sender_deactivated(
    services: Services, clock: SimulatedDay
) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    clock.day = date(2025, 10, 30)
    seats.deactivate(services, "p-17", actor="nora", reason="not approved in time").unwrap()
    clock.day = date(2025, 11, 3)
    transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam").unwrap()
    seats.reactivate(services, "p-17", actor="sam").unwrap()
    assert not payer_on(services, "north", date(2025, 10, 31))
    assert not payer_on(services, "south", date(2025, 10, 31))
    assert payer_on(services, "south", date(2025, 11, 30))


def test_a_take_over_by_the_organisation_that_already_pays_is_refused(
    services: Services,
) -> None:
    admins.add_admin(services, PINS, "north", "nora-admin", "1357").unwrap()
    before = snapshot(services)
    result = transfers.take_over(
        services, PINS, "p-17", "north", admin="nora-admin", pin="1357", actor="nora"
    )
    assert failure_code(result) == "same-organisation"
    assert snapshot(services) == before
