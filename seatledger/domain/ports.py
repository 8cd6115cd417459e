"""Ports: what the domain needs from the outside world, as Protocols.

Adapters implement them (in memory, SQLAlchemy, the system clock ...); the
composition root picks which. Nothing here knows about a database or a
command line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Protocol

from attrs import frozen

from seatledger.domain.admins import Admin
from seatledger.domain.apikeys import ApiKey
from seatledger.domain.audit import AuditEntry, AuditFilter
from seatledger.domain.authorisation import Operator
from seatledger.domain.catalog import Catalog
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period
from seatledger.domain.idempotency import IdempotencyKey, IdempotencyRecord
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import Invoice
from seatledger.domain.notifications import Contact, Message
from seatledger.domain.organisation import Organisation, ZoneChange
from seatledger.domain.outbox import DeliveryStatus, OutboxEntry
from seatledger.domain.parties import BuyerDetails, Seller
from seatledger.domain.queries import RangeMode, SeatRow
from seatledger.domain.seals import Seal
from seatledger.domain.seat import SeatFact
from seatledger.domain.usage import UsageRecord, UsageSupersession


class Clock(Protocol):
    """Tells the time. A real clock, or a fixed day for simulations and tests."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def latest(self) -> datetime:
        """The latest instant this clock may still stand for.

        A real clock tolerates a small skew behind the last recorded fact; a
        simulated day stands for every instant until its end.
        """
        ...

    def today(self, timezone: str) -> date:
        """The calendar date it is now in an IANA time zone."""
        ...


@frozen
class LedgerHead:
    """The last fact recorded: its sequence number and recorded instant."""

    last_seq: int = 0
    last_recorded_at: datetime | None = None


class LedgerRepository(Protocol):
    """Organisations and the append-only seat ledger, and the questions asked of it.

    ``known_at`` None means "with everything recorded so far".
    """

    def add_organisation(self, org: Organisation, recorded_at: datetime) -> None: ...

    def get_organisation(self, org: OrgId) -> Organisation | None: ...

    def list_organisations(self) -> Sequence[Organisation]: ...

    def save_organisation(self, org: Organisation, recorded_at: datetime) -> None:
        """Store an organisation's changed name or billing relationship (its zone changes are
        appended with ``add_zone_change``, never rewritten) and move the head's instant."""
        ...

    def add_zone_change(self, org: OrgId, change: ZoneChange, recorded_at: datetime) -> None:
        """Append a time-zone change of ``org`` and move the head's instant to ``recorded_at``."""
        ...

    def save_buyer_details(self, org: OrgId, details: BuyerDetails, recorded_at: datetime) -> None:
        """Store an organisation's details as a buyer (``org set``) and move the head's instant;
        an issued document keeps the details it froze."""
        ...

    def seller(self) -> Seller | None:
        """The vendor's details as seller (``seller set``), None until set."""
        ...

    def save_seller(self, seller: Seller, recorded_at: datetime) -> None:
        """Store the seller's details and move the head's instant to ``recorded_at``."""
        ...

    def head(self) -> LedgerHead: ...

    def seat_facts(self, seat: SeatId) -> Sequence[SeatFact]:
        """Every fact of a seat, superseded ones included, in recorded order."""
        ...

    def seat_facts_of(self, seats: Collection[SeatId]) -> Mapping[SeatId, Sequence[SeatFact]]:
        """``seat_facts`` of many seats at once (billing reads the history of every seat
        that changed payer); a seat with no facts is left out."""
        ...

    def existing_seats(self, seats: Collection[SeatId]) -> set[SeatId]:
        """Which of these seats have any history."""
        ...

    def append(self, facts: Sequence[SeatFact], head: LedgerHead) -> None:
        """Append facts (already numbered and stamped) and move the head to ``head``."""
        ...

    def billable_on(self, org: OrgId, on: date, known_at: datetime | None) -> Sequence[SeatRow]: ...

    def count_billable(self, org: OrgId, on: date, known_at: datetime | None) -> int: ...

    def active_within(
        self,
        org: OrgId,
        first: date,
        last: date,
        mode: RangeMode,
        known_at: datetime | None,
    ) -> Sequence[SeatRow]: ...

    # --- admins -----------------------------------------------------------------
    def add_admin(self, admin: Admin) -> None: ...

    def get_admin(self, org: OrgId, admin: str) -> Admin | None: ...

    def save_admin(self, admin: Admin) -> None:
        """Store an admin's changed attempt counter or lock (the PIN hash never changes here)."""
        ...

    def list_admins(self, org: OrgId) -> Sequence[Admin]: ...

    # --- transfers ----------------------------------------------------------------
    def transfer_facts(self, org: OrgId | None) -> Sequence[SeatFact]:
        """Every fact of every transfer request sent or received by ``org`` (all if None).

        A request's facts share its ``request`` id; the first is the
        ``transfer-requested`` fact, whose ``from_org`` and ``org`` name the
        sender and the receiver.
        """
        ...

    def request_facts(self, request: str) -> Sequence[SeatFact]:
        """The facts of one transfer request, in recorded order (empty if unknown)."""
        ...


class BillingRepository(Protocol):
    """Contracts, usage and invoices. Contracts and usage are appended, never changed;
    an issued invoice is immutable and unique per organisation, period and kind."""

    def add_contract(self, contract: Contract, head: LedgerHead) -> None:
        """Append a contract version (numbered and stamped) and move the head."""
        ...

    def contracts(self, org: OrgId) -> Sequence[Contract]:
        """Every contract version of ``org``, in recorded order."""
        ...

    def every_contract(self) -> Mapping[OrgId, Sequence[Contract]]:
        """``contracts`` of every organisation that has any, at once (a billing run asks
        which organisations could have paid a moved seat's months in advance)."""
        ...

    def add_usage(self, record: UsageRecord, head: LedgerHead) -> None: ...

    def usage(
        self, org: OrgId, first: date, last: date, known_at: datetime | None
    ) -> Sequence[UsageRecord]:
        """Usage of ``org`` dated within ``[first, last]``, recorded by ``known_at`` and not
        superseded (corrected or retracted) by then."""
        ...

    def add_invoice(self, invoice: Invoice) -> None:
        """Store an issued invoice; a second one for the same org, period and kind is a bug
        the store refuses (its unique constraint), never silently kept.

        The ledger head's recorded instant moves to the invoice's issue
        instant, so a fact recorded afterwards is recorded after it.
        """
        ...

    def get_invoice(self, invoice: str) -> Invoice | None: ...

    def last_document_number(self, series: str, year: int) -> int:
        """The highest legal number issued in ``series`` and ``year`` (0 if none), as this
        transaction sees it: under the write lock, the next one is this plus one."""
        ...

    def invoices(self, org: OrgId | None, period: Period | None) -> Sequence[Invoice]:
        """Issued invoices, by period then organisation."""
        ...


class UsageHistoryRepository(Protocol):
    """Usage records with their corrections and retractions, all appended, never changed."""

    def usage_record(self, seq: int) -> UsageRecord | None: ...

    def usage_history(
        self, org: OrgId, first: date | None, last: date | None, known_at: datetime | None
    ) -> Sequence[UsageRecord]:
        """Every usage record of ``org`` dated within ``[first, last]`` (None: unbounded) and
        recorded by ``known_at``, superseded ones included, in recorded order."""
        ...

    def usage_supersessions(
        self, org: OrgId, known_at: datetime | None
    ) -> Sequence[UsageSupersession]:
        """Every correction and retraction of ``org``'s usage recorded by ``known_at``."""
        ...

    def usage_supersession(self, seq: int) -> UsageSupersession | None:
        """What withdrew usage record ``seq``, if anything has."""
        ...

    def add_usage_supersession(self, supersession: UsageSupersession, head: LedgerHead) -> None:
        """Append a correction (its new record is added first, with ``add_usage``) or a
        retraction, and move the head."""
        ...


class OutboxRepository(Protocol):
    """Messages waiting to be delivered, and where each organisation wants them."""

    def enqueue(self, messages: Sequence[Message], at: datetime) -> int:
        """Add messages not already in the outbox (by id); returns how many were new."""
        ...

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[OutboxEntry]:
        """Pending messages due by ``now``, oldest first, each held until ``lease_until``."""
        ...

    def save_entry(self, entry: OutboxEntry) -> None: ...

    def outbox(self, status: DeliveryStatus | None, limit: int) -> Sequence[OutboxEntry]: ...

    def set_contact(self, contact: Contact) -> None: ...

    def get_contact(self, org: OrgId) -> Contact | None: ...


class IdempotencyRepository(Protocol):
    """Idempotency keys, each stored with the write it names; never changed or deleted."""

    def idempotency_record(self, key: IdempotencyKey) -> IdempotencyRecord | None: ...

    def add_idempotency_record(self, record: IdempotencyRecord) -> None:
        """Store a key with its write; a key stored twice is a bug the store refuses."""
        ...


class AuditRepository(Protocol):
    """The operators of the ledger, and the append-only audit trail."""

    def operators(self) -> Sequence[Operator]:
        """Every registered operator, in the order they were added (none: an open ledger)."""
        ...

    def add_operator(self, operator: Operator) -> None: ...

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries (their ``seq`` is assigned by the store, in order)."""
        ...

    def audit(self, chosen: AuditFilter) -> Sequence[AuditEntry]:
        """The entries the filter matches, in the order they were written."""
        ...


class SealRepository(Protocol):
    """The chain of issued documents' seals (appended, never changed), and the checks that
    read the facts rather than the projection built from them."""

    def last_seal(self) -> Seal | None:
        """The newest seal (call it inside the write transaction that appends the next)."""
        ...

    def add_seal(self, seal: Seal) -> None: ...

    def seals(self) -> Sequence[Seal]:
        """Every seal, by position."""
        ...

    def invoice_hashes(self) -> Mapping[str, str]:
        """Every stored invoice's content hash, by invoice id."""
        ...

    def projection_drift(self, org: OrgId | None) -> Sequence[SeatId]:
        """Seats whose stored billing spans differ from a replay of their facts: of the seats
        whose facts or spans name ``org`` (None: every seat). Empty for a store that keeps no
        projection."""
        ...


class ApiKeyRepository(Protocol):
    """The HTTP API's keys, by name; only their digests are stored."""

    def api_keys(self) -> Sequence[ApiKey]:
        """Every key, revoked ones included, in the order they were made."""
        ...

    def api_key(self, name: str) -> ApiKey | None: ...

    def api_key_by_digest(self, digest: str) -> ApiKey | None: ...

    def add_api_key(self, key: ApiKey) -> None: ...

    def revoke_api_key(self, name: str, at: datetime) -> None: ...


class Store(
    LedgerRepository,
    BillingRepository,
    SealRepository,
    UsageHistoryRepository,
    OutboxRepository,
    IdempotencyRepository,
    AuditRepository,
    ApiKeyRepository,
    Protocol,
):
    """Everything one transaction can read and write."""


class CatalogSource(Protocol):
    """Where the plan catalog comes from (the shipped file, or the vendor's own)."""

    def load(self) -> Catalog: ...


class PinHasher(Protocol):
    """Hashes PINs slowly, with a salt, and checks them in constant time."""

    def hash(self, pin: str) -> str: ...

    def verify(self, pin: str, pin_hash: str) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction. Nothing is kept unless ``commit`` is called inside it."""

    def transaction(self, *, write: bool) -> AbstractContextManager[Store]:
        """Open a transaction; a write transaction holds the store's write lock."""
        ...

    def commit(self) -> None: ...
