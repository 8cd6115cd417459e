"""A state machine over transfers: requests, approvals, rejections, withdrawals, take-overs.

Invariants cited from docs/invariants.md:
INV-1  a seat has exactly one paying organisation on every date it is active;
INV-6  on any date, the billable seats of all organisations add up to the active seats;
INV-7  a pending request never changes who pays;
INV-8  an approval or take-over after D never changes D's payer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from returns.result import Failure, Success

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.pin_hasher import ScryptPinHasher
from seatledger.domain.services import admins, questions, seats, transfers
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import add_organisation
from seatledger.domain.transfers import RequestStatus

PINS = ScryptPinHasher(log2_n=4)
ORGS = ("north", "south", "west")
SEATS = ("a", "b", "c", "d")
PIN = "2580"
START = date(2025, 1, 1)


class TransferMachine(RuleBasedStateMachine):
    @initialize()
    def set_up(self) -> None:
        self.clock = SimulatedDay(START)
        self.services = Services(InMemoryUnitOfWork(), self.clock)
        for org in ORGS:
            add_organisation(self.services, org, org.title()).unwrap()
            admins.add_admin(self.services, PINS, org, f"{org}-admin", PIN).unwrap()
        add_organisation(self.services, "island", "Island", billing_relationship=False).unwrap()
        for i, seat in enumerate(SEATS):
            seats.activate(self.services, seat, ORGS[i % len(ORGS)], actor="setup").unwrap()
        # Answers remembered with their cut: (org, day, cut) -> seats.
        self.remembered: dict[tuple[str, date, datetime | None], tuple[str, ...]] = {}

    # --- time ------------------------------------------------------------------
    @rule(days=st.integers(min_value=0, max_value=20))
    def time_passes(self, days: int) -> None:
        self.clock.day += timedelta(days=days)

    # --- the workflow --------------------------------------------------------------
    @rule(seat=st.sampled_from(SEATS), to=st.sampled_from((*ORGS, "island")))
    def request(self, seat: str, to: str) -> None:
        before = self._payers_today()
        if isinstance(transfers.request_transfer(self.services, seat, to, actor="sender"), Success):
            event("request sent")
        assert self._payers_today() == before, "INV-7: a request moved a seat's billing"

    @rule(data=st.data(), approve=st.booleans(), right_pin=st.booleans())
    def decide(self, data: st.DataObject, approve: bool, right_pin: bool) -> None:
        pending = self._pending()
        if not pending:
            return
        request = data.draw(st.sampled_from(pending))
        admin = f"{request.receiver}-admin"
        pin = PIN if right_pin else "9999"
        before = self._payers_on(self.clock.day - timedelta(days=1))
        decide = transfers.approve if approve else transfers.reject
        result = decide(self.services, PINS, request.id, admin=admin, pin=pin, actor="receiver")
        if not right_pin:
            assert isinstance(result, Failure), "a wrong PIN decided a request"
            event("wrong PIN refused")
        elif isinstance(result, Success):
            event("request approved" if approve else "request rejected")
        assert self._payers_on(self.clock.day - timedelta(days=1)) == before, (
            "INV-8: a decision today changed yesterday's payer"
        )
        self._unlock_all()

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        pending = self._pending()
        if pending:
            request = data.draw(st.sampled_from(pending))
            transfers.withdraw(self.services, request.id, actor="sender").unwrap()

    @rule(seat=st.sampled_from(SEATS), by=st.sampled_from(ORGS))
    def take_over(self, seat: str, by: str) -> None:
        before = self._payers_on(self.clock.day - timedelta(days=1))
        taken = transfers.take_over(
            self.services, PINS, seat, by, admin=f"{by}-admin", pin=PIN, actor="taker"
        )
        if isinstance(taken, Success):
            event("seat taken over")
        assert self._payers_on(self.clock.day - timedelta(days=1)) == before, (
            "INV-8: a take-over today changed yesterday's payer"
        )

    @rule(seat=st.sampled_from(SEATS))
    def deactivate(self, seat: str) -> None:
        seats.deactivate(self.services, seat, actor="sender")

    @rule(seat=st.sampled_from(SEATS))
    def reactivate(self, seat: str) -> None:
        seats.reactivate(self.services, seat, actor="receiver")

    @precondition(lambda self: len(self.remembered) < 30)
    @rule(org=st.sampled_from(ORGS), back=st.integers(min_value=0, max_value=40))
    def remember_an_answer(self, org: str, back: int) -> None:
        day = max(START, self.clock.day - timedelta(days=back))
        answer = questions.seats_on(self.services, org, day).unwrap()
        self.remembered[(org, day, answer.as_known_at)] = tuple(r.seat for r in answer.rows)

    # --- invariants ------------------------------------------------------------------
    @invariant()
    def every_active_seat_has_exactly_one_payer(self) -> None:
        """INV-1 and INV-6, over the last few weeks."""
        for back in range(0, 45, 4):
            day = max(START, self.clock.day - timedelta(days=back))
            billed = [
                row.seat
                for org in (*ORGS, "island")
                for row in questions.seats_on(self.services, org, day).unwrap().rows
            ]
            assert len(billed) == len(set(billed)), f"INV-1: a seat billed twice on {day}"
            active = {
                seat
                for seat in SEATS
                if seats.history(self.services, seat).unwrap().timeline.is_active_on(day)
            }
            assert set(billed) == active, f"INV-6: billed {sorted(billed)} != active on {day}"

    @invariant()
    def an_organisation_without_billing_relationship_never_pays(self) -> None:
        rows = questions.seats_on(self.services, "island", self.clock.day).unwrap().rows
        assert rows == ()

    @invariant()
    def remembered_answers_never_change(self) -> None:
        """INV-2 across transfers: as known at a past cut, the answer stays."""
        for (org, day, cut), seats_then in self.remembered.items():
            again = questions.seats_on(self.services, org, day, cut).unwrap()
            assert tuple(r.seat for r in again.rows) == seats_then

    @invariant()
    def a_seat_has_at_most_one_pending_request(self) -> None:
        pending = [r.seat for r in self._pending()]
        assert len(pending) == len(set(pending))

    # --- helpers ---------------------------------------------------------------------
    def _pending(self) -> list[transfers.TransferRequest]:
        views = transfers.list_requests(self.services, pending_only=True).unwrap()
        return [v.request for v in views if v.status is RequestStatus.PENDING]

    def _payers_on(self, day: date) -> dict[str, str]:
        payers: dict[str, str] = {}
        for org in ORGS:
            for row in questions.seats_on(self.services, org, day).unwrap().rows:
                payers[row.seat] = org
        return payers

    def _payers_today(self) -> dict[str, str]:
        return self._payers_on(self.clock.day)

    def _unlock_all(self) -> None:
        uow = self.services.uow
        assert isinstance(uow, InMemoryUnitOfWork)
        for key, admin in list(uow.ledger.admins.items()):
            if admin.failed_attempts:
                uow.ledger.admins[key] = type(admin)(admin.org, admin.id, admin.pin_hash)


TransferMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestTransfers = TransferMachine.TestCase
