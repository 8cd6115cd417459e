"""Use cases in a closed ledger: who may do what; refusals change nothing; writes are audited."""

from __future__ import annotations

from datetime import date

import pytest
from returns.result import Failure, Success

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.audit import AuditFilter
from seatledger.domain.authorisation import Action, Role
from seatledger.domain.identifiers import OrgId
from seatledger.domain.services import admins, contracts, operators, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.organisations import add_organisation

PINS = ScryptPinHasher(log2_n=8)


@pytest.fixture
def services() -> Services:
    """North (admin nora) and south (admin sam), closed by operator olga; p-17 is north's."""
    services = Services(InMemoryUnitOfWork(), SimulatedDay(date(2025, 10, 1)))
    operators.add_operator(services, "olga", actor="installer").unwrap()
    add_organisation(services, "north", "North Clinic", actor="olga").unwrap()
    add_organisation(services, "south", "South Clinic", actor="olga").unwrap()
    admins.add_admin(services, PINS, "north", "nora", "4821", actor="olga").unwrap()
    admins.add_admin(services, PINS, "south", "sam", "7302", actor="olga").unwrap()
    seats.activate(services, "p-17", "north", actor="nora").unwrap()
    return services


def state(services: Services) -> object:
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    ledger = uow.ledger
    return (ledger.head(), dict(ledger.facts), list(ledger.audit_entries), dict(ledger.admins))


def code_of(result: object) -> str:
    assert isinstance(result, Failure), f"expected a refusal, got {result!r}"
    return str(result.failure().code)


def trail(services: Services, **chosen: object) -> list[tuple[str, str, Role]]:
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    return [
        (e.action.value, e.actor, e.role)
        for e in uow.ledger.audit(AuditFilter(**chosen))  # type: ignore[arg-type]
    ]


def test_the_first_operator_closes_the_ledger_and_a_stranger_is_then_refused() -> None:
    services = Services(InMemoryUnitOfWork(), SimulatedDay(date(2025, 10, 1)))
    assert isinstance(add_organisation(services, "north", "North", actor="anyone"), Success)
    operators.add_operator(services, "olga", actor="anyone").unwrap()
    assert code_of(add_organisation(services, "south", "South", actor="anyone")) == (
        "not-authorised"
    )
    assert code_of(operators.add_operator(services, "eve", actor="eve")) == "not-authorised"
    assert isinstance(operators.add_operator(services, "piet", actor="olga"), Success)
    assert [o.name for o in operators.list_operators(services)] == ["olga", "piet"]


def test_an_admin_of_the_paying_org_deactivates_and_another_orgs_admin_is_refused(
    services: Services,
) -> None:
    before = state(services)
    refused = seats.deactivate(services, "p-17", actor="sam")
    assert code_of(refused) == "not-authorised"
    assert "'sam' may not seat.deactivate for organisation 'north'" in refused.failure().message
    assert state(services) == before
    assert isinstance(seats.deactivate(services, "p-17", actor="nora"), Success)
    assert trail(services, seat="p-17")[-1] == ("seat.deactivate", "nora", Role.ADMIN)


def test_an_operator_changes_any_seat_and_is_audited_as_operator(services: Services) -> None:
    assert isinstance(seats.complete(services, "p-17", actor="olga"), Success)
    assert trail(services, seat="p-17")[-1] == ("seat.complete", "olga", Role.OPERATOR)


def test_activation_is_for_an_admin_of_the_organisation_it_is_for(services: Services) -> None:
    assert code_of(seats.activate(services, "s-1", "south", actor="nora")) == "not-authorised"
    assert isinstance(seats.activate(services, "s-1", "south", actor="sam"), Success)


def test_the_sender_requests_and_withdraws_and_the_receiver_rejects(services: Services) -> None:
    assert code_of(transfers.request_transfer(services, "p-17", "south", actor="sam")) == (
        "not-authorised"
    )
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    assert code_of(transfers.withdraw(services, request.id, actor="sam")) == "not-authorised"
    assert code_of(
        transfers.reject(services, PINS, request.id, admin="sam", pin="7302", actor="nora")
    ) == ("not-authorised")
    rejected = transfers.reject(services, PINS, request.id, admin="sam", pin="7302", actor="sam")
    assert isinstance(rejected, Success)
    assert trail(services, org=OrgId("south"))[-2:] == [
        ("transfer.request", "nora", Role.ADMIN),
        ("transfer.reject", "sam", Role.ADMIN),
    ]


def test_an_operator_cannot_approve_for_the_receiver_even_with_its_admins_pin(
    services: Services,
) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="olga").unwrap()
    before = state(services)
    refused = transfers.approve(services, PINS, request.id, admin="sam", pin="7302", actor="olga")
    assert code_of(refused) == "not-authorised"
    assert state(services) == before
    approved = transfers.approve(services, PINS, request.id, admin="sam", pin="7302", actor="sam")
    assert isinstance(approved, Success)


def test_a_refused_actor_does_not_spend_the_admins_pin_attempts(services: Services) -> None:
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    refused = transfers.approve(services, PINS, request.id, admin="sam", pin="0000", actor="nora")
    assert code_of(refused) == "not-authorised"
    assert admins.list_admins(services, "south").unwrap()[0].failed_attempts == 0


def test_take_over_needs_the_taking_organisations_admin(services: Services) -> None:
    refused = transfers.take_over(
        services, PINS, "p-17", "south", admin="sam", pin="7302", actor="olga"
    )
    assert code_of(refused) == "not-authorised"
    taken = transfers.take_over(
        services, PINS, "p-17", "south", admin="sam", pin="7302", actor="sam"
    )
    assert isinstance(taken, Success)
    assert trail(services, seat="p-17")[-1] == ("transfer.take-over", "sam", Role.ADMIN)


def test_an_admin_chooses_the_plan_but_the_vendors_terms_are_for_operators(
    services: Services,
) -> None:
    from seatledger.adapters.catalog.loader import load_catalog

    catalog = load_catalog(None).unwrap()
    plan = ContractTerms(plan="standard")
    assert isinstance(
        contracts.set_contract(services, catalog, "north", plan, actor="nora"), Success
    )
    licensed = ContractTerms(licensed=10, overage_price=None)
    assert code_of(contracts.set_contract(services, catalog, "north", licensed, actor="nora")) == (
        "not-authorised"
    )
    assert trail(services, org=OrgId("north"))[-1] == ("contract.set", "nora", Role.ADMIN)


def test_an_operator_unlocks_without_a_pin_and_an_admin_needs_one(services: Services) -> None:
    for _ in range(5):
        transfers.take_over(services, PINS, "p-17", "south", admin="sam", pin="0000", actor="sam")
    assert admins.list_admins(services, "south").unwrap()[0].locked
    refused = admins.unlock_admin(services, PINS, "south", "sam", by=None, pin=None, actor="nora")
    assert code_of(refused) == "not-authorised"
    # An operator proves who they are (decision 0029): olga was registered without a
    # passphrase, so naming her is not enough; piet has one and must give it.
    unproved = admins.unlock_admin(services, PINS, "south", "sam", by=None, pin=None, actor="olga")
    assert code_of(unproved) == "not-authenticated"
    passphrase = "correct horse battery staple"
    operators.add_operator(services, "piet", actor="olga", passphrase=passphrase, pins=PINS)
    for given in (None, "wrong horse battery staple"):
        attempt = admins.unlock_admin(
            services, PINS, "south", "sam", by=None, pin=None, actor="piet", passphrase=given
        )
        assert code_of(attempt) == "not-authenticated"
    assert admins.list_admins(services, "south").unwrap()[0].locked
    unlocked = admins.unlock_admin(
        services, PINS, "south", "sam", by=None, pin=None, actor="piet", passphrase=passphrase
    )
    assert isinstance(unlocked, Success)
    assert trail(services, org=OrgId("south"))[-1] == ("admin.unlock", "piet", Role.OPERATOR)


def test_an_operators_passphrase_is_checked_and_stored_only_hashed(services: Services) -> None:
    short = operators.add_operator(services, "piet", actor="olga", passphrase="short", pins=PINS)
    assert code_of(short) == "invalid-text"
    added = operators.add_operator(
        services, "piet", actor="olga", passphrase="a long enough secret", pins=PINS
    ).unwrap()
    assert added.credential_hash is not None
    assert "a long enough secret" not in added.credential_hash
    assert PINS.verify("a long enough secret", added.credential_hash)


def test_every_allowed_write_adds_exactly_one_audit_entry(services: Services) -> None:
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    count = len(uow.ledger.audit_entries)
    seats.deactivate(services, "p-17", actor="nora", on=date(2025, 10, 1)).unwrap()
    assert len(uow.ledger.audit_entries) == count + 1
    entry = uow.ledger.audit_entries[-1]
    assert entry.action is Action.SEAT_DEACTIVATE
    assert (entry.org, entry.seat, entry.subject) == ("north", "p-17", "fact #2")
    assert entry.recorded_at == uow.ledger.facts["p-17"][-1].recorded_at
