"""The store on SQLAlchemy Core: every method of ``LedgerRepository`` and ``BillingRepository``.

Facts are the ledger: ``append`` inserts them as given (numbered and
stamped by the domain) and never changes them. Next to them it keeps the
``billing_spans`` projection up to date: for each seat the append touches,
the seat's timeline is folded with the pure domain function
(``timeline(...).spans()``) and compared with the spans known so far; spans
that are no longer true get ``known_until`` set to the new facts' recorded
instant, new ones are inserted with ``known_from`` set to it, and unchanged
ones stay. A question "as known at T" then reads the spans with
``known_from <= T < known_until`` (``known_until`` NULL: still known), with
a set-based query filtered by organisation and date, and hands the few
matching spans to the pure functions of ``seatledger.domain.queries``, so
the answers are exactly the domain's (``billable_on``, whose WHERE clause
is exactly the domain's test, builds its rows straight from the columns;
the differential tests prove it answers the same).

Contract versions and usage records are appended like facts (and move the
ledger head). An invoice is written once: a row of ``invoices``, one row of
``invoice_evidence_seats`` per seat counted (inserted in bulk), and a JSON
document for the rest (``documents``); reading it back gives an ``==``
invoice, whose content hash recomputes identically. The database refuses
to update or delete any of these rows (migration 0002's triggers), and its
unique constraint refuses a second invoice for an organisation, period and
kind.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

from returns.result import Failure
from sqlalchemy import (
    ARRAY,
    BindParameter,
    Column,
    ColumnElement,
    CompoundSelect,
    Date,
    Dialect,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.types import TypeDecorator

from seatledger.adapters.secret_box import SecretBox, is_sealed, key_for
from seatledger.adapters.sql.documents import FORMAT, InvoiceDocument, document_of, document_text
from seatledger.adapters.sql.tables import (
    addons_of,
    addons_text,
    admins,
    api_keys,
    audit_log,
    billing_spans,
    contacts,
    contract_versions,
    idempotency_keys,
    invoice_evidence_seats,
    invoice_seals,
    invoices,
    ledger_head,
    operators,
    organisation_parties,
    organisation_zones,
    organisations,
    outbox,
    seat_facts,
    to_micros,
    usage_records,
    usage_supersessions,
)
from seatledger.adapters.sql.tables import (
    seller as seller_table,
)
from seatledger.domain import queries
from seatledger.domain.admins import Admin
from seatledger.domain.apikeys import ApiKey
from seatledger.domain.audit import AuditEntry, AuditFilter
from seatledger.domain.authorisation import Action, Operator, Role
from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract, PaymentMethod
from seatledger.domain.dates import Period
from seatledger.domain.idempotency import IdempotencyKey, IdempotencyRecord
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import (
    Evidence,
    Invoice,
    InvoiceStatus,
    IssuedSummary,
    invoice_id,
    summary_of,
)
from seatledger.domain.notifications import Channel, Contact, Message, MessageKind, thaw
from seatledger.domain.organisation import Organisation, ZoneChange
from seatledger.domain.outbox import DeliveryStatus, OutboxEntry
from seatledger.domain.parties import BuyerDetails, PartyDetails, Seller
from seatledger.domain.policies import ContractPolicies
from seatledger.domain.ports import LedgerHead
from seatledger.domain.queries import RangeMode, SeatRow
from seatledger.domain.reference_dates import YearStart
from seatledger.domain.seals import Seal
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.timeline import BillingSpan, timeline
from seatledger.domain.usage import UsageRecord, UsageSupersession

# SQLite allows 32766 bound variables per statement (999 before 3.32): stay well below.
CHUNK = 500

_T = TypeVar("_T")

# From this many new spans in one append, SQLite checks them for overlaps with one query
# instead of migration 0004's trigger lookup per row (``SqlLedger._insert_spans_sqlite``).
BULK_SPANS = 1_000
_OVERLAP_TRIGGER = "billing_spans_no_overlap_insert"
# The trigger's condition, for every current span inserted after row id ``?``: the first
# one that overlaps another current span of its seat.
_NEW_OVERLAPS = (
    "SELECT n.id FROM billing_spans AS n JOIN billing_spans AS s "
    "ON s.seat_id = n.seat_id AND s.known_until IS NULL AND s.id IS NOT n.id "
    "AND s.start_on < COALESCE(n.end_on, '9999-12-31') "
    "AND n.start_on < COALESCE(s.end_on, '9999-12-31') "
    "WHERE n.id > ? AND n.known_until IS NULL ORDER BY n.id LIMIT 1"
)

# A span as compared between the stored projection and a fresh fold.
SpanKey = tuple[str, date, date | None, date, date | None, str | None, str, str, str]


class CorruptHistory(RuntimeError):
    """A stored seat history does not fold: the facts were not validated before ``append``."""


def _url_of(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=False)


def _psycopg(conn: Connection) -> Any | None:
    """The psycopg connection under ``conn`` on PostgreSQL through psycopg, else ``None``:
    for the statements that go to the driver directly (``COPY``, large answers)."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return None
    return conn.connection.driver_connection


def _bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys) as fast as the driver allows.

    On SQLite the rows go straight to the driver's ``executemany``, with the
    columns' own bind processors applied once per value (SQLAlchemy's
    per-row parameter handling would triple the cost of an import); other
    databases get Core's "insertmanyvalues" batches.
    """
    if not rows:
        return
    if _psycopg(conn) is not None:
        _copy_rows(conn, table, rows)
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    keys = tuple(rows[0])
    sql, processors = _sqlite_insert(table, keys, conn.dialect)
    values = itemgetter(*keys)
    if not processors:
        conn.exec_driver_sql(sql, [values(row) for row in rows])
        return
    params: list[tuple[Any, ...]] = []
    for row in rows:
        value = list(values(row))
        for i, proc in processors:
            value[i] = proc(value[i])
        params.append(tuple(value))
    conn.exec_driver_sql(sql, params)


@lru_cache(maxsize=64)
def _sqlite_insert(
    table: Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """The INSERT text for ``keys`` and the columns' bind processors, compiled once."""
    processors = tuple(
        (i, proc)
        for i, key in enumerate(keys)
        if (proc := table.c[key].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    return str(insert(table).compile(dialect=dialect, column_keys=list(keys))), processors


def _insert_values(
    conn: Connection,
    table: Table,
    keys: tuple[str, ...],
    rows: Sequence[tuple[Any, ...] | dict[str, Any]],
) -> None:
    """SQLite: one compiled INSERT of ``keys`` for rows already in their stored form.

    A tuple is taken as the stored values, in ``keys`` order (built by
    ``fact_values``, ``span_values``, ``audit_values``: the same values the
    columns' bind processors would give); a dict (a row of ``span_row``'s
    kind) still goes through the processors.
    """
    if not rows:
        return
    sql, processors = _sqlite_insert(table, keys, conn.dialect)
    values = itemgetter(*keys)
    params: list[tuple[Any, ...]] = []
    for row in rows:
        if type(row) is tuple:
            params.append(row)
            continue
        value = list(values(row))
        for i, proc in processors:
            value[i] = proc(value[i])
        params.append(tuple(value))
    conn.exec_driver_sql(sql, params)


class _Micros(dict[datetime, int]):
    """Instants as stored (``to_micros``), each distinct instant converted once."""

    def __missing__(self, instant: datetime) -> int:
        micros = self[instant] = to_micros(instant)
        return micros


# An import repeats a few thousand dates hundreds of thousands of times.
@lru_cache(maxsize=65_536, typed=True)
def _date_text(value: date) -> str:
    """A date as SQLite stores it (SQLAlchemy's ``%Y-%m-%d``: ``isoformat`` for a date)."""
    if type(value) is date:
        return value.isoformat()
    return _sqlite_date(value)  # type: ignore[no-any-return]


def _sqlite_date(value: Any) -> Any:
    """SQLAlchemy's own SQLite DATE processor (for anything but a plain ``date``)."""
    dialect = sqlite.dialect()
    processor = Date().dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    return processor(value)


def _copy_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: ``COPY … FROM STDIN`` through psycopg 3, in the connection's transaction.

    The columns' bind processors are applied in Python as on SQLite; psycopg
    then sends the values in COPY's text format, several times faster than
    batched INSERTs.
    """
    keys = list(rows[0])
    dialect = conn.dialect
    processors = [
        (i, proc)
        for i, key in enumerate(keys)
        if (proc := table.c[key].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    values = itemgetter(*keys)
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(k) for k in keys)
    driver = _psycopg(conn)
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            value = list(values(row))
            for i, proc in processors:
                value[i] = proc(value[i])
            copy.write_row(value)


def chunks(items: Iterable[_T], size: int = CHUNK) -> Iterator[list[_T]]:
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- rows <-> domain values -------------------------------------------------------


def fact_row(fact: SeatFact) -> dict[str, Any]:
    return {
        "seq": fact.seq,
        "seat_id": fact.seat,
        "kind": fact.kind.value,
        "effective_on": fact.effective_on,
        "recorded_at": fact.recorded_at,
        "actor": fact.actor,
        "reason": fact.reason,
        "org_id": fact.org,
        "from_org_id": fact.from_org,
        "holder": fact.holder,
        "seat_kind": fact.seat_kind.value if fact.seat_kind is not None else None,
        "addons": addons_text(fact.addons),
        "supersedes": fact.supersedes,
        "request": fact.request,
        "expires_on": fact.expires_on,
    }


_FACT_KEYS = (
    "seq",
    "seat_id",
    "kind",
    "effective_on",
    "recorded_at",
    "actor",
    "reason",
    "org_id",
    "from_org_id",
    "holder",
    "seat_kind",
    "addons",
    "supersedes",
    "request",
    "expires_on",
)
_KIND_TEXT = {k: k.value for k in FactKind}
_SEAT_KIND_TEXT = {k: k.value for k in SeatKind}


def fact_values(fact: SeatFact, micros: _Micros) -> tuple[Any, ...]:
    """``fact_row`` as SQLite stores it, in ``_FACT_KEYS`` order."""
    return (
        fact.seq,
        fact.seat,
        _KIND_TEXT[fact.kind],
        _date_text(fact.effective_on),
        micros[fact.recorded_at],
        fact.actor,
        fact.reason,
        fact.org,
        fact.from_org,
        fact.holder,
        _SEAT_KIND_TEXT[fact.seat_kind] if fact.seat_kind is not None else None,
        addons_text(fact.addons),
        fact.supersedes,
        fact.request,
        _date_text(fact.expires_on) if fact.expires_on is not None else None,
    )


def fact_of(m: RowMapping) -> SeatFact:
    return SeatFact(
        seq=int(m["seq"]),
        seat=SeatId(m["seat_id"]),
        kind=FactKind(m["kind"]),
        effective_on=m["effective_on"],
        recorded_at=m["recorded_at"],
        actor=m["actor"],
        reason=m["reason"],
        org=OrgId(m["org_id"]) if m["org_id"] is not None else None,
        holder=m["holder"],
        seat_kind=SeatKind(m["seat_kind"]) if m["seat_kind"] is not None else None,
        addons=addons_of(m["addons"]),
        supersedes=int(m["supersedes"]) if m["supersedes"] is not None else None,
        request=m["request"],
        from_org=OrgId(m["from_org_id"]) if m["from_org_id"] is not None else None,
        expires_on=m["expires_on"],
    )


def span_key(span: BillingSpan) -> SpanKey:
    return (
        span.org,
        span.start,
        span.end,
        span.activated_on,
        span.deactivated_on,
        span.ended_by.value if span.ended_by is not None else None,
        span.holder,
        span.seat_kind.value,
        addons_text(span.addons),
    )


def stored_span_key(m: RowMapping) -> SpanKey:
    return (
        m["org_id"],
        m["start_on"],
        m["end_on"],
        m["activated_on"],
        m["deactivated_on"],
        m["ended_by"],
        m["holder"],
        m["seat_kind"],
        m["addons"],
    )


def span_row(seat: SeatId, span: BillingSpan, known_from: datetime) -> dict[str, Any]:
    return {
        "seat_id": seat,
        "org_id": span.org,
        "start_on": span.start,
        "end_on": span.end,
        "activated_on": span.activated_on,
        "deactivated_on": span.deactivated_on,
        "ended_by": span.ended_by.value if span.ended_by is not None else None,
        "holder": span.holder,
        "seat_kind": span.seat_kind.value,
        "addons": addons_text(span.addons),
        "known_from": known_from,
        "known_until": None,
    }


_SPAN_KEYS = (
    "seat_id",
    "org_id",
    "start_on",
    "end_on",
    "activated_on",
    "deactivated_on",
    "ended_by",
    "holder",
    "seat_kind",
    "addons",
    "known_from",
    "known_until",
)


def seal_row(seal: Seal) -> dict[str, Any]:
    return {
        "seq": seal.position,
        "invoice_id": seal.invoice,
        "content_hash": seal.content_hash,
        "previous_hash": seal.previous,
        "chain_hash": seal.chain_hash,
        "key_id": seal.key_id,
        "signature": seal.signature,
    }


def seal_of(m: RowMapping) -> Seal:
    return Seal(
        position=int(m["seq"]),
        invoice=m["invoice_id"],
        content_hash=m["content_hash"],
        previous=m["previous_hash"],
        chain_hash=m["chain_hash"],
        key_id=m["key_id"],
        signature=m["signature"],
    )


def span_values(seat: SeatId, span: BillingSpan, known_from: int) -> tuple[Any, ...]:
    """``span_row`` as SQLite stores it, in ``_SPAN_KEYS`` order (``known_from`` in micros)."""
    return (
        seat,
        span.org,
        _date_text(span.start),
        _date_text(span.end) if span.end is not None else None,
        _date_text(span.activated_on),
        _date_text(span.deactivated_on) if span.deactivated_on is not None else None,
        _KIND_TEXT[span.ended_by] if span.ended_by is not None else None,
        span.holder,
        _SEAT_KIND_TEXT[span.seat_kind],
        addons_text(span.addons),
        known_from,
        None,
    )


def span_of(m: RowMapping) -> BillingSpan:
    return BillingSpan(
        seat=SeatId(m["seat_id"]),
        org=OrgId(m["org_id"]),
        start=m["start_on"],
        end=m["end_on"],
        activated_on=m["activated_on"],
        deactivated_on=m["deactivated_on"],
        ended_by=FactKind(m["ended_by"]) if m["ended_by"] is not None else None,
        holder=m["holder"],
        seat_kind=SeatKind(m["seat_kind"]),
        addons=addons_of(m["addons"]),
    )


def organisation_of(
    m: RowMapping, zones: Sequence[ZoneChange] = (), details: BuyerDetails | None = None
) -> Organisation:
    return Organisation(
        id=OrgId(m["id"]),
        name=m["name"],
        timezone=m["timezone"],
        currency=m["currency"],
        billing_relationship=bool(m["billing_relationship"]),
        zone_changes=tuple(zones),
        details=details or BuyerDetails(),
    )


_PARTY_FIELDS = ("legal_name", "vat_id", "address", "city", "postcode", "country", "peppol_id")


def party_of(m: RowMapping) -> PartyDetails:
    return PartyDetails(**{field: m[field] for field in _PARTY_FIELDS})


def buyer_details_of(m: RowMapping) -> BuyerDetails:
    return BuyerDetails(
        party=party_of(m), buyer_reference=m["buyer_reference"], sepa_mandate=m["sepa_mandate"]
    )


def seller_of(m: RowMapping) -> Seller:
    return Seller(
        party=party_of(m),
        iban=m["iban"],
        invoice_series=m["invoice_series"],
        payment_days=m["payment_days"],
    )


def zone_change_of(m: RowMapping) -> ZoneChange:
    return ZoneChange(
        on=m["from_on"], timezone=m["timezone"], recorded_at=m["recorded_at"], actor=m["actor"]
    )


def supersession_of(m: RowMapping) -> UsageSupersession:
    return UsageSupersession(
        supersedes=int(m["supersedes"]),
        org=OrgId(m["org_id"]),
        replaced_by=int(m["replaced_by"]) if m["replaced_by"] is not None else None,
        reason=m["reason"],
        recorded_at=m["recorded_at"],
        actor=m["actor"],
    )


def admin_of(m: RowMapping) -> Admin:
    return Admin(
        org=OrgId(m["org_id"]),
        id=m["id"],
        pin_hash=m["pin_hash"],
        failed_attempts=int(m["failed_attempts"]),
        locked=bool(m["locked"]),
    )


def known_at_filter(known_at: datetime | None) -> ColumnElement[bool]:
    """The spans known at ``known_at`` (None: the spans known now)."""
    if known_at is None:
        return billing_spans.c.known_until.is_(None)
    return and_(
        billing_spans.c.known_from <= known_at,
        or_(billing_spans.c.known_until.is_(None), billing_spans.c.known_until > known_at),
    )


def fold_spans(seat: SeatId, facts: Sequence[SeatFact], known_at: datetime) -> list[BillingSpan]:
    """The billing spans of a seat's history as known at ``known_at``."""
    folded = timeline(seat, facts, known_at)
    if isinstance(folded, Failure):
        raise CorruptHistory(
            f"the history of seat {seat!r} as known at {known_at.isoformat()} does not fold: "
            f"{folded.failure()}"
        )
    return list(folded.unwrap().spans())


_CLOSES = (FactKind.DEACTIVATED, FactKind.COMPLETED)


def direct_spans(facts: Sequence[SeatFact]) -> list[BillingSpan] | None:
    """The spans of a new seat's simplest histories, without a fold; None: fold it.

    A lone activation (one open span), or an activation followed by a later
    deactivation or completion (one closed span), all with the payer, holder
    and kind given: the shape of almost every imported seat. The result is
    what ``fold_spans`` gives for these histories (a test compares them).
    """
    first = facts[0]
    if (
        first.kind is not FactKind.ACTIVATED
        or first.supersedes is not None
        or first.org is None
        or first.holder is None
        or first.seat_kind is None
        or len(facts) > 2
    ):
        return None
    end: date | None = None
    ended_by: FactKind | None = None
    if len(facts) == 2:
        close = facts[1]
        if (
            close.kind not in _CLOSES
            or close.supersedes is not None
            or close.seq <= first.seq
            or close.effective_on <= first.effective_on
        ):
            return None
        end, ended_by = close.effective_on, close.kind
    start = first.effective_on
    return [
        BillingSpan(
            seat=first.seat,
            org=first.org,
            start=start,
            end=end,
            activated_on=start,
            deactivated_on=end,
            ended_by=ended_by,
            holder=first.holder,
            seat_kind=first.seat_kind,
            addons=first.addons,
        )
    ]


def replay(
    seat: SeatId,
    facts: Sequence[SeatFact],
    instants: Sequence[datetime],
    stored_ids: dict[SpanKey, int],
    closes: dict[datetime, list[int]],
    inserts: list[dict[str, Any]],
) -> None:
    """Move a seat's projection through ``instants`` (ascending), one fold per instant.

    ``stored_ids`` are the seat's stored spans still known (by key, their row
    ids): those a fold no longer yields are added to ``closes`` under that
    instant. New spans are added to ``inserts``; a new span that a later
    instant drops gets its ``known_until`` there and then.
    """
    pending: dict[SpanKey, dict[str, Any]] = {}
    for at in instants:
        fresh = {span_key(s): s for s in fold_spans(seat, facts, at)}
        for key in [k for k in stored_ids if k not in fresh]:
            closes[at].append(stored_ids.pop(key))
        for key in [k for k in pending if k not in fresh]:
            pending.pop(key)["known_until"] = at
        for key, span in fresh.items():
            if key not in stored_ids and key not in pending:
                row = span_row(seat, span, at)
                pending[key] = row
                inserts.append(row)


def _require_instant(what: str, instant: datetime | None) -> datetime:
    if instant is None or instant.utcoffset() is None:
        raise ValueError(f"refusing to store {what} without an aware recorded instant")
    return instant


def policies_text(policies: ContractPolicies) -> str:
    """A contract's policies as stored: JSON of the policies not at their default."""
    default = ContractPolicies().as_text()
    chosen = {k: v for k, v in policies.as_text().items() if default[k] != v}
    return json.dumps(chosen, sort_keys=True, separators=(",", ":"))


def policies_of(text: str | None) -> ContractPolicies:
    return ContractPolicies.from_text(json.loads(text)) if text else ContractPolicies()


def contract_row(contract: Contract) -> dict[str, Any]:
    return {
        "org_id": contract.org,
        "version": contract.version,
        "effective_from": str(contract.effective_from),
        "plan": contract.plan,
        "cadence": contract.cadence.value,
        "reference": contract.reference,
        "year_start": str(contract.year_start) if contract.year_start is not None else None,
        "count_days_before": contract.count_days_before,
        "licensed": contract.licensed,
        "overage_price": contract.overage_price,
        "vat_percent": contract.vat_percent,
        "trial_until": contract.trial_until,
        "payment_method": contract.payment_method.value,
        "discount_code": contract.discount_code,
        "policies": policies_text(contract.policies),
        "recorded_at": _require_instant(
            f"contract version {contract.version}", contract.recorded_at
        ),
        "actor": contract.actor,
    }


def contract_of(m: RowMapping) -> Contract:
    year_start = YearStart.parse(m["year_start"]).unwrap() if m["year_start"] else None
    return Contract(
        org=OrgId(m["org_id"]),
        plan=m["plan"],
        cadence=Cadence(m["cadence"]),
        reference=m["reference"],
        effective_from=Period.parse(m["effective_from"]).unwrap(),
        vat_percent=m["vat_percent"],
        year_start=year_start,
        count_days_before=int(m["count_days_before"]),
        licensed=int(m["licensed"]) if m["licensed"] is not None else None,
        overage_price=m["overage_price"],
        trial_until=m["trial_until"],
        payment_method=PaymentMethod(m["payment_method"]),
        discount_code=m["discount_code"],
        policies=policies_of(m["policies"]),
        version=int(m["version"]),
        recorded_at=m["recorded_at"],
        actor=m["actor"],
    )


def usage_row(record: UsageRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "org_id": record.org,
        "kind": record.kind,
        "quantity": record.quantity,
        "used_on": record.on,
        "recorded_at": _require_instant(f"usage #{record.seq}", record.recorded_at),
        "actor": record.actor,
    }


def usage_of(m: RowMapping) -> UsageRecord:
    return UsageRecord(
        seq=int(m["seq"]),
        org=OrgId(m["org_id"]),
        kind=m["kind"],
        quantity=int(m["quantity"]),
        on=m["used_on"],
        recorded_at=m["recorded_at"],
        actor=m["actor"],
    )


def invoice_row(invoice: Invoice) -> dict[str, Any]:
    evidence = invoice.evidence
    document = InvoiceDocument(
        format=FORMAT,
        lines=invoice.lines,
        reference_date=evidence.reference_date,
        usage_from=evidence.usage_from,
        usage_until=evidence.usage_until,
        prices=evidence.prices,
        usage=evidence.usage,
        adjustments=evidence.adjustments,
        basis=evidence.basis,
        issue=invoice.issue,
    )
    issue = invoice.issue
    return {
        "id": invoice.id,
        "org_id": invoice.org,
        "period": str(invoice.period),
        "kind": invoice.kind,
        "status": invoice.status.value,
        "currency": invoice.currency,
        "subtotal": invoice.subtotal,
        "vat_rate": invoice.vat_rate,
        "vat": invoice.vat,
        "total": invoice.total,
        "rounding": invoice.rounding,
        "evidence_hash": invoice.evidence_hash,
        "as_known_at": evidence.as_known_at,
        "issued_at": invoice.issued_at,
        "document": document_text(document),
        "number_series": issue.number.series if issue else None,
        "number_year": issue.number.year if issue else None,
        "number_seq": issue.number.seq if issue else None,
        "issue_date": issue.issue_date if issue else None,
        "due_date": issue.due_date if issue else None,
    }


def evidence_seat_row(invoice: str, position: int, row: SeatRow) -> dict[str, Any]:
    return {
        "invoice_id": invoice,
        "seat_id": row.seat,
        "billed_from": row.billed_from,
        "position": position,
        "holder": row.holder,
        "kind": row.kind.value,
        "activated_on": row.activated_on,
        "deactivated_on": row.deactivated_on,
        "paying_org": row.paying_org,
        "billed_until": row.billed_until,
        "addons": addons_text(row.addons),
    }


_EVIDENCE_KEYS = (
    "invoice_id",
    "seat_id",
    "billed_from",
    "position",
    "holder",
    "kind",
    "activated_on",
    "deactivated_on",
    "paying_org",
    "billed_until",
    "addons",
)


def evidence_seat_values(invoice: str, position: int, row: SeatRow) -> tuple[Any, ...]:
    """``evidence_seat_row`` as SQLite stores it (dates as ISO text), in ``_EVIDENCE_KEYS``."""
    off = row.deactivated_on
    until = row.billed_until
    return (
        invoice,
        row.seat,
        _date_text(row.billed_from),
        position,
        row.holder,
        _SEAT_KIND_TEXT[row.kind],
        _date_text(row.activated_on),
        None if off is None else _date_text(off),
        row.paying_org,
        None if until is None else _date_text(until),
        addons_text(row.addons),
    )


def invoice_of(m: RowMapping, seats: Sequence[SeatRow]) -> Invoice:
    document = document_of(m["document"])
    evidence = Evidence(
        as_known_at=m["as_known_at"],
        reference_date=document.reference_date,
        usage_from=document.usage_from,
        usage_until=document.usage_until,
        prices=document.prices,
        seats=tuple(seats),
        usage=document.usage,
        adjustments=document.adjustments,
        basis=document.basis,
    )
    return Invoice(
        id=m["id"],
        org=OrgId(m["org_id"]),
        period=Period.parse(m["period"]).unwrap(),
        kind=m["kind"],
        status=InvoiceStatus(m["status"]),
        currency=m["currency"],
        lines=document.lines,
        subtotal=m["subtotal"],
        vat_rate=m["vat_rate"],
        vat=m["vat"],
        total=m["total"],
        rounding=m["rounding"],
        evidence=evidence,
        evidence_hash=m["evidence_hash"],
        issued_at=m["issued_at"],
        issue=document.issue,
    )


# --- the repository ---------------------------------------------------------------


class SqlLedger:
    """``LedgerRepository`` on one open connection, inside the caller's transaction."""

    def __init__(self, conn: Connection, secrets: SecretBox | None = None) -> None:
        self.conn = conn
        # Seals webhook secrets for storage (decision 0040); None: the ledger's own key.
        self._secrets = secrets if secrets is not None else key_for(_url_of(conn), os.environ)
        self._postgres = conn.dialect.name == "postgresql"
        self._sqlite = conn.dialect.name == "sqlite"
        self._micros = _Micros()
        # SQLite binds each IN value separately (a limit on their number); PostgreSQL
        # takes one array parameter of any length.
        self._chunk = 10_000 if self._postgres else CHUNK
        # What ``prefetch_billing`` read for a batch of organisations, kept current by
        # this transaction's own writes (see there); empty: every method queries.
        self._head: LedgerHead | None = None
        self._contracts: dict[OrgId, list[Contract]] = {}
        self._summaries: dict[OrgId, list[IssuedSummary]] = {}
        self._absent: set[str] = set()  # invoice ids known not to exist
        self._last_seal: Seal | None = None  # the seal this transaction appended last
        self._no_usage: set[OrgId] = set()  # organisations with no usage recorded at all
        # Organisations with nothing recorded after an instant (``changed_since``).
        self._quiet: tuple[datetime, set[OrgId]] | None = None
        # In a billing batch: rows of evidence seats, outbox messages and audit entries,
        # and the head's instant, written by ``flush`` (before any read of them, and by
        # the unit of work before it commits) instead of invoice by invoice.
        self._deferred: dict[Table, list[Any]] | None = None
        self._head_moved: datetime | None = None

    def prefetch_billing(self, orgs: Sequence[OrgId], period: Period) -> None:
        """Read a batch's billing inputs in a few queries (``billing.BillingPrefetch``).

        The contracts of ``orgs``, their invoices' summaries (no evidence
        seats), which of them have no usage recorded at all, and the ledger
        head, read inside the current transaction (under the write lock when
        it is a write), so ``contracts``, ``invoice_summaries``, ``head``,
        ``usage`` of an organisation without any and ``get_invoice`` of an
        invoice that does not exist answer from memory for them, exactly as
        their queries would: this transaction's own writes update or drop
        what was read.
        """
        self._head = self.head()
        self._deferred = self._deferred if self._deferred is not None else {}
        contracts: dict[OrgId, list[Contract]] = {org: [] for org in orgs}
        found: dict[OrgId, list[IssuedSummary]] = {org: [] for org in orgs}
        for batch in chunks(list(orgs), self._chunk):
            rows = self.conn.execute(
                select(contract_versions)
                .where(self._among(contract_versions.c.org_id, batch))
                .order_by(contract_versions.c.recorded_at, contract_versions.c.version)
            )
            for r in rows:
                contracts[OrgId(r.org_id)].append(contract_of(r._mapping))
            issued = self.conn.execute(
                select(invoices).where(self._among(invoices.c.org_id, batch))
            )
            for r in issued:
                # Built without its seats only to be summarised: it never leaves here.
                found[OrgId(r.org_id)].append(summary_of(invoice_of(r._mapping, ())))
            self._no_usage.update(set(batch) - self._present(usage_records.c.org_id, batch))
        self._contracts.update(contracts)
        for org, summaries in found.items():
            summaries.sort(key=_invoice_order)
            self._summaries[org] = summaries
            # The invoice this batch may issue: a run first asks whether it exists.
            due = invoice_id(org, period)
            if all(s.id != due for s in summaries):
                self._absent.add(due)
        cuts = [s.as_known_at for org in orgs for s in found[org] if s.as_known_at is not None]
        if cuts:
            self._quiet = (min(cuts), set(orgs) - self._changed_among(orgs, min(cuts)))

    def flush(self) -> None:
        """Write what a billing batch held back: one insert per table, then the head.

        The unit of work calls it before it commits; the methods that read
        those tables call it first. A rollback drops what was held back, as
        it would drop the rows themselves.
        """
        deferred, self._deferred = self._deferred, None
        for table, rows in (deferred or {}).items():
            self._write_rows(table, rows, defer=False)
        if self._head_moved is not None:
            self.conn.execute(_MOVE_RECORDED_AT, {"instant": self._head_moved})
            self._head_moved = None
        if deferred is not None:
            self._deferred = {}

    def _write_rows(self, table: Table, rows: list[Any], *, defer: bool = True) -> None:
        """Insert rows in their stored form (tuples in ``_STORED_KEYS[table]`` order on SQLite,
        dicts elsewhere), or, in a billing batch, keep them for ``flush``."""
        if defer and self._deferred is not None:
            self._deferred.setdefault(table, []).extend(rows)
        elif self._sqlite:
            _insert_values(self.conn, table, _STORED_KEYS[table], rows)
        else:
            _bulk_insert(self.conn, table, rows)

    def _changed_among(self, orgs: Sequence[OrgId], instant: datetime) -> set[OrgId]:
        """Which of ``orgs`` have spans, usage or usage corrections recorded after ``instant``:
        one query each."""
        changed: set[OrgId] = set()
        for batch in chunks(list(orgs), self._chunk):
            spans = select(billing_spans.c.org_id).where(
                self._among(billing_spans.c.org_id, batch),
                or_(billing_spans.c.known_from > instant, billing_spans.c.known_until > instant),
            )
            usage = select(usage_records.c.org_id).where(
                self._among(usage_records.c.org_id, batch), usage_records.c.recorded_at > instant
            )
            withdrawn = select(usage_supersessions.c.org_id).where(
                self._among(usage_supersessions.c.org_id, batch),
                usage_supersessions.c.recorded_at > instant,
            )
            for query in (spans, usage, withdrawn):
                changed.update(OrgId(r[0]) for r in self.conn.execute(query.distinct()))
        return changed

    def _among(self, column: ColumnElement[Any], values: list[Any]) -> ColumnElement[bool]:
        """``column IN values``; on PostgreSQL ``column = ANY(:array)``, one parameter.

        A long IN list of separate parameters is planned badly by PostgreSQL
        right after a bulk load (no statistics yet: a sequential scan per
        chunk, each comparing against every listed value); one array
        parameter is hashed or probed through the index.
        """
        if self._postgres:
            return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
        return column.in_(values)

    # --- organisations ------------------------------------------------------
    def add_organisation(self, org: Organisation, recorded_at: datetime) -> None:
        self.conn.execute(
            insert(organisations).values(
                id=org.id,
                name=org.name,
                timezone=org.timezone,
                currency=org.currency,
                billing_relationship=org.billing_relationship,
                created_at=recorded_at,
            )
        )
        self._move_recorded_at(recorded_at)

    def get_organisation(self, org: OrgId) -> Organisation | None:
        row = self.conn.execute(select(organisations).where(organisations.c.id == org)).first()
        if row is None:
            return None
        zones = self.conn.execute(
            select(organisation_zones)
            .where(organisation_zones.c.org_id == org)
            .order_by(organisation_zones.c.from_on)
        )
        party = self.conn.execute(
            select(organisation_parties).where(organisation_parties.c.org_id == org)
        ).first()
        return organisation_of(
            row._mapping,
            [zone_change_of(z._mapping) for z in zones],
            buyer_details_of(party._mapping) if party is not None else None,
        )

    def list_organisations(self) -> Sequence[Organisation]:
        rows = self.conn.execute(select(organisations)).all()
        zones: dict[str, list[ZoneChange]] = defaultdict(list)
        for z in self.conn.execute(
            select(organisation_zones).order_by(organisation_zones.c.from_on)
        ):
            zones[z.org_id].append(zone_change_of(z._mapping))
        parties = {
            p.org_id: buyer_details_of(p._mapping)
            for p in self.conn.execute(select(organisation_parties))
        }
        return sorted(
            (organisation_of(r._mapping, zones.get(r.id, ()), parties.get(r.id)) for r in rows),
            key=lambda o: o.id,
        )

    def save_organisation(self, org: Organisation, recorded_at: datetime) -> None:
        self.conn.execute(
            update(organisations)
            .where(organisations.c.id == org.id)
            .values(name=org.name, billing_relationship=org.billing_relationship)
        )
        self._move_recorded_at(recorded_at)

    def save_buyer_details(self, org: OrgId, details: BuyerDetails, recorded_at: datetime) -> None:
        values = {
            **{field: getattr(details.party, field) for field in _PARTY_FIELDS},
            "buyer_reference": details.buyer_reference,
            "sepa_mandate": details.sepa_mandate,
            "recorded_at": recorded_at,
        }
        changed = self.conn.execute(
            update(organisation_parties)
            .where(organisation_parties.c.org_id == org)
            .values(**values)
        )
        if changed.rowcount == 0:
            self.conn.execute(insert(organisation_parties).values(org_id=org, **values))
        self._move_recorded_at(recorded_at)

    def seller(self) -> Seller | None:
        row = self.conn.execute(select(seller_table).where(seller_table.c.id == 1)).first()
        return seller_of(row._mapping) if row is not None else None

    def save_seller(self, seller: Seller, recorded_at: datetime) -> None:
        values = {
            **{field: getattr(seller.party, field) for field in _PARTY_FIELDS},
            "iban": seller.iban,
            "invoice_series": seller.invoice_series,
            "payment_days": seller.payment_days,
            "recorded_at": recorded_at,
        }
        changed = self.conn.execute(
            update(seller_table).where(seller_table.c.id == 1).values(**values)
        )
        if changed.rowcount == 0:
            self.conn.execute(insert(seller_table).values(id=1, **values))
        self._move_recorded_at(recorded_at)

    def add_zone_change(self, org: OrgId, change: ZoneChange, recorded_at: datetime) -> None:
        self.conn.execute(
            insert(organisation_zones).values(
                org_id=org,
                from_on=change.on,
                timezone=change.timezone,
                recorded_at=change.recorded_at,
                actor=change.actor,
            )
        )
        self._move_recorded_at(recorded_at)

    # --- facts ----------------------------------------------------------------
    def head(self) -> LedgerHead:
        if self._head is not None:
            return self._head
        row = self.conn.execute(
            select(ledger_head.c.last_seq, ledger_head.c.last_recorded_at).where(
                ledger_head.c.id == 1
            )
        ).one()
        return LedgerHead(int(row.last_seq), row.last_recorded_at)

    def seat_facts(self, seat: SeatId) -> Sequence[SeatFact]:
        rows = self.conn.execute(
            select(seat_facts).where(seat_facts.c.seat_id == seat).order_by(seat_facts.c.seq)
        )
        return [fact_of(r._mapping) for r in rows]

    def seat_facts_of(self, seats: Collection[SeatId]) -> Mapping[SeatId, Sequence[SeatFact]]:
        """The facts of many seats, one query per chunk of them, each seat's in recorded order."""
        found: dict[SeatId, list[SeatFact]] = {}
        for batch in chunks(sorted(set(seats)), self._chunk):
            rows = self.conn.execute(
                select(seat_facts)
                .where(self._among(seat_facts.c.seat_id, list(batch)))
                .order_by(seat_facts.c.seq)
            )
            for r in rows:
                fact = fact_of(r._mapping)
                found.setdefault(fact.seat, []).append(fact)
        return found

    def existing_seats(self, seats: Collection[SeatId]) -> set[SeatId]:
        return {SeatId(s) for s in self._present(seat_facts.c.seat_id, seats)}

    def _present(self, column: ColumnElement[Any], values: Collection[Any]) -> set[Any]:
        """Which of ``values`` occur in ``column``: one query per chunk of them."""
        found: set[Any] = set()
        if self._sqlite:
            # The driver's own statement (an import asks for every one of its seats,
            # twice): building SQLAlchemy's expanding IN cost more than the query.
            assert isinstance(column, Column)
            for batch in chunks(sorted(set(values)), self._chunk):
                marks = ",".join("?" * len(batch))
                rows = self.conn.exec_driver_sql(
                    f"SELECT DISTINCT {column.name} FROM {column.table.name} "
                    f"WHERE {column.name} IN ({marks})",
                    tuple(batch),
                )
                found.update(r[0] for r in rows)
            return found
        driver = _psycopg(self.conn)
        if driver is not None:
            # The same through psycopg, one array parameter (see ``_among``): a billing
            # run asks once per organisation whether its messages are in the outbox, and
            # building the expression and its ARRAY type cost more than the query.
            assert isinstance(column, Column)
            sql = (
                f"SELECT DISTINCT {column.name} FROM {column.table.name} "
                f"WHERE {column.name} = ANY(%s)"
            )
            with driver.cursor() as cursor:
                for batch in chunks(sorted(set(values)), self._chunk):
                    cursor.execute(sql, (batch,))
                    found.update(r[0] for r in cursor.fetchall())
            return found
        for batch in chunks(sorted(set(values)), self._chunk):
            rows = self.conn.execute(select(column).distinct().where(self._among(column, batch)))
            found.update(r[0] for r in rows)
        return found

    def append(self, facts: Sequence[SeatFact], head: LedgerHead) -> None:
        naive = next((f for f in facts if f.recorded_at.utcoffset() is None), None)
        if naive is not None:
            raise ValueError(f"refusing to store fact #{naive.seq} with a naive recorded_at")
        if facts:
            affected = list(dict.fromkeys(f.seat for f in facts))
            stored = self.existing_seats(affected)
            if self._sqlite:
                micros = self._micros
                _insert_values(
                    self.conn, seat_facts, _FACT_KEYS, [fact_values(f, micros) for f in facts]
                )
            else:
                _bulk_insert(self.conn, seat_facts, [fact_row(f) for f in facts])
            self._project(facts, affected, stored)
        self._move_head(head)

    def _project(
        self, new: Sequence[SeatFact], affected: Sequence[SeatId], stored: set[SeatId]
    ) -> None:
        """Bring ``billing_spans`` up to date for the seats the new facts touch."""
        new_by_seat: dict[SeatId, list[SeatFact]] = defaultdict(list)
        for fact in new:
            new_by_seat[fact.seat].append(fact)
        # Seats with history: their facts (the new ones included) and their current spans.
        history: dict[SeatId, list[SeatFact]] = defaultdict(list)
        current: dict[SeatId, dict[SpanKey, int]] = defaultdict(dict)
        for batch in chunks(sorted(stored), self._chunk):
            for r in self.conn.execute(
                select(seat_facts)
                .where(self._among(seat_facts.c.seat_id, batch))
                .order_by(seat_facts.c.seat_id, seat_facts.c.seq)
            ):
                history[SeatId(r.seat_id)].append(fact_of(r._mapping))
            for r in self.conn.execute(
                select(billing_spans).where(
                    self._among(billing_spans.c.seat_id, batch),
                    billing_spans.c.known_until.is_(None),
                )
            ):
                current[SeatId(r.seat_id)][stored_span_key(r._mapping)] = int(r.id)

        inserts: list[dict[str, Any]] = []
        # SQLite: the rows in their stored form (tuples), or replay's dicts, in order.
        ordered: list[tuple[Any, ...] | dict[str, Any]] = []
        micros = self._micros
        closes: dict[datetime, list[int]] = defaultdict(list)
        # Usually (always for an import) every new fact has the same recorded instant.
        recorded = {f.recorded_at for f in new}
        one_instant = list(recorded) if len(recorded) == 1 else None
        for seat in affected:
            facts = history[seat] if seat in stored else new_by_seat[seat]
            instants = one_instant or sorted({f.recorded_at for f in new_by_seat[seat]})
            if seat not in stored and len(instants) == 1:
                # The fast path of an import: a new seat, one instant, nothing to compare.
                spans = direct_spans(facts)
                if spans is None:
                    spans = fold_spans(seat, facts, instants[0])
                if self._sqlite:
                    known_from = micros[instants[0]]
                    ordered.extend(span_values(seat, s, known_from) for s in spans)
                else:
                    inserts.extend(span_row(seat, s, instants[0]) for s in spans)
                continue
            start = len(inserts)
            replay(seat, facts, instants, current.get(seat, {}), closes, inserts)
            if self._sqlite:
                ordered.extend(inserts[start:])
        for at, ids in closes.items():
            for id_batch in chunks(ids, self._chunk):
                self.conn.execute(
                    update(billing_spans)
                    .where(self._among(billing_spans.c.id, id_batch))
                    .values(known_until=at)
                )
        if self._sqlite:
            self._insert_spans_sqlite(ordered)
        else:
            _bulk_insert(self.conn, billing_spans, inserts)

    def _insert_spans_sqlite(self, rows: Sequence[tuple[Any, ...] | dict[str, Any]]) -> None:
        """Insert spans on SQLite; many at once are checked for overlaps by one query.

        Migration 0004's insert trigger looks up the seat's current spans for
        every row (about half the cost of inserting an import's spans). From
        ``BULK_SPANS`` rows on, the trigger is dropped for the insert and
        recreated from its stored text right after, in this same write
        transaction (``BEGIN IMMEDIATE``: no other writer can see it gone;
        a rollback or a crash keeps it), and the new rows are checked with
        the trigger's own condition in one query. An overlap is then refused
        by the database itself, with the trigger's error: migration 0004's
        update trigger runs the same check on the offending row
        (decision 0013).
        """
        if len(rows) < BULK_SPANS:
            _insert_values(self.conn, billing_spans, _SPAN_KEYS, rows)
            return
        trigger = self.conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (_OVERLAP_TRIGGER,),
        ).scalar()
        if trigger is None:
            _insert_values(self.conn, billing_spans, _SPAN_KEYS, rows)
            return
        last = self.conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM billing_spans").scalar()
        self.conn.exec_driver_sql(f"DROP TRIGGER {_OVERLAP_TRIGGER}")
        _insert_values(self.conn, billing_spans, _SPAN_KEYS, rows)
        self.conn.exec_driver_sql(trigger)
        overlapping = self.conn.exec_driver_sql(_NEW_OVERLAPS, (last,)).scalar()
        if overlapping is not None:
            self.conn.exec_driver_sql(
                "UPDATE billing_spans SET known_until = NULL WHERE id = ?", (overlapping,)
            )
            raise CorruptHistory(f"billing span #{overlapping} overlaps a current span")

    def rebuild_projection(self) -> int:
        """Recompute ``billing_spans`` from the facts alone; returns the number of rows.

        The projection is derived data: this replays every seat's history,
        instant by instant, and replaces the table's rows (the one place rows
        are deleted). Run it in a write transaction, e.g. after a fix to the
        domain's folding rules; answers as known at any instant are then
        what the fixed rules say they were.
        """
        self.conn.execute(delete(billing_spans))
        inserts: list[dict[str, Any]] = []
        closes: dict[datetime, list[int]] = defaultdict(list)
        written = 0

        def flush_seat(seat: SeatId | None, facts: list[SeatFact]) -> None:
            if seat is not None and facts:
                instants = sorted({f.recorded_at for f in facts})
                replay(seat, facts, instants, {}, closes, inserts)

        seat: SeatId | None = None
        facts: list[SeatFact] = []
        rows = self.conn.execute(
            select(seat_facts)
            .order_by(seat_facts.c.seat_id, seat_facts.c.seq)
            .execution_options(yield_per=5_000)
        )
        for r in rows:
            fact = fact_of(r._mapping)
            if fact.seat != seat:
                flush_seat(seat, facts)
                seat, facts = fact.seat, []
                if len(inserts) >= 10_000:
                    written += len(inserts)
                    _bulk_insert(self.conn, billing_spans, inserts)
                    inserts = []
            facts.append(fact)
        flush_seat(seat, facts)
        written += len(inserts)
        _bulk_insert(self.conn, billing_spans, inserts)
        return written

    # --- questions --------------------------------------------------------------
    def changed_since(self, org: OrgId, instant: datetime) -> bool:
        """True if anything recorded after ``instant`` changes what ``org`` is billed.

        That is: a span paid by ``org`` became known or stopped being known
        after ``instant`` (the projection reflects every fact that moves a
        seat into or out of the org's count, its dates, holder, kind or
        add-ons), or usage of ``org`` was recorded after it. False means an
        invoice cut at ``instant`` recomputes to itself, so the billing run
        can skip recomputing it (``billing.ChangeLog``).
        """
        quiet = self._quiet
        if quiet is not None and instant >= quiet[0] and org in quiet[1]:
            return False  # read for the batch (prefetch_billing): nothing after an earlier instant
        params = {"org": org, "at": instant}
        if self.conn.execute(_SPANS_CHANGED, params).first() is not None:
            return True
        if self.conn.execute(_USAGE_CHANGED, params).first() is not None:
            return True
        return self.conn.execute(_USAGE_WITHDRAWN, params).first() is not None

    def _spans(self, *where: ColumnElement[bool]) -> list[BillingSpan]:
        # Only the columns a span needs, read by position: a 10,000-seat answer builds
        # 10,000 spans, and the per-row cost is most of the query's time.
        rows = self.conn.execute(select(*_SPAN_COLUMNS).where(*where))
        kinds, seat_kinds = _FACT_KINDS, _SEAT_KINDS
        return [
            BillingSpan(
                seat=seat,
                org=org,
                start=start,
                end=end,
                activated_on=activated_on,
                deactivated_on=deactivated_on,
                ended_by=kinds[ended_by] if ended_by is not None else None,
                holder=holder,
                seat_kind=seat_kinds[seat_kind],
                addons=addons_of(addons),
            )
            for (
                seat,
                org,
                start,
                end,
                activated_on,
                deactivated_on,
                ended_by,
                holder,
                seat_kind,
                addons,
            ) in rows
        ]

    def billable_on(self, org: OrgId, on: date, known_at: datetime | None) -> Sequence[SeatRow]:
        # The WHERE clause is exactly ``queries.billable_on``'s test (paid by ``org``,
        # ``span.covers(on)``), so its rows are built straight from the stored columns, in
        # the domain's order (``queries.row_order``): no span per row, one object per seat.
        if known_at is not None and self._knows_nothing_after(known_at):
            # As known at or after the head is as known now (nothing was recorded later):
            # the spans known now have their own covering index (migration 0007).
            known_at = None
        query = _BILLABLE_NOW if known_at is None else _BILLABLE_AT
        rows, day = self._driver_rows(
            query, {"org": org, "on": on, "at": None if known_at is None else known_at}
        )
        return _seat_rows(sorted(rows, key=_by_seat_and_start), day)

    def _driver_rows(
        self, query: Select[Any], values: dict[str, Any]
    ) -> tuple[Sequence[Sequence[Any]], Callable[[Any], date | None]]:
        """A large answer's rows as the driver returns them, and how to read its dates.

        SQLAlchemy's row handling cost as much as the query itself for a
        10,000-seat answer, so SQLite and psycopg are asked directly, with
        the statement compiled once and the parameters in their stored form
        (dates as ISO text on SQLite, instants as microseconds).
        """
        stored = {k: self._micros[v] if isinstance(v, datetime) else v for k, v in values.items()}
        driver = self.conn.connection.driver_connection
        if self._sqlite and driver is not None:
            sql, names = _compiled(query, self.conn.dialect)
            stored = {k: _date_text(v) if isinstance(v, date) else v for k, v in stored.items()}
            found = driver.execute(sql, tuple(stored[n] for n in names)).fetchall()
            return found, _date_of_text
        psycopg = _psycopg(self.conn)
        if psycopg is not None:
            sql, _ = _compiled(query, self.conn.dialect)
            with psycopg.cursor() as cursor:
                cursor.execute(sql, stored)
                return cursor.fetchall(), _as_stored
        return self.conn.execute(query, values).all(), _as_stored

    def _knows_nothing_after(self, instant: datetime) -> bool:
        """True if nothing this ledger knows was recorded after ``instant`` (the head's)."""
        last = self.head().last_recorded_at
        return last is not None and instant >= last

    def count_billable(self, org: OrgId, on: date, known_at: datetime | None) -> int:
        count = self.conn.execute(
            select(func.count())
            .select_from(billing_spans)
            .where(*_covering(org, on), known_at_filter(known_at))
        ).scalar_one()
        return int(count)

    def active_within(
        self, org: OrgId, first: date, last: date, mode: RangeMode, known_at: datetime | None
    ) -> Sequence[SeatRow]:
        spans = self._spans(
            billing_spans.c.org_id == org,
            billing_spans.c.start_on <= last,
            or_(billing_spans.c.end_on.is_(None), billing_spans.c.end_on > first),
            known_at_filter(known_at),
        )
        return queries.active_within(spans, org, first, last, mode)

    # --- admins -------------------------------------------------------------------
    def add_admin(self, admin: Admin) -> None:
        self.conn.execute(
            insert(admins).values(
                org_id=admin.org,
                id=admin.id,
                pin_hash=admin.pin_hash,
                failed_attempts=admin.failed_attempts,
                locked=admin.locked,
            )
        )

    def get_admin(self, org: OrgId, admin: str) -> Admin | None:
        row = self.conn.execute(
            select(admins).where(admins.c.org_id == org, admins.c.id == admin)
        ).first()
        return admin_of(row._mapping) if row is not None else None

    def save_admin(self, admin: Admin) -> None:
        changed = self.conn.execute(
            update(admins)
            .where(admins.c.org_id == admin.org, admins.c.id == admin.id)
            .values(
                pin_hash=admin.pin_hash,
                failed_attempts=admin.failed_attempts,
                locked=admin.locked,
            )
        )
        if changed.rowcount == 0:
            self.add_admin(admin)

    def list_admins(self, org: OrgId) -> Sequence[Admin]:
        rows = self.conn.execute(select(admins).where(admins.c.org_id == org))
        return sorted((admin_of(r._mapping) for r in rows), key=lambda a: a.id)

    # --- transfers --------------------------------------------------------------------
    def transfer_facts(self, org: OrgId | None) -> Sequence[SeatFact]:
        query = select(seat_facts).where(seat_facts.c.request.is_not(None))
        if org is not None:
            involved = select(seat_facts.c.request).where(
                seat_facts.c.kind == FactKind.TRANSFER_REQUESTED.value,
                or_(seat_facts.c.org_id == org, seat_facts.c.from_org_id == org),
            )
            query = query.where(seat_facts.c.request.in_(involved))
        rows = self.conn.execute(query.order_by(seat_facts.c.seq))
        return [fact_of(r._mapping) for r in rows]

    def request_facts(self, request: str) -> Sequence[SeatFact]:
        rows = self.conn.execute(
            select(seat_facts).where(seat_facts.c.request == request).order_by(seat_facts.c.seq)
        )
        return [fact_of(r._mapping) for r in rows]

    # --- contracts and usage ------------------------------------------------------------
    def _move_recorded_at(self, instant: datetime) -> None:
        """The head's recorded instant moves on, with no new fact (an organisation, an invoice)."""
        if self._deferred is not None and self._head is not None:
            self._head_moved = instant  # written by ``flush``; ``head`` answers from memory
        else:
            self.conn.execute(_MOVE_RECORDED_AT, {"instant": instant})
        if self._head is not None:
            self._head = LedgerHead(self._head.last_seq, instant)

    def _move_head(self, head: LedgerHead) -> None:
        self._head = None
        self._head_moved = None  # the whole head is written now
        self._quiet = None  # a fact, a contract or usage: what was quiet may not be
        self.conn.execute(_MOVE_HEAD, {"seq": head.last_seq, "instant": head.last_recorded_at})

    def add_contract(self, contract: Contract, head: LedgerHead) -> None:
        self.conn.execute(insert(contract_versions).values(**contract_row(contract)))
        self._contracts.pop(contract.org, None)
        self._move_head(head)

    def every_contract(self) -> Mapping[OrgId, Sequence[Contract]]:
        """Every contract version of every organisation, in one query, in recorded order."""
        found: dict[OrgId, list[Contract]] = {}
        rows = self.conn.execute(
            select(contract_versions).order_by(
                contract_versions.c.recorded_at, contract_versions.c.version
            )
        )
        for r in rows:
            contract = contract_of(r._mapping)
            found.setdefault(contract.org, []).append(contract)
        return found

    def contracts(self, org: OrgId) -> Sequence[Contract]:
        if org in self._contracts:
            return list(self._contracts[org])
        rows = self.conn.execute(
            select(contract_versions)
            .where(contract_versions.c.org_id == org)
            .order_by(contract_versions.c.recorded_at, contract_versions.c.version)
        )
        return [contract_of(r._mapping) for r in rows]

    def add_usage(self, record: UsageRecord, head: LedgerHead) -> None:
        self.conn.execute(insert(usage_records).values(**usage_row(record)))
        self._no_usage.discard(record.org)
        self._move_head(head)

    def usage(
        self, org: OrgId, first: date, last: date, known_at: datetime | None
    ) -> Sequence[UsageRecord]:
        if org in self._no_usage:
            return []  # read for the batch (prefetch_billing): none at all, so none here
        params = {"org": org, "first": first, "last": last, "at": known_at}
        rows = self.conn.execute(_USAGE_NOW if known_at is None else _USAGE_AT, params)
        return [usage_of(r._mapping) for r in rows]

    def usage_record(self, seq: int) -> UsageRecord | None:
        row = self.conn.execute(select(usage_records).where(usage_records.c.seq == seq)).first()
        return usage_of(row._mapping) if row is not None else None

    def usage_history(
        self, org: OrgId, first: date | None, last: date | None, known_at: datetime | None
    ) -> Sequence[UsageRecord]:
        query = select(usage_records).where(usage_records.c.org_id == org)
        if first is not None:
            query = query.where(usage_records.c.used_on >= first)
        if last is not None:
            query = query.where(usage_records.c.used_on <= last)
        if known_at is not None:
            query = query.where(usage_records.c.recorded_at <= known_at)
        rows = self.conn.execute(query.order_by(usage_records.c.seq))
        return [usage_of(r._mapping) for r in rows]

    def usage_supersessions(
        self, org: OrgId, known_at: datetime | None
    ) -> Sequence[UsageSupersession]:
        query = select(usage_supersessions).where(usage_supersessions.c.org_id == org)
        if known_at is not None:
            query = query.where(usage_supersessions.c.recorded_at <= known_at)
        rows = self.conn.execute(query.order_by(usage_supersessions.c.recorded_at))
        return [supersession_of(r._mapping) for r in rows]

    def usage_supersession(self, seq: int) -> UsageSupersession | None:
        row = self.conn.execute(
            select(usage_supersessions).where(usage_supersessions.c.supersedes == seq)
        ).first()
        return supersession_of(row._mapping) if row is not None else None

    def add_usage_supersession(self, supersession: UsageSupersession, head: LedgerHead) -> None:
        self.conn.execute(
            insert(usage_supersessions).values(
                supersedes=supersession.supersedes,
                org_id=supersession.org,
                replaced_by=supersession.replaced_by,
                reason=supersession.reason,
                recorded_at=_require_instant(
                    f"the supersession of usage #{supersession.supersedes}",
                    supersession.recorded_at,
                ),
                actor=supersession.actor,
            )
        )
        self._move_head(head)

    # --- invoices -------------------------------------------------------------------------
    def add_invoice(self, invoice: Invoice) -> None:
        # A second invoice for the same org, period and kind fails here: the unique constraint.
        self.conn.execute(_INSERT_INVOICE, invoice_row(invoice))
        seats = enumerate(invoice.evidence.seats)
        self._write_rows(
            invoice_evidence_seats,
            [evidence_seat_values(invoice.id, position, row) for position, row in seats]
            if self._sqlite
            else [evidence_seat_row(invoice.id, position, row) for position, row in seats],
        )
        self._absent.discard(invoice.id)
        if invoice.org in self._summaries:
            self._summaries[invoice.org].append(summary_of(invoice))
            self._summaries[invoice.org].sort(key=_invoice_order)
        if invoice.issued_at is not None:
            # Issuing is recorded: nothing dated before it can be recorded after it.
            self._move_recorded_at(invoice.issued_at)

    # --- seals and checks against the facts ---------------------------------------
    def last_seal(self) -> Seal | None:
        if self._last_seal is not None:
            return self._last_seal
        row = self.conn.execute(
            select(invoice_seals).order_by(invoice_seals.c.seq.desc()).limit(1)
        ).first()
        return None if row is None else seal_of(row._mapping)

    def add_seal(self, seal: Seal) -> None:
        self.conn.execute(invoice_seals.insert().values(seal_row(seal)))
        self._last_seal = seal

    def seals(self) -> Sequence[Seal]:
        rows = self.conn.execute(select(invoice_seals).order_by(invoice_seals.c.seq))
        return [seal_of(r) for r in rows.mappings()]

    def invoice_hashes(self) -> Mapping[str, str]:
        self.flush()
        rows = self.conn.execute(select(invoices.c.id, invoices.c.evidence_hash))
        return {str(row[0]): str(row[1]) for row in rows}

    def projection_drift(self, org: OrgId | None) -> Sequence[SeatId]:
        """Replay the facts of the seats concerned, chunk by chunk, and compare every span row
        (``known_from`` and ``known_until`` included) with the stored ones."""
        self.flush()
        chosen: Select[Any] | CompoundSelect[Any]
        if org is None:
            chosen = select(seat_facts.c.seat_id).distinct()
        else:
            named = or_(seat_facts.c.org_id == org, seat_facts.c.from_org_id == org)
            chosen = (
                select(seat_facts.c.seat_id)
                .where(named)
                .union(select(billing_spans.c.seat_id).where(billing_spans.c.org_id == org))
            )
        seats = sorted(SeatId(s) for s in self.conn.execute(chosen).scalars())
        drifted: list[SeatId] = []
        for batch in chunks(seats, self._chunk):
            facts = self.seat_facts_of(batch)
            stored: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
            rows = self.conn.execute(
                select(*(billing_spans.c[k] for k in _SPAN_KEYS)).where(
                    self._among(billing_spans.c.seat_id, batch)
                )
            )
            for row in rows:
                stored[row[0]].append(tuple(row))
            for seat in batch:
                inserts: list[dict[str, Any]] = []
                history = list(facts.get(seat, ()))
                instants = sorted({f.recorded_at for f in history})
                replay(seat, history, instants, {}, defaultdict(list), inserts)
                expected = Counter(tuple(r[k] for k in _SPAN_KEYS) for r in inserts)
                if expected != Counter(stored.get(seat, [])):
                    drifted.append(seat)
            # A span of a seat with no facts at all is drift too (the seats above have facts).
        if org is not None:
            orphans = select(billing_spans.c.seat_id).where(
                billing_spans.c.org_id == org,
                ~billing_spans.c.seat_id.in_(select(seat_facts.c.seat_id)),
            )
            drifted += [SeatId(s) for s in self.conn.execute(orphans.distinct()).scalars()]
        return sorted(set(drifted))

    def get_invoice(self, invoice: str) -> Invoice | None:
        if invoice in self._absent:
            return None
        found = self._invoices(invoices.c.id == invoice)
        return found[0] if found else None

    def last_document_number(self, series: str, year: int) -> int:
        # An index seek on the unique (series, year, seq) index, inside the write transaction.
        found = self.conn.execute(
            select(func.max(invoices.c.number_seq)).where(
                invoices.c.number_series == series, invoices.c.number_year == year
            )
        ).scalar()
        return int(found or 0)

    def invoices(self, org: OrgId | None, period: Period | None) -> Sequence[Invoice]:
        where: list[ColumnElement[bool]] = []
        if org is not None:
            where.append(invoices.c.org_id == org)
        if period is not None:
            where.append(invoices.c.period == str(period))
        found = self._invoices(*where)
        return sorted(found, key=_invoice_order)

    def invoice_summaries(self, org: OrgId) -> Sequence[IssuedSummary]:
        """``billing.InvoiceSummaries``: from the batch's prefetch, else from the invoices."""
        if org in self._summaries:
            return list(self._summaries[org])
        return [summary_of(i) for i in self.invoices(org, None)]

    def _invoices(self, *where: ColumnElement[bool]) -> list[Invoice]:
        """The invoices matching ``where``, their evidence seats read in one query for all."""
        self.flush()
        rows = self.conn.execute(select(invoices).where(*where)).all()
        if not rows:
            return []
        stored: dict[str, list[Sequence[Any]]] = defaultdict(list)
        seat_rows = self.conn.execute(
            select(invoice_evidence_seats.c.invoice_id, *_EVIDENCE_ROW_COLUMNS)
            .join(invoices, invoices.c.id == invoice_evidence_seats.c.invoice_id)
            .where(*where)
            .order_by(invoice_evidence_seats.c.invoice_id, invoice_evidence_seats.c.position)
        )
        for r in seat_rows:
            stored[r[0]].append(r[1:])
        # Read by position, like the billable seats: a run reads every earlier invoice's seats.
        seats = {invoice: _seat_rows(found, _as_stored) for invoice, found in stored.items()}
        return [invoice_of(r._mapping, seats.get(r.id, [])) for r in rows]

    # --- the outbox and contacts --------------------------------------------------------
    def enqueue(self, messages: Sequence[Message], at: datetime) -> int:
        present = self._present(outbox.c.message_id, [m.id for m in messages])
        held = (self._deferred or {}).get(outbox, [])
        present.update(row["message_id"] for row in held)
        new = {m.id: m for m in messages if m.id not in present}
        self._write_rows(outbox, [outbox_row(OutboxEntry(m, at, at)) for m in new.values()])
        return len(new)

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> Sequence[OutboxEntry]:
        self.flush()
        rows = self.conn.execute(
            select(outbox)
            .where(outbox.c.status == DeliveryStatus.PENDING.value, outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.next_attempt_at, outbox.c.enqueued_at, outbox.c.message_id)
            .limit(limit)
        )
        due = [outbox_of(r._mapping) for r in rows]
        for entry in due:
            self.conn.execute(
                update(outbox)
                .where(outbox.c.message_id == entry.message.id)
                .values(next_attempt_at=lease_until)
            )
        return due

    def save_entry(self, entry: OutboxEntry) -> None:
        self.flush()
        row = outbox_row(entry)
        self.conn.execute(
            update(outbox).where(outbox.c.message_id == entry.message.id).values(**row)
        )

    def outbox(self, status: DeliveryStatus | None, limit: int) -> Sequence[OutboxEntry]:
        self.flush()
        query = select(outbox)
        if status is not None:
            query = query.where(outbox.c.status == status.value)
        rows = self.conn.execute(
            query.order_by(outbox.c.enqueued_at, outbox.c.message_id).limit(limit)
        )
        return [outbox_of(r._mapping) for r in rows]

    def set_contact(self, contact: Contact) -> None:
        values = {
            "emails": json.dumps(list(contact.emails)),
            "webhook_url": contact.webhook_url,
            "webhook_secret": (
                self._secrets.seal(contact.webhook_secret) if contact.webhook_secret else None
            ),
            "previous_webhook_secret": (
                self._secrets.seal(contact.previous_secret) if contact.previous_secret else None
            ),
            "webhook_disabled_at": contact.webhook_disabled_at,
        }
        changed = self.conn.execute(
            update(contacts).where(contacts.c.org_id == contact.org).values(**values)
        )
        if changed.rowcount == 0:
            self.conn.execute(insert(contacts).values(org_id=contact.org, **values))

    def get_contact(self, org: OrgId) -> Contact | None:
        row = self.conn.execute(select(contacts).where(contacts.c.org_id == org)).first()
        if row is None:
            return None
        m = row._mapping
        stored, previous = m["webhook_secret"], m["previous_webhook_secret"]
        return Contact(OrgId(m["org_id"]), tuple(json.loads(m["emails"])), m["webhook_url"],
                       self._secrets.open(stored) if stored else stored,
                       self._secrets.open(previous) if previous else previous,
                       m["webhook_disabled_at"])  # fmt: skip

    def seal_plain_secrets(self) -> int:
        """Encrypt every webhook secret (and rotation's previous one) still stored in plain
        text; how many there were."""
        rows = self.conn.execute(
            select(contacts.c.org_id, contacts.c.webhook_secret, contacts.c.previous_webhook_secret)
        ).all()
        sealed = 0
        for org, secret, previous in rows:
            values = {}
            if secret and not is_sealed(secret):
                values["webhook_secret"] = self._secrets.seal(secret)
            if previous and not is_sealed(previous):
                values["previous_webhook_secret"] = self._secrets.seal(previous)
            if values:
                self.conn.execute(update(contacts).where(contacts.c.org_id == org).values(**values))
                sealed += 1
        return sealed

    # --- idempotency keys ---------------------------------------------------------------
    def idempotency_record(self, key: IdempotencyKey) -> IdempotencyRecord | None:
        row = self.conn.execute(
            select(idempotency_keys).where(idempotency_keys.c.key == key.text)
        ).first()
        if row is None:
            return None
        m = row._mapping
        return IdempotencyRecord(
            IdempotencyKey(m["key"]), m["command"], m["fingerprint"], m["result"], m["recorded_at"]
        )

    def add_idempotency_record(self, record: IdempotencyRecord) -> None:
        self.conn.execute(
            insert(idempotency_keys).values(
                key=record.key.text,
                command=record.command,
                fingerprint=record.fingerprint,
                result=record.result,
                recorded_at=record.recorded_at,
            )
        )

    # --- the HTTP API's keys -------------------------------------------------------------
    def api_keys(self) -> Sequence[ApiKey]:
        rows = self.conn.execute(select(api_keys).order_by(api_keys.c.created_at, api_keys.c.name))
        return [_api_key(m) for m in rows.mappings()]

    def api_key(self, name: str) -> ApiKey | None:
        row = self.conn.execute(select(api_keys).where(api_keys.c.name == name)).first()
        return None if row is None else _api_key(row._mapping)

    def api_key_by_digest(self, digest: str) -> ApiKey | None:
        row = self.conn.execute(select(api_keys).where(api_keys.c.digest == digest)).first()
        return None if row is None else _api_key(row._mapping)

    def add_api_key(self, key: ApiKey) -> None:
        self.conn.execute(
            insert(api_keys).values(
                name=key.name, org_id=key.org, digest=key.digest, created_at=key.created_at,
                created_by=key.created_by, revoked_at=key.revoked_at,
            )
        )  # fmt: skip

    def revoke_api_key(self, name: str, at: datetime) -> None:
        self.conn.execute(update(api_keys).where(api_keys.c.name == name).values(revoked_at=at))

    # --- operators and the audit trail ------------------------------------------------
    def operators(self) -> Sequence[Operator]:
        rows = self.conn.execute(select(operators).order_by(operators.c.added_at, operators.c.name))
        return [
            Operator(m["name"], m["added_at"], m["added_by"], m["credential_hash"])
            for m in rows.mappings()
        ]

    def add_operator(self, operator: Operator) -> None:
        self.conn.execute(
            insert(operators).values(
                name=operator.name,
                added_at=operator.added_at,
                added_by=operator.added_by,
                credential_hash=operator.credential_hash,
            )
        )

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        # One compiled INSERT for every entry (an import writes one per fact).
        micros = self._micros
        self._write_rows(
            audit_log,
            [audit_values(e, micros) for e in entries]
            if self._sqlite
            else [audit_row(e) for e in entries],
        )

    def audit(self, chosen: AuditFilter) -> Sequence[AuditEntry]:
        self.flush()
        where: list[ColumnElement[bool]] = []
        if chosen.org is not None:
            where.append(
                or_(audit_log.c.org_id == chosen.org, audit_log.c.other_org_id == chosen.org)
            )
        if chosen.seat is not None:
            where.append(audit_log.c.seat_id == chosen.seat)
        if chosen.since is not None:
            where.append(audit_log.c.recorded_at >= chosen.since)
        if chosen.until is not None:
            where.append(audit_log.c.recorded_at < chosen.until)
        rows = self.conn.execute(select(audit_log).where(*where).order_by(audit_log.c.seq))
        return [audit_of(m) for m in rows.mappings()]


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "recorded_at": entry.recorded_at,
        "actor": entry.actor,
        "role": entry.role.value,
        "action": entry.action.value,
        "org_id": entry.org,
        "other_org_id": entry.other_org,
        "seat_id": entry.seat,
        "subject": entry.subject,
        "summary": entry.summary,
    }


_AUDIT_KEYS = (
    "recorded_at",
    "actor",
    "role",
    "action",
    "org_id",
    "other_org_id",
    "seat_id",
    "subject",
    "summary",
)
_ROLE_TEXT = {r: r.value for r in Role}
_ACTION_TEXT = {a: a.value for a in Action}


def audit_values(entry: AuditEntry, micros: _Micros) -> tuple[Any, ...]:
    """``audit_row`` as SQLite stores it, in ``_AUDIT_KEYS`` order."""
    return (
        micros[entry.recorded_at],
        entry.actor,
        _ROLE_TEXT[entry.role],
        _ACTION_TEXT[entry.action],
        entry.org,
        entry.other_org,
        entry.seat,
        entry.subject,
        entry.summary,
    )


def audit_of(m: RowMapping) -> AuditEntry:
    return AuditEntry(
        recorded_at=m["recorded_at"],
        actor=m["actor"],
        role=Role(m["role"]),
        action=Action(m["action"]),
        org=None if m["org_id"] is None else OrgId(m["org_id"]),
        other_org=None if m["other_org_id"] is None else OrgId(m["other_org_id"]),
        seat=None if m["seat_id"] is None else SeatId(m["seat_id"]),
        subject=m["subject"],
        summary=m["summary"],
        seq=int(m["seq"]),
    )


def _invoice_order(invoice: Invoice | IssuedSummary) -> tuple[Period, str, str]:
    return (invoice.period, invoice.org, invoice.kind)


def outbox_row(entry: OutboxEntry) -> dict[str, Any]:
    message = entry.message
    return {
        "message_id": message.id,
        "kind": message.kind.value,
        "org_id": message.org,
        "subject": message.subject,
        "body": message.body,
        "data": json.dumps(thaw(message.data), sort_keys=True, separators=(",", ":")),
        "created_at": message.created_at,
        "enqueued_at": entry.enqueued_at,
        "next_attempt_at": entry.next_attempt_at,
        "status": entry.status.value,
        "attempts": entry.attempts,
        "delivered_channels": ",".join(sorted(ch.value for ch in entry.delivered_channels)),
        "last_error": entry.last_error,
        "delivered_at": entry.delivered_at,
    }


_OUTBOX_KEYS = (
    "message_id",
    "kind",
    "org_id",
    "subject",
    "body",
    "data",
    "created_at",
    "enqueued_at",
    "next_attempt_at",
    "status",
    "attempts",
    "delivered_channels",
    "last_error",
    "delivered_at",
)


def outbox_of(m: RowMapping) -> OutboxEntry:
    message = Message(
        id=m["message_id"],
        kind=MessageKind(m["kind"]),
        org=OrgId(m["org_id"]),
        subject=m["subject"],
        body=m["body"],
        data=json.loads(m["data"]),
        created_at=m["created_at"],
    )
    channels = m["delivered_channels"]
    return OutboxEntry(
        message=message,
        enqueued_at=m["enqueued_at"],
        next_attempt_at=m["next_attempt_at"],
        status=DeliveryStatus(m["status"]),
        attempts=int(m["attempts"]),
        delivered_channels=frozenset(Channel(c) for c in channels.split(",") if c),
        last_error=m["last_error"],
        delivered_at=m["delivered_at"],
    )


_SPAN_COLUMNS = (
    billing_spans.c.seat_id,
    billing_spans.c.org_id,
    billing_spans.c.start_on,
    billing_spans.c.end_on,
    billing_spans.c.activated_on,
    billing_spans.c.deactivated_on,
    billing_spans.c.ended_by,
    billing_spans.c.holder,
    billing_spans.c.seat_kind,
    billing_spans.c.addons,
)


def _api_key(m: RowMapping) -> ApiKey:
    org = m["org_id"]
    return ApiKey(m["name"], None if org is None else OrgId(org), m["digest"], m["created_at"],
                  m["created_by"], m["revoked_at"])  # fmt: skip


class _IsoDate(TypeDecorator[date]):
    """A DATE column read with ``date.fromisoformat`` on SQLite (ISO text there).

    SQLAlchemy's own SQLite date reader parses with a regular expression: for a
    10,000-seat answer that was a third of the query's time. Other databases
    return dates already.
    """

    impl = Date
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return _date_of_text
        return super().result_processor(dialect, coltype)


def _date_of_text(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _iso(column: ColumnElement[date]) -> ColumnElement[date]:
    return type_coerce(column, _IsoDate()).label(column.name)


# A ``SeatRow``'s fields, in its constructor's order: from the spans, and from the evidence.
_ROW_COLUMNS = (
    billing_spans.c.seat_id,
    billing_spans.c.holder,
    billing_spans.c.seat_kind,
    _iso(billing_spans.c.activated_on),
    _iso(billing_spans.c.deactivated_on),
    billing_spans.c.org_id,
    _iso(billing_spans.c.start_on),
    _iso(billing_spans.c.end_on),
    billing_spans.c.addons,
)
_EVIDENCE_ROW_COLUMNS = (
    invoice_evidence_seats.c.seat_id,
    invoice_evidence_seats.c.holder,
    invoice_evidence_seats.c.kind,
    _iso(invoice_evidence_seats.c.activated_on),
    _iso(invoice_evidence_seats.c.deactivated_on),
    invoice_evidence_seats.c.paying_org,
    _iso(invoice_evidence_seats.c.billed_from),
    _iso(invoice_evidence_seats.c.billed_until),
    invoice_evidence_seats.c.addons,
)
_by_seat_and_start = itemgetter(0, 6)


def _as_stored(value: date | None) -> date | None:
    return value


def _seat_rows(rows: Iterable[Sequence[Any]], day: Callable[[Any], date | None]) -> list[SeatRow]:
    """``SeatRow``s from rows of ``_ROW_COLUMNS``, their dates read with ``day``."""
    seat_kinds = _SEAT_KINDS
    return [
        SeatRow(
            seat=seat,
            holder=holder,
            kind=seat_kinds[kind],
            activated_on=day(activated_on),  # type: ignore[arg-type]
            deactivated_on=day(deactivated_on),
            paying_org=paying_org,
            billed_from=day(billed_from),  # type: ignore[arg-type]
            billed_until=day(billed_until),
            addons=addons_of(addons),
        )
        for (
            seat,
            holder,
            kind,
            activated_on,
            deactivated_on,
            paying_org,
            billed_from,
            billed_until,
            addons,
        ) in rows
    ]


@lru_cache(maxsize=16)
def _compiled(statement: Select[Any], dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """A statement's text for the SQLite or psycopg driver, compiled once, and its
    parameters' names in order (SQLite's are positional)."""
    compiled = statement.compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup or ())


_FACT_KINDS = {k.value: k for k in FactKind}
_SEAT_KINDS = {k.value: k for k in SeatKind}


def _covering(org: OrgId, on: date) -> tuple[ColumnElement[bool], ...]:
    return (
        billing_spans.c.org_id == org,
        billing_spans.c.start_on <= on,
        or_(billing_spans.c.end_on.is_(None), billing_spans.c.end_on > on),
    )


# The statements a billing run issues once per organisation, built once (with bound
# parameters) rather than per call: building the expressions cost more than running them.
_ORG: BindParameter[str] = bindparam("org")
_ON: BindParameter[date] = bindparam("on")
_AT: BindParameter[datetime] = bindparam("at")
_SPAN_COVERS = (
    billing_spans.c.org_id == _ORG,
    billing_spans.c.start_on <= _ON,
    or_(billing_spans.c.end_on.is_(None), billing_spans.c.end_on > _ON),
)
_BILLABLE_NOW = select(*_ROW_COLUMNS).where(*_SPAN_COVERS, billing_spans.c.known_until.is_(None))
_BILLABLE_AT = select(*_ROW_COLUMNS).where(
    *_SPAN_COVERS,
    billing_spans.c.known_from <= _AT,
    or_(billing_spans.c.known_until.is_(None), billing_spans.c.known_until > _AT),
)
_USAGE_DATED = (
    select(usage_records)
    .where(
        usage_records.c.org_id == _ORG,
        usage_records.c.used_on >= bindparam("first"),
        usage_records.c.used_on <= bindparam("last"),
    )
    .order_by(usage_records.c.seq)
)
# In force: no correction or retraction (known by then) supersedes the record.
_WITHDRAWN = select(usage_supersessions.c.supersedes).where(
    usage_supersessions.c.supersedes == usage_records.c.seq
)
_USAGE_NOW = _USAGE_DATED.where(~_WITHDRAWN.exists())
_USAGE_AT = _USAGE_DATED.where(
    usage_records.c.recorded_at <= _AT,
    ~_WITHDRAWN.where(usage_supersessions.c.recorded_at <= _AT).exists(),
)
_SPANS_CHANGED = (
    select(billing_spans.c.id)
    .where(
        billing_spans.c.org_id == _ORG,
        or_(billing_spans.c.known_from > _AT, billing_spans.c.known_until > _AT),
    )
    .limit(1)
)
_USAGE_CHANGED = (
    select(usage_records.c.seq)
    .where(usage_records.c.org_id == _ORG, usage_records.c.recorded_at > _AT)
    .limit(1)
)
_USAGE_WITHDRAWN = (
    select(usage_supersessions.c.supersedes)
    .where(usage_supersessions.c.org_id == _ORG, usage_supersessions.c.recorded_at > _AT)
    .limit(1)
)
_INSERT_INVOICE = insert(invoices)
_MOVE_RECORDED_AT = (
    update(ledger_head).where(ledger_head.c.id == 1).values(last_recorded_at=bindparam("instant"))
)
_MOVE_HEAD = _MOVE_RECORDED_AT.values(last_seq=bindparam("seq"))
# The columns of the rows ``SqlLedger._write_rows`` writes, in their stored form's order.
_STORED_KEYS = {
    invoice_evidence_seats: _EVIDENCE_KEYS,
    outbox: _OUTBOX_KEYS,
    audit_log: _AUDIT_KEYS,
}
