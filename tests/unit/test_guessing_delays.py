"""Wrong PINs and passphrases: each is audited, and each makes the next check wait longer."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.authorisation import Action
from seatledger.domain.services import admins, operators, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import add_organisation
from seatledger.domain.services.throttle import MAX_DELAY, delay_after

PINS = ScryptPinHasher(log2_n=8)
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def services(waits: list[float]) -> Services:
    """North and south; operator piet has a passphrase; p-17 is north's."""
    services = Services(InMemoryUnitOfWork(), SimulatedDay(date(2025, 10, 1)))
    operators.add_operator(services, "piet", actor="x", passphrase=PASSPHRASE, pins=PINS).unwrap()
    add_organisation(services, "north", "North", actor="piet").unwrap()
    add_organisation(services, "south", "South", actor="piet").unwrap()
    admins.add_admin(services, PINS, "south", "sam", "7302", actor="piet").unwrap()
    seats.activate(services, "p-17", "north", actor="piet").unwrap()
    return attrs.evolve(services, pause=waits.append)


def entries(services: Services, action: Action) -> list[str]:
    uow = services.uow
    assert isinstance(uow, InMemoryUnitOfWork)
    return [e.summary for e in uow.ledger.audit_entries if e.action is action]


def test_the_delay_doubles_from_a_quarter_second_and_stops_at_thirty():
    assert [delay_after(n) for n in range(6)] == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
    assert delay_after(10**9) == MAX_DELAY == 30.0


def test_each_wrong_pin_is_audited_and_the_next_check_waits_longer(services, waits):
    for _ in range(5):
        transfers.take_over(services, PINS, "p-17", "south", admin="sam", pin="0000", actor="sam")
    # The first check waited for nothing, each later one for twice as long as the one before.
    assert waits == [0.25, 0.5, 1.0, 2.0]
    assert entries(services, Action.ADMIN_WRONG_PIN) == [
        f"wrong PIN for admin sam; {left} attempt(s) left" for left in (4, 3, 2, 1, 0)
    ]
    assert admins.list_admins(services, "south").unwrap()[0].locked


def test_a_right_pin_resets_the_wait(services, waits):
    transfers.take_over(services, PINS, "p-17", "south", admin="sam", pin="0000", actor="sam")
    transfers.take_over(services, PINS, "p-17", "south", admin="sam", pin="7302", actor="sam")
    assert waits == [0.25]
    seats.deactivate(services, "p-17", actor="piet").unwrap()
    seats.activate(services, "p-18", "north", actor="piet").unwrap()
    transfers.take_over(services, PINS, "p-18", "south", admin="sam", pin="7302", actor="sam")
    assert waits == [0.25]


def test_each_wrong_passphrase_is_audited_and_the_next_check_waits_longer(services, waits):
    for _ in range(5):
        transfers.take_over(services, PINS, "p-17", "south", admin="sam", pin="0000", actor="sam")
    waits.clear()
    for _ in range(3):
        refused = admins.unlock_admin(
            services, PINS, "south", "sam", by=None, pin=None, actor="piet", passphrase="guess" * 3
        )
        assert refused.failure().code == "not-authenticated"
    assert waits == [0.25, 0.5]
    assert (
        entries(services, Action.OPERATOR_WRONG_PASSPHRASE)
        == ["wrong passphrase for operator piet"] * 3
    )
    admins.unlock_admin(
        services, PINS, "south", "sam", by=None, pin=None, actor="piet", passphrase=PASSPHRASE
    ).unwrap()
    assert waits == [0.25, 0.5, 1.0]
