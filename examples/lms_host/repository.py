"""Pattern (b): seatledger's repository port implemented over the host's own tables.

``LmsLedger`` derives each learner's seat facts from its row — an
activation fact on ``activated_on`` (billed to ``client_id``, the holder its
name, a student seat if ``is_student``) and a deactivation fact on
``deactivated_on`` — and answers the questions by folding those facts with
seatledger's pure domain (``timeline`` and ``queries``), exactly as
seatledger's own in-memory reference store does. Billing questions are thus
computed straight from the host's data, with no copy to keep in step.

It is a **read-only adapter over the host's tables**: every write method
raises ``NotImplementedError`` (``READ_ONLY``), and so does a write
transaction. Seats change in the host, through the host's own screens.

What it cannot know: the host overwrites rows in place, so there is one
active interval per learner (a reactivation replaces the old one) and no
record of what was known when. Facts are recorded at the row's
``updated_at`` (or at a fixed ``recorded_at`` instant, if given); an "as
known at" question before that instant does not see the row. For a true
bitemporal history use pattern (a), the events.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Final

from seatledger.domain import queries
from seatledger.domain.admins import Admin
from seatledger.domain.audit import AuditEntry, AuditFilter
from seatledger.domain.authorisation import Operator
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period
from seatledger.domain.idempotency import IdempotencyKey, IdempotencyRecord
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import Invoice
from seatledger.domain.notifications import Contact, Message
from seatledger.domain.organisation import Organisation
from seatledger.domain.outbox import DeliveryStatus, OutboxEntry
from seatledger.domain.parties import BuyerDetails, Seller
from seatledger.domain.ports import LedgerHead
from seatledger.domain.queries import RangeMode, SeatRow
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.timeline import BillingSpan, timeline
from seatledger.domain.usage import UsageRecord

from .schema import Learner, connect_lms, learner_of

READ_ONLY: Final = "read-only adapter over the host's tables"
SEAT_PREFIX: Final = "learner-"
ACTOR: Final = "lms"


def learner_id_of(seat: SeatId) -> int | None:
    """The learner behind a seat id, or None if it is not one of the host's."""
    if not seat.startswith(SEAT_PREFIX) or not seat[len(SEAT_PREFIX) :].isdigit():
        return None
    return int(seat[len(SEAT_PREFIX) :])


class LmsLedger:
    """seatledger's ``Store`` port over the host's ``clients`` and ``learners`` (read side)."""

    def __init__(self, conn: sqlite3.Connection, *, recorded_at: datetime | None = None) -> None:
        self._conn = conn
        self._recorded_at = recorded_at

    # --- facts derived from rows ------------------------------------------------
    def facts_of(self, learner: Learner) -> list[SeatFact]:
        """The activation and (if any) deactivation fact of one learner's row."""
        seat = SeatId(f"{SEAT_PREFIX}{learner.id}")
        at = self._recorded_at or learner.updated_at
        facts = [
            SeatFact(
                seq=2 * learner.id - 1,
                seat=seat,
                kind=FactKind.ACTIVATED,
                effective_on=learner.activated_on,
                recorded_at=at,
                actor=ACTOR,
                org=OrgId(learner.client_id),
                holder=learner.name,
                seat_kind=SeatKind.STUDENT if learner.is_student else SeatKind.REGULAR,
            )
        ]
        if learner.deactivated_on is not None:
            facts.append(
                SeatFact(
                    seq=2 * learner.id,
                    seat=seat,
                    kind=FactKind.DEACTIVATED,
                    effective_on=learner.deactivated_on,
                    recorded_at=at,
                    actor=ACTOR,
                )
            )
        return facts

    def _learners(self, client_id: str | None) -> list[Learner]:
        if client_id is None:
            rows = self._conn.execute("SELECT * FROM learners ORDER BY id").fetchall()
        else:
            rows = self._conn.execute(
                "SELECT * FROM learners WHERE client_id = ? ORDER BY id", (client_id,)
            ).fetchall()
        return [learner_of(row) for row in rows]

    def spans(self, org: OrgId, known_at: datetime | None) -> list[BillingSpan]:
        """The billing spans of ``org``'s learners, folded by the pure domain."""
        result: list[BillingSpan] = []
        for learner in self._learners(org):
            facts = self.facts_of(learner)
            folded = timeline(facts[0].seat, facts, known_at)
            # A row whose dates do not fold (deactivated before activated) is the
            # host's data error: it raises, as a corrupt history would.
            result.extend(folded.unwrap().spans())
        return result

    # --- organisations --------------------------------------------------------------
    def get_organisation(self, org: OrgId) -> Organisation | None:
        row = self._conn.execute(
            "SELECT id, name, timezone FROM clients WHERE id = ?", (org,)
        ).fetchone()
        if row is None:
            return None
        return Organisation(OrgId(row["id"]), row["name"], row["timezone"])

    def list_organisations(self) -> Sequence[Organisation]:
        rows = self._conn.execute("SELECT id, name, timezone FROM clients ORDER BY id").fetchall()
        return [Organisation(OrgId(r["id"]), r["name"], r["timezone"]) for r in rows]

    def add_organisation(self, org: Organisation, recorded_at: datetime) -> None:
        raise NotImplementedError(READ_ONLY)

    # --- the seat ledger ------------------------------------------------------------
    def head(self) -> LedgerHead:
        row = self._conn.execute(
            "SELECT MAX(id) AS last_id, MAX(updated_at) AS last_at FROM learners"
        ).fetchone()
        if row is None or row["last_id"] is None:
            return LedgerHead()
        at = self._recorded_at or datetime.fromisoformat(row["last_at"])
        return LedgerHead(2 * int(row["last_id"]), at)

    def seat_facts(self, seat: SeatId) -> Sequence[SeatFact]:
        learner = learner_id_of(seat)
        if learner is None:
            return []
        row = self._conn.execute("SELECT * FROM learners WHERE id = ?", (learner,)).fetchone()
        return [] if row is None else self.facts_of(learner_of(row))

    def seat_facts_of(self, seats: Collection[SeatId]) -> Mapping[SeatId, Sequence[SeatFact]]:
        return {seat: facts for seat in seats if (facts := self.seat_facts(seat))}

    def existing_seats(self, seats: Collection[SeatId]) -> set[SeatId]:
        return {seat for seat in seats if self.seat_facts(seat)}

    def append(self, facts: Sequence[SeatFact], head: LedgerHead) -> None:
        raise NotImplementedError(READ_ONLY)

    def billable_on(self, org: OrgId, on: date, known_at: datetime | None) -> Sequence[SeatRow]:
        return queries.billable_on(self.spans(org, known_at), org, on)

    def count_billable(self, org: OrgId, on: date, known_at: datetime | None) -> int:
        return len(self.billable_on(org, on, known_at))

    def active_within(
        self, org: OrgId, first: date, last: date, mode: RangeMode, known_at: datetime | None
    ) -> Sequence[SeatRow]:
        return queries.active_within(self.spans(org, known_at), org, first, last, mode)

    # --- what the host does not have: no admins, transfers, contracts, invoices ----------
    def add_admin(self, admin: Admin) -> None:
        raise NotImplementedError(READ_ONLY)

    def get_admin(self, org: OrgId, admin: str) -> Admin | None:
        return None

    def save_admin(self, admin: Admin) -> None:
        raise NotImplementedError(READ_ONLY)

    def list_admins(self, org: OrgId) -> Sequence[Admin]:
        return []

    def transfer_facts(self, org: OrgId | None) -> Sequence[SeatFact]:
        return []

    def request_facts(self, request: str) -> Sequence[SeatFact]:
        return []

    def add_contract(self, contract: Contract, head: LedgerHead) -> None:
        raise NotImplementedError(READ_ONLY)

    def contracts(self, org: OrgId) -> Sequence[Contract]:
        return []

    def every_contract(self) -> Mapping[OrgId, Sequence[Contract]]:
        return {}

    def add_usage(self, record: UsageRecord, head: LedgerHead) -> None:
        raise NotImplementedError(READ_ONLY)

    def usage(
        self, org: OrgId, first: date, last: date, known_at: datetime | None
    ) -> Sequence[UsageRecord]:
        return []

    def add_invoice(self, invoice: Invoice) -> None:
        raise NotImplementedError(READ_ONLY)

    def get_invoice(self, invoice: str) -> Invoice | None:
        return None

    def last_document_number(self, series: str, year: int) -> int:
        return 0

    # Invoice documents' parties: the host keeps none (read-only, like invoices).
    def save_buyer_details(self, org: OrgId, details: BuyerDetails, recorded_at: datetime) -> None:
        raise NotImplementedError(READ_ONLY)

    def seller(self) -> Seller | None:
        return None

    def save_seller(self, seller: Seller, recorded_at: datetime) -> None:
        raise NotImplementedError(READ_ONLY)

    def invoices(self, org: OrgId | None, period: Period | None) -> Sequence[Invoice]:
        return []

    def enqueue(self, messages: Sequence[Message], at: datetime) -> int:
        raise NotImplementedError(READ_ONLY)

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[OutboxEntry]:
        return []

    def save_entry(self, entry: OutboxEntry) -> None:
        raise NotImplementedError(READ_ONLY)

    def outbox(self, status: DeliveryStatus | None, limit: int) -> Sequence[OutboxEntry]:
        return []

    def set_contact(self, contact: Contact) -> None:
        raise NotImplementedError(READ_ONLY)

    def get_contact(self, org: OrgId) -> Contact | None:
        return None

    def idempotency_record(self, key: IdempotencyKey) -> IdempotencyRecord | None:
        return None

    def add_idempotency_record(self, record: IdempotencyRecord) -> None:
        raise NotImplementedError(READ_ONLY)

    # The host authorises its own screens: this ledger is open and keeps no trail.
    def operators(self) -> Sequence[Operator]:
        return []

    def add_operator(self, operator: Operator) -> None:
        raise NotImplementedError(READ_ONLY)

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        raise NotImplementedError(READ_ONLY)

    def audit(self, chosen: AuditFilter) -> Sequence[AuditEntry]:
        return []


class LmsUnitOfWork:
    """seatledger's ``UnitOfWork`` port over the host's SQLite file: read transactions only.

    Each transaction opens its own read-only connection, so threads may share it.
    """

    def __init__(self, path: Path | str, *, recorded_at: datetime | None = None) -> None:
        self.path = Path(path)
        self.recorded_at = recorded_at

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[LmsLedger]:
        if write:
            raise NotImplementedError(READ_ONLY)
        with closing(connect_lms(self.path, read_only=True)) as conn:
            conn.execute("BEGIN")
            try:
                yield LmsLedger(conn, recorded_at=self.recorded_at)
            finally:
                conn.rollback()

    def commit(self) -> None:
        raise NotImplementedError(READ_ONLY)
