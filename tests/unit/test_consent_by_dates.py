"""A change of past dates needs the consent of every organisation that paid on them (0028)."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from returns.result import Failure, Success

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.audit import AuditFilter
from seatledger.domain.consent import payers_of_changed_dates
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.seat import FactKind
from seatledger.domain.services import admins, operators, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import add_organisation
from seatledger.domain.timeline import timeline

PINS = ScryptPinHasher(log2_n=8)


def closed_ledger() -> tuple[Services, SimulatedDay]:
    """South activates p-9 on 1 September; north's admin takes it over on 10 October."""
    clock = SimulatedDay(date(2025, 9, 1))
    services = Services(InMemoryUnitOfWork(), clock)
    operators.add_operator(services, "olga", actor="installer").unwrap()
    add_organisation(services, "north", "North Clinic", actor="olga").unwrap()
    add_organisation(services, "south", "South Clinic", actor="olga").unwrap()
    admins.add_admin(services, PINS, "north", "nora", "4821", actor="olga").unwrap()
    admins.add_admin(services, PINS, "south", "sam", "7302", actor="olga").unwrap()
    seats.activate(services, "p-9", "south", actor="sam").unwrap()
    clock.day = date(2025, 10, 10)
    transfers.take_over(
        services, PINS, "p-9", "north", admin="nora", pin="4821", actor="nora"
    ).unwrap()
    return services, clock


def state(services: Services) -> object:
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    return (uow.ledger.head(), dict(uow.ledger.facts), list(uow.ledger.audit_entries))


def trail_of(services: Services, org: str) -> list[tuple[str, str]]:
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    return [(e.action.value, e.actor) for e in uow.ledger.audit(AuditFilter(org=OrgId(org)))]


def activation_seq(services: Services) -> int:
    found = seats.history(services, "p-9").unwrap()
    return next(e.fact.seq for e in found.entries if e.fact.kind.value == "activated")


def test_north_cannot_move_the_activation_into_souths_september() -> None:
    services, _ = closed_ledger()
    before = state(services)
    refused = seats.correct(
        services,
        "p-9",
        activation_seq(services),
        on=date(2025, 8, 15),
        actor="nora",
        reason="really began in August",
    )
    assert isinstance(refused, Failure)
    assert refused.failure().code == "not-authorised"
    assert "'south'" in refused.failure().message
    assert "another organisation paid for" in refused.failure().message
    assert state(services) == before


def test_south_cannot_retract_the_owner_change_that_made_it_pay() -> None:
    # An operator moves p-9 (north's since the take-over) back to south on 12 October;
    # south retracting that move would bill north again from 12 October on.
    services, clock = closed_ledger()
    clock.day = date(2025, 10, 12)
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    with uow.transaction(write=True) as ledger:
        sid = SeatId("p-9")
        known = ledger.seat_facts(sid)
        moved = seats.change_payer(
            services,
            ledger,
            sid,
            known,
            OrgId("south"),
            date(2025, 10, 12),
            kind=FactKind.OWNER_CHANGED,
            actor="olga",
        ).unwrap()
        uow.commit()
    before = state(services)
    refused = seats.retract(services, "p-9", moved[-1].seq, actor="sam", reason="never")
    assert isinstance(refused, Failure)
    assert refused.failure().code == "not-authorised"
    assert "'north'" in refused.failure().message
    assert state(services) == before
    done = seats.retract(services, "p-9", moved[-1].seq, actor="olga", reason="a mistake")
    assert isinstance(done, Success)
    assert trail_of(services, "north")[-1] == ("seat.retract", "olga")
    assert trail_of(services, "south")[-1] == ("seat.retract", "olga")


def test_north_cannot_deactivate_back_into_souths_dates_but_may_from_its_own() -> None:
    services, clock = closed_ledger()
    clock.day = date(2025, 10, 20)
    before = state(services)
    refused = seats.deactivate(services, "p-9", actor="nora", on=date(2025, 9, 20), reason="left")
    assert isinstance(refused, Failure)
    assert refused.failure().code == "not-authorised"
    assert state(services) == before
    own = seats.deactivate(services, "p-9", actor="nora", on=date(2025, 10, 15), reason="left")
    assert isinstance(own, Success)
    assert trail_of(services, "north")[-1] == ("seat.deactivate", "nora")
    assert ("seat.deactivate", "nora") not in trail_of(services, "south")


def test_an_operators_correction_of_souths_dates_is_audited_under_both_organisations() -> None:
    services, _ = closed_ledger()
    done = seats.correct(
        services,
        "p-9",
        activation_seq(services),
        on=date(2025, 8, 15),
        actor="olga",
        reason="really began in August",
    )
    assert isinstance(done, Success)
    assert trail_of(services, "south")[-1] == ("seat.correct", "olga")
    assert trail_of(services, "north")[-1] == ("seat.correct", "olga")


def test_south_may_not_correct_its_old_dates_on_a_seat_north_now_pays_for() -> None:
    # The current payer is always concerned: the seat is north's now.
    services, _ = closed_ledger()
    refused = seats.correct(
        services,
        "p-9",
        activation_seq(services),
        on=date(2025, 8, 15),
        actor="sam",
        reason="really began in August",
    )
    assert isinstance(refused, Failure)
    assert refused.failure().code == "not-authorised"


@pytest.mark.parametrize(
    ("moved_to", "expected"),
    [
        (date(2025, 8, 15), {"south"}),  # earlier: south pays from mid-August
        (date(2025, 9, 20), {"south"}),  # later, still before the take-over
        (date(2025, 9, 1), set()),  # the same date: nothing changes
    ],
)
def test_the_payers_of_changed_dates_are_those_paying_where_billing_differs(
    moved_to: date, expected: set[str]
) -> None:
    services, _ = closed_ledger()
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    facts = list(uow.ledger.seat_facts(SeatId("p-9")))
    before = timeline(SeatId("p-9"), facts).unwrap()
    first = facts[0]
    moved = attrs.evolve(first, seq=99, effective_on=moved_to, supersedes=first.seq)
    after = timeline(SeatId("p-9"), [*facts, moved])
    assert payers_of_changed_dates(before, after.unwrap()) == frozenset(OrgId(o) for o in expected)


def test_a_change_that_bills_nothing_differently_touches_no_one() -> None:
    services, _ = closed_ledger()
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    known = timeline(SeatId("p-9"), uow.ledger.seat_facts(SeatId("p-9"))).unwrap()
    assert payers_of_changed_dates(known, known) == frozenset()
