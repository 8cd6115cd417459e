"""A small world for use-case tests: an in-memory ledger, a clock, and short verbs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from returns.result import Success

from seatledger.adapters.clock import FixedClock, SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.ports import LedgerHead
from seatledger.domain.seat import FactKind, SeatFact
from seatledger.domain.services import organisations, questions, seats
from seatledger.domain.services.context import Services


class Scenario:
    """Use cases bound to one in-memory ledger; ``today`` moves the simulated day."""

    def __init__(self, today: date = date(2025, 10, 15), clock: Any = None) -> None:
        self.uow = InMemoryUnitOfWork()
        self.clock: SimulatedDay | FixedClock = clock or SimulatedDay(today)
        self.services = Services(self.uow, self.clock)

    def today(self, day: date) -> None:
        self.clock = SimulatedDay(day)
        self.services = Services(self.uow, self.clock)

    def tick(self) -> None:
        """A FixedClock stands still: move it a microsecond so the next command can record."""
        if isinstance(self.clock, FixedClock) and self.head().last_recorded_at is not None:
            self.clock.advance(timedelta(microseconds=1))

    def org(self, org: str, timezone: str = "Europe/Amsterdam") -> None:
        self.tick()
        organisations.add_organisation(self.services, org, org.title(), timezone).unwrap()

    def activate(self, seat: str, org: str, on: date, **kw: Any) -> SeatFact:
        kw.setdefault("reason", "back-filled")
        self.tick()
        return seats.activate(self.services, seat, org, actor="lisa", on=on, **kw).unwrap()

    def deactivate(self, seat: str, on: date) -> SeatFact:
        self.tick()
        return seats.deactivate(self.services, seat, actor="lisa", on=on, reason="stopped").unwrap()

    def complete(self, seat: str, on: date) -> SeatFact:
        self.tick()
        return seats.complete(self.services, seat, actor="lisa", on=on, reason="done").unwrap()

    def reactivate(self, seat: str, on: date) -> SeatFact:
        self.tick()
        return seats.reactivate(self.services, seat, actor="lisa", on=on, reason="back").unwrap()

    def change_payer(self, seat: str, to: str, on: date, kind: FactKind) -> list[SeatFact]:
        with self.uow.transaction(write=True) as ledger:
            known = ledger.seat_facts(SeatId(seat))
            written = seats.change_payer(
                self.services,
                ledger,
                SeatId(seat),
                known,
                OrgId(to),
                on,
                kind=kind,
                actor="lisa",
                reason="moved",
            )
            if isinstance(written, Success):
                self.uow.commit()
            return written.unwrap()

    def billable(self, org: str, on: date, known_at: datetime | None = None) -> list[str]:
        answer = questions.seats_on(self.services, org, on, known_at).unwrap()
        return [row.seat for row in answer.rows]

    def head(self) -> LedgerHead:
        return self.uow.ledger.head()

    def state(self) -> tuple[LedgerHead, dict[SeatId, list[SeatFact]], dict[OrgId, Any]]:
        """Everything a refusal must leave untouched."""
        ledger = self.uow.ledger
        return (
            ledger.head(),
            {seat: list(facts) for seat, facts in ledger.facts.items()},
            dict(ledger.organisations),
        )
