"""The transfer workflow and admins, end to end on real databases through the SQL adapter."""

from __future__ import annotations

from datetime import date

from returns.result import Failure
from sqlalchemy import Engine

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.sql import SqlUnitOfWork
from seatledger.domain.errors import WrongPin
from seatledger.domain.identifiers import OrgId
from seatledger.domain.services import admins, organisations, questions, seats, transfers
from seatledger.domain.services.context import Services


class PlainPins:
    """A test hasher: fast and obviously not for production."""

    def hash(self, pin: str) -> str:
        return f"plain${pin}"

    def verify(self, pin: str, pin_hash: str) -> bool:
        return pin_hash == f"plain${pin}"


PINS = PlainPins()


def pays_on(services: Services, org: str, day: date) -> list[str]:
    return [row.seat for row in questions.seats_on(services, org, day).unwrap().rows]


def test_an_approved_transfer_moves_billing_from_the_approval_day_and_keeps_its_history(
    engine: Engine,
) -> None:
    clock = SimulatedDay(date(2025, 9, 1))
    services = Services(SqlUnitOfWork(engine), clock)
    organisations.add_organisation(services, "north", "North").unwrap()
    organisations.add_organisation(services, "south", "South").unwrap()
    admins.add_admin(services, PINS, "south", "sam", "4821").unwrap()
    seats.activate(services, "p-17", "north", actor="nora").unwrap()

    clock.day = date(2025, 10, 1)
    request = transfers.request_transfer(services, "p-17", "south", actor="nora").unwrap()
    wrong = transfers.approve(services, PINS, request.id, admin="sam", pin="1111", actor="sam")
    assert isinstance(wrong, Failure)
    assert isinstance(wrong.failure(), WrongPin)
    with SqlUnitOfWork(engine).transaction(write=False) as ledger:
        sam = ledger.get_admin(OrgId("south"), "sam")
        assert sam is not None
        assert sam.failed_attempts == 1

    clock.day = date(2025, 10, 31)
    approved = transfers.approve(services, PINS, request.id, admin="sam", pin="4821", actor="sam")
    assert approved.unwrap().status is not request.status
    assert pays_on(services, "south", date(2025, 10, 31)) == ["p-17"]
    assert pays_on(services, "north", date(2025, 10, 30)) == ["p-17"]
    assert pays_on(services, "north", date(2025, 10, 31)) == []

    listed = transfers.list_requests(services, "north").unwrap()
    assert [view.request.id for view in listed] == [request.id]
    with SqlUnitOfWork(engine).transaction(write=False) as ledger:
        kinds = [f.kind.value for f in ledger.request_facts(request.id)]
        assert kinds == ["transfer-requested", "transfer-approved"]
        sam = ledger.get_admin(OrgId("south"), "sam")
        assert sam is not None
        assert sam.failed_attempts == 0
