"""An in-memory ledger: the reference implementation of the repository port.

It answers every question by folding each seat's facts with the pure domain
functions, so it is what the domain *means*; the SQL adapter must answer
exactly as it does. Used by unit tests and property tests.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime

import attrs

from seatledger.domain import queries
from seatledger.domain import usage as usage_rules
from seatledger.domain.admins import Admin
from seatledger.domain.apikeys import ApiKey
from seatledger.domain.audit import AuditEntry, AuditFilter
from seatledger.domain.authorisation import Operator
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period
from seatledger.domain.idempotency import IdempotencyKey, IdempotencyRecord
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import Invoice
from seatledger.domain.notifications import Contact, Message
from seatledger.domain.organisation import Organisation, ZoneChange
from seatledger.domain.outbox import DeliveryStatus, OutboxEntry
from seatledger.domain.parties import BuyerDetails, Seller
from seatledger.domain.ports import LedgerHead
from seatledger.domain.queries import RangeMode, SeatRow
from seatledger.domain.seals import Seal
from seatledger.domain.seat import FactKind, SeatFact
from seatledger.domain.timeline import BillingSpan, timeline
from seatledger.domain.usage import UsageRecord, UsageSupersession


class InMemoryLedger:
    def __init__(self) -> None:
        self.organisations: dict[OrgId, Organisation] = {}
        self.facts: dict[SeatId, list[SeatFact]] = {}
        self._head = LedgerHead()
        self.admins: dict[tuple[OrgId, str], Admin] = {}
        self.contract_versions: list[Contract] = []
        self.usage_records: list[UsageRecord] = []
        self.usage_withdrawals: list[UsageSupersession] = []
        self.issued: dict[str, Invoice] = {}
        self.messages: dict[str, OutboxEntry] = {}
        self.contacts: dict[OrgId, Contact] = {}
        self.idempotency: dict[str, IdempotencyRecord] = {}
        self.seller_details: Seller | None = None

        self.operator_list: list[Operator] = []
        self.audit_entries: list[AuditEntry] = []
        self.seal_list: list[Seal] = []
        self.keys: dict[str, ApiKey] = {}

    def snapshot(self) -> InMemoryLedger:
        """A copy that can be changed without touching this one (facts are immutable)."""
        copied = InMemoryLedger()
        copied.organisations = dict(self.organisations)
        copied.facts = {seat: list(facts) for seat, facts in self.facts.items()}
        copied._head = self._head
        copied.admins = dict(self.admins)
        copied.contract_versions = list(self.contract_versions)
        copied.usage_records = list(self.usage_records)
        copied.usage_withdrawals = list(self.usage_withdrawals)
        copied.issued = dict(self.issued)
        copied.messages = dict(self.messages)
        copied.contacts = dict(self.contacts)
        copied.idempotency = dict(self.idempotency)
        copied.seller_details = self.seller_details

        copied.operator_list = list(self.operator_list)
        copied.audit_entries = list(self.audit_entries)
        copied.seal_list = list(self.seal_list)
        copied.keys = dict(self.keys)
        return copied

    # --- organisations ------------------------------------------------------
    def add_organisation(self, org: Organisation, recorded_at: datetime) -> None:
        self.organisations[org.id] = org
        self._head = LedgerHead(self._head.last_seq, recorded_at)

    def get_organisation(self, org: OrgId) -> Organisation | None:
        return self.organisations.get(org)

    def list_organisations(self) -> Sequence[Organisation]:
        return sorted(self.organisations.values(), key=lambda o: o.id)

    def save_organisation(self, org: Organisation, recorded_at: datetime) -> None:
        stored = self.organisations[org.id]
        self.organisations[org.id] = attrs.evolve(
            stored, name=org.name, billing_relationship=org.billing_relationship
        )
        self._head = LedgerHead(self._head.last_seq, recorded_at)

    def save_buyer_details(self, org: OrgId, details: BuyerDetails, recorded_at: datetime) -> None:
        self.organisations[org] = attrs.evolve(self.organisations[org], details=details)
        self._head = LedgerHead(self._head.last_seq, recorded_at)

    def seller(self) -> Seller | None:
        return self.seller_details

    def save_seller(self, seller: Seller, recorded_at: datetime) -> None:
        self.seller_details = seller
        self._head = LedgerHead(self._head.last_seq, recorded_at)

    def add_zone_change(self, org: OrgId, change: ZoneChange, recorded_at: datetime) -> None:
        stored = self.organisations[org]
        changes = sorted((*stored.zone_changes, change), key=lambda c: c.on)
        self.organisations[org] = attrs.evolve(stored, zone_changes=tuple(changes))
        self._head = LedgerHead(self._head.last_seq, recorded_at)

    # --- facts ----------------------------------------------------------------
    def head(self) -> LedgerHead:
        return self._head

    def seat_facts(self, seat: SeatId) -> Sequence[SeatFact]:
        return list(self.facts.get(seat, []))

    def seat_facts_of(self, seats: Collection[SeatId]) -> Mapping[SeatId, Sequence[SeatFact]]:
        return {seat: list(self.facts[seat]) for seat in seats if seat in self.facts}

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

    # --- contracts, usage, invoices ---------------------------------------------------
    def add_contract(self, contract: Contract, head: LedgerHead) -> None:
        self.contract_versions.append(contract)
        self._head = head

    def contracts(self, org: OrgId) -> Sequence[Contract]:
        return [c for c in self.contract_versions if c.org == org]

    def every_contract(self) -> Mapping[OrgId, Sequence[Contract]]:
        found: dict[OrgId, list[Contract]] = {}
        for contract in self.contract_versions:
            found.setdefault(contract.org, []).append(contract)
        return found

    def add_usage(self, record: UsageRecord, head: LedgerHead) -> None:
        self.usage_records.append(record)
        self._head = head

    def usage(
        self, org: OrgId, first: date, last: date, known_at: datetime | None
    ) -> Sequence[UsageRecord]:
        return usage_rules.in_force(
            self.usage_history(org, first, last, known_at),
            self.usage_supersessions(org, known_at),
            known_at,
        )

    def usage_record(self, seq: int) -> UsageRecord | None:
        return next((u for u in self.usage_records if u.seq == seq), None)

    def usage_history(
        self, org: OrgId, first: date | None, last: date | None, known_at: datetime | None
    ) -> Sequence[UsageRecord]:
        return [
            u
            for u in self.usage_records
            if u.org == org
            and (first is None or first <= u.on)
            and (last is None or u.on <= last)
            and (known_at is None or u.recorded_at <= known_at)
        ]

    def usage_supersessions(
        self, org: OrgId, known_at: datetime | None
    ) -> Sequence[UsageSupersession]:
        return [
            s
            for s in self.usage_withdrawals
            if s.org == org and (known_at is None or s.recorded_at <= known_at)
        ]

    def usage_supersession(self, seq: int) -> UsageSupersession | None:
        return next((s for s in self.usage_withdrawals if s.supersedes == seq), None)

    def add_usage_supersession(self, supersession: UsageSupersession, head: LedgerHead) -> None:
        if self.usage_supersession(supersession.supersedes) is not None:
            raise ValueError(f"usage #{supersession.supersedes} is superseded already")
        self.usage_withdrawals.append(supersession)
        self._head = head

    def add_invoice(self, invoice: Invoice) -> None:
        if any(
            (i.org, i.period, i.kind) == (invoice.org, invoice.period, invoice.kind)
            for i in self.issued.values()
        ):
            raise ValueError(f"an invoice for {invoice.org} {invoice.period} exists already")
        self.issued[invoice.id] = invoice
        if invoice.issued_at is not None:
            self._head = LedgerHead(self._head.last_seq, invoice.issued_at)

    def get_invoice(self, invoice: str) -> Invoice | None:
        return self.issued.get(invoice)

    def last_document_number(self, series: str, year: int) -> int:
        numbers = [
            i.issue.number.seq
            for i in self.issued.values()
            if i.issue is not None
            and (i.issue.number.series, i.issue.number.year) == (series, year)
        ]
        return max(numbers, default=0)

    def invoices(self, org: OrgId | None, period: Period | None) -> Sequence[Invoice]:
        chosen = [
            i
            for i in self.issued.values()
            if (org is None or i.org == org) and (period is None or i.period == period)
        ]
        return sorted(chosen, key=lambda i: (i.period, i.org, i.kind))

    # --- the outbox ---------------------------------------------------------------------
    def enqueue(self, messages: Sequence[Message], at: datetime) -> int:
        new = 0
        for message in messages:
            if message.id not in self.messages:
                self.messages[message.id] = OutboxEntry(message, at, at)
                new += 1
        return new

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[OutboxEntry]:
        due = sorted(
            (
                e
                for e in self.messages.values()
                if e.status is DeliveryStatus.PENDING and e.next_attempt_at <= now
            ),
            key=lambda e: (e.next_attempt_at, e.enqueued_at, e.message.id),
        )[:limit]
        for entry in due:
            self.messages[entry.message.id] = OutboxEntry(
                entry.message, entry.enqueued_at, lease_until, entry.status, entry.attempts,
                entry.delivered_channels, entry.last_error, entry.delivered_at,
            )  # fmt: skip
        return due

    def save_entry(self, entry: OutboxEntry) -> None:
        self.messages[entry.message.id] = entry

    def outbox(self, status: DeliveryStatus | None, limit: int) -> Sequence[OutboxEntry]:
        chosen = [e for e in self.messages.values() if status is None or e.status is status]
        return sorted(chosen, key=lambda e: (e.enqueued_at, e.message.id))[:limit]

    def set_contact(self, contact: Contact) -> None:
        self.contacts[contact.org] = contact

    def get_contact(self, org: OrgId) -> Contact | None:
        return self.contacts.get(org)

    # --- idempotency keys ---------------------------------------------------------------
    def idempotency_record(self, key: IdempotencyKey) -> IdempotencyRecord | None:
        return self.idempotency.get(key.text)

    def add_idempotency_record(self, record: IdempotencyRecord) -> None:
        if record.key.text in self.idempotency:
            raise ValueError(f"idempotency key {record.key.text!r} is stored already")
        self.idempotency[record.key.text] = record

    # --- operators and the audit trail -------------------------------------------------
    def operators(self) -> Sequence[Operator]:
        return list(self.operator_list)

    def add_operator(self, operator: Operator) -> None:
        self.operator_list.append(operator)

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            self.audit_entries.append(attrs.evolve(entry, seq=len(self.audit_entries) + 1))

    def audit(self, chosen: AuditFilter) -> Sequence[AuditEntry]:
        return [e for e in self.audit_entries if chosen.matches(e)]

    # --- seals ------------------------------------------------------------------------
    def last_seal(self) -> Seal | None:
        return self.seal_list[-1] if self.seal_list else None

    def add_seal(self, seal: Seal) -> None:
        self.seal_list.append(seal)

    def seals(self) -> Sequence[Seal]:
        return list(self.seal_list)

    def invoice_hashes(self) -> Mapping[str, str]:
        return {i.id: i.evidence_hash for i in self.issued.values()}

    def projection_drift(self, org: OrgId | None) -> Sequence[SeatId]:
        return []  # every answer is folded from the facts: there is no projection to drift

    # --- API keys -----------------------------------------------------------------------
    def api_keys(self) -> Sequence[ApiKey]:
        return list(self.keys.values())

    def api_key(self, name: str) -> ApiKey | None:
        return self.keys.get(name)

    def api_key_by_digest(self, digest: str) -> ApiKey | None:
        return next((k for k in self.keys.values() if k.digest == digest), None)

    def add_api_key(self, key: ApiKey) -> None:
        if key.name in self.keys:
            raise ValueError(f"API key {key.name!r} is stored already")
        self.keys[key.name] = key

    def revoke_api_key(self, name: str, at: datetime) -> None:
        self.keys[name] = attrs.evolve(self.keys[name], revoked_at=at)


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
        self.ledger.contract_versions = self._working.contract_versions
        self.ledger.usage_records = self._working.usage_records
        self.ledger.usage_withdrawals = self._working.usage_withdrawals
        self.ledger.issued = self._working.issued
        self.ledger.messages = self._working.messages
        self.ledger.contacts = self._working.contacts
        self.ledger.idempotency = self._working.idempotency
        self.ledger.seller_details = self._working.seller_details

        self.ledger.operator_list = self._working.operator_list
        self.ledger.audit_entries = self._working.audit_entries
        self.ledger.seal_list = self._working.seal_list
        self.ledger.keys = self._working.keys
        self.commits += 1
