"""An in-memory ledger: the reference implementation of the repository port.

It answers every question by folding each seat's facts with the pure domain
functions, so it is what the domain *means*; the SQL adapter must answer
exactly as it does. Used by unit tests and property tests.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime

from seatledger.domain import queries
from seatledger.domain.admins import Admin
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead
from seatledger.domain.queries import RangeMode, SeatRow
from seatledger.domain.seat import FactKind, SeatFact
from seatledger.domain.timeline import BillingSpan, timeline


class InMemoryLedger:
    def __init__(self) -> None:
        self.organisations: dict[OrgId, Organisation] = {}
        self.facts: dict[SeatId, list[SeatFact]] = {}
        self._head = LedgerHead()
        self.admins: dict[tuple[OrgId, str], Admin] = {}

    def snapshot(self) -> InMemoryLedger:
        """A copy that can be changed without touching this one (facts are immutable)."""
        copied = InMemoryLedger()
        copied.organisations = dict(self.organisations)
        copied.facts = {seat: list(facts) for seat, facts in self.facts.items()}
        copied._head = self._head
        copied.admins = dict(self.admins)
        return copied

    # --- organisations ------------------------------------------------------
    def add_organisation(self, org: Organisation, recorded_at: datetime) -> None:
        self.organisations[org.id] = org
        self._head = LedgerHead(self._head.last_seq, recorded_at)

    def get_organisation(self, org: OrgId) -> Organisation | None:
        return self.organisations.get(org)

    def list_organisations(self) -> Sequence[Organisation]:
        return sorted(self.organisations.values(), key=lambda o: o.id)

    # --- facts ----------------------------------------------------------------
    def head(self) -> LedgerHead:
        return self._head

    def seat_facts(self, seat: SeatId) -> Sequence[SeatFact]:
        return list(self.facts.get(seat, []))

    def existing_seats(self, seats: Collection[SeatId]) -> set[SeatId]:
        return {s for s in seats if s in self.facts}

    def append(self, facts: Sequence[SeatFact], head: LedgerHead) -> None:
        for fact in facts:
            self.facts.setdefault(fact.seat, []).append(fact)
        self._head = head

    # --- questions --------------------------------------------------------------
    def spans(self, known_at: datetime | None) -> list[BillingSpan]:
        result: list[BillingSpan] = []
        for seat, seat_facts in self.facts.items():
            # Stored histories always fold: every append was validated first.
            result.extend(timeline(seat, seat_facts, known_at).unwrap().spans())
        return result

    def billable_on(self, org: OrgId, on: date, known_at: datetime | None) -> Sequence[SeatRow]:
        return queries.billable_on(self.spans(known_at), org, on)

    def count_billable(self, org: OrgId, on: date, known_at: datetime | None) -> int:
        return len(self.billable_on(org, on, known_at))

    def active_within(
        self, org: OrgId, first: date, last: date, mode: RangeMode, known_at: datetime | None
    ) -> Sequence[SeatRow]:
        return queries.active_within(self.spans(known_at), org, first, last, mode)

    # --- admins -------------------------------------------------------------------
    def add_admin(self, admin: Admin) -> None:
        self.admins[(admin.org, admin.id)] = admin

    def get_admin(self, org: OrgId, admin: str) -> Admin | None:
        return self.admins.get((org, admin))

    def save_admin(self, admin: Admin) -> None:
        self.admins[(admin.org, admin.id)] = admin

    def list_admins(self, org: OrgId) -> Sequence[Admin]:
        return sorted((a for a in self.admins.values() if a.org == org), key=lambda a: a.id)

    # --- transfers --------------------------------------------------------------------
    def transfer_facts(self, org: OrgId | None) -> Sequence[SeatFact]:
        every = sorted(
            (f for facts in self.facts.values() for f in facts if f.request is not None),
            key=lambda f: f.seq,
        )
        if org is None:
            return every
        involved = {
            f.request
            for f in every
            if f.kind is FactKind.TRANSFER_REQUESTED and org in (f.org, f.from_org)
        }
        return [f for f in every if f.request in involved]

    def request_facts(self, request: str) -> Sequence[SeatFact]:
        return [f for f in self.transfer_facts(None) if f.request == request]


class InMemoryUnitOfWork:
    """Transactions over an InMemoryLedger: a write works on a copy, kept only on commit."""

    def __init__(self, ledger: InMemoryLedger | None = None) -> None:
        self.ledger = ledger or InMemoryLedger()
        self._working: InMemoryLedger | None = None
        self.commits = 0

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[InMemoryLedger]:
        if not write:
            yield self.ledger
            return
        self._working = self.ledger.snapshot()
        try:
            yield self._working
        finally:
            self._working = None

    def commit(self) -> None:
        if self._working is None:
            raise RuntimeError("commit outside a write transaction")
        self.ledger.organisations = self._working.organisations
        self.ledger.facts = self._working.facts
        self.ledger._head = self._working._head
        self.ledger.admins = self._working.admins
        self.commits += 1
