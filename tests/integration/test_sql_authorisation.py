"""Authorisation and the audit trail on SQLite and PostgreSQL: a refused write leaves the
facts, the head and the trail as they were; an allowed one adds exactly one audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from returns.result import Failure, Success
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from seatledger.adapters.clock import FixedClock
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.adapters.sql.tables import audit_log, ledger_head, seat_facts
from seatledger.domain.audit import AuditFilter
from seatledger.domain.authorisation import Action, Role
from seatledger.domain.services import admins, operators, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import add_organisation

PINS = ScryptPinHasher(log2_n=8)


def stored(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as conn:
        return (
            conn.execute(select(seat_facts).order_by(seat_facts.c.seq)).all(),
            conn.execute(select(ledger_head)).all(),
            conn.execute(select(audit_log).order_by(audit_log.c.seq)).all(),
        )


def audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


@pytest.fixture
def closed(services: Services, clock: FixedClock) -> Services:
    """Closed by olga; north (admin nora) pays for p-17; south has admin sam."""
    steps = [
        lambda: operators.add_operator(services, "olga", actor="installer"),
        lambda: add_organisation(services, "north", "North", actor="olga"),
        lambda: add_organisation(services, "south", "South", actor="olga"),
        lambda: admins.add_admin(services, PINS, "north", "nora", "4821", actor="olga"),
        lambda: admins.add_admin(services, PINS, "south", "sam", "7302", actor="olga"),
        lambda: seats.activate(services, "p-17", "north", actor="nora"),
    ]
    for step in steps:
        clock.advance(timedelta(seconds=1))
        assert isinstance(step(), Success)
    clock.advance(timedelta(seconds=1))
    return services


def test_a_refused_write_changes_nothing_and_an_allowed_one_adds_one_entry(
    closed: Services, engine: Engine
) -> None:
    before = stored(engine)
    refused = seats.deactivate(closed, "p-17", actor="sam")
    assert isinstance(refused, Failure)
    assert refused.failure().code == "not-authorised"
    request = transfers.request_transfer(closed, "p-17", "south", actor="sam")
    assert isinstance(request, Failure)
    assert stored(engine) == before

    count = audit_count(engine)
    assert isinstance(seats.deactivate(closed, "p-17", actor="nora"), Success)
    assert audit_count(engine) == count + 1
    with closed.uow.transaction(write=False) as store:
        last = store.audit(AuditFilter(seat="p-17"))[-1]  # type: ignore[arg-type]
        facts = store.seat_facts("p-17")  # type: ignore[arg-type]
    assert (last.action, last.actor, last.role, last.org) == (
        Action.SEAT_DEACTIVATE,
        "nora",
        Role.ADMIN,
        "north",
    )
    assert last.recorded_at == facts[-1].recorded_at
    assert last.subject == f"fact #{facts[-1].seq}"


def test_the_audit_trail_and_operators_are_append_only(closed: Services, engine: Engine) -> None:
    for statement in ("UPDATE audit_log SET actor = 'eve'", "DELETE FROM operators"):
        with (
            engine.connect() as conn,
            conn.begin(),
            pytest.raises(IntegrityError, match="append-only"),
        ):
            conn.execute(text(statement))


def test_the_trail_is_asked_per_organisation_on_either_side_of_a_transfer(
    closed: Services, clock: FixedClock
) -> None:
    request = transfers.request_transfer(closed, "p-17", "south", actor="nora").unwrap()
    clock.advance(timedelta(seconds=1))
    transfers.approve(closed, PINS, request.id, admin="sam", pin="7302", actor="sam").unwrap()
    south = operators.audit_trail(closed, org="south").unwrap()
    assert [(e.action, e.org, e.other_org, e.subject) for e in south[-2:]] == [
        (Action.TRANSFER_REQUEST, "north", "south", request.id),
        (Action.TRANSFER_APPROVE, "south", "north", request.id),
    ]
    only_seat = operators.audit_trail(closed, seat="p-17").unwrap()
    assert [e.action for e in only_seat] == [
        Action.SEAT_ACTIVATE,
        Action.TRANSFER_REQUEST,
        Action.TRANSFER_APPROVE,
    ]
