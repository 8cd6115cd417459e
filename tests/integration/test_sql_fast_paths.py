"""The SQL adapter's shortcuts give exactly what the general path gives.

``direct_spans`` (spans of a new seat's simplest histories, without a fold)
equals ``fold_spans``; the rows SQLite gets in their stored form
(``fact_values``, ``span_values``, ``audit_values``,
``evidence_seat_values``) are what the columns'
bind processors make of the general rows; ``changed_since`` is True exactly when something
recorded after an instant touches an organisation's spans or usage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, Table
from sqlalchemy.dialects import sqlite

from seatledger.adapters.sql import SqlUnitOfWork
from seatledger.adapters.sql.repository import (
    _AUDIT_KEYS,
    _EVIDENCE_KEYS,
    _FACT_KEYS,
    _OUTBOX_KEYS,
    _SPAN_KEYS,
    _Micros,
    _sqlite_insert,
    audit_row,
    audit_values,
    direct_spans,
    evidence_seat_row,
    evidence_seat_values,
    fact_row,
    fact_values,
    fold_spans,
    outbox_row,
    span_row,
    span_values,
)
from seatledger.adapters.sql.tables import (
    audit_log,
    billing_spans,
    invoice_evidence_seats,
    seat_facts,
)
from seatledger.domain.audit import AuditEntry
from seatledger.domain.authorisation import Action, Role
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.notifications import Message, MessageKind
from seatledger.domain.organisation import Organisation
from seatledger.domain.outbox import OutboxEntry
from seatledger.domain.ports import LedgerHead
from seatledger.domain.queries import SeatRow
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.usage import UsageRecord

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SEAT = SeatId("s1")
NORTH, SOUTH = OrgId("north"), OrgId("south")


def fact(seq: int, kind: FactKind, on: date, **fields: object) -> SeatFact:
    return SeatFact(seq=seq, seat=SEAT, kind=kind, effective_on=on, recorded_at=T, actor="t",
                    **fields)  # type: ignore[arg-type]  # fmt: skip


OPEN = {"org": NORTH, "holder": "Ann", "seat_kind": SeatKind.STUDENT, "addons": frozenset({"x"})}


@pytest.mark.parametrize(
    "facts",
    [
        [fact(1, FactKind.ACTIVATED, date(2026, 1, 5), **OPEN)],
        [fact(1, FactKind.ACTIVATED, date(2026, 1, 5), **OPEN),
         fact(2, FactKind.DEACTIVATED, date(2026, 2, 1))],
        [fact(1, FactKind.ACTIVATED, date(2026, 1, 5), **OPEN),
         fact(2, FactKind.COMPLETED, date(2026, 1, 6))],
    ],
    ids=["open", "deactivated", "completed"],
)  # fmt: skip
def test_direct_spans_equal_the_fold(facts: list[SeatFact]) -> None:
    assert direct_spans(facts) == fold_spans(SEAT, facts, T)


def processed(table: Table, row: dict[str, object]) -> tuple[object, ...]:
    """A general row as the columns' SQLite bind processors store it, in the row's key order."""
    _, processors = _sqlite_insert(table, tuple(row), sqlite.dialect())
    values = list(row.values())
    for i, proc in processors:
        values[i] = proc(values[i])
    return tuple(values)


def test_sqlite_stored_forms_equal_the_processed_rows() -> None:
    micros = _Micros()
    facts = [
        fact(1, FactKind.ACTIVATED, date(2026, 1, 5), reason="imported", **OPEN),
        fact(2, FactKind.DEACTIVATED, date(2026, 2, 1), supersedes=1),
        fact(3, FactKind.TRANSFER_REQUESTED, date(2026, 2, 2), org=SOUTH, from_org=NORTH,
             request="r1", expires_on=date(2026, 3, 1)),
    ]  # fmt: skip
    for f in facts:
        assert tuple(fact_row(f)) == _FACT_KEYS
        assert fact_values(f, micros) == processed(seat_facts, fact_row(f))
    closed = [facts[0], fact(2, FactKind.DEACTIVATED, date(2026, 2, 1))]
    spans = fold_spans(SEAT, closed, T) + fold_spans(SEAT, facts[:1], T)
    assert spans
    for span in spans:
        assert tuple(span_row(SEAT, span, T)) == _SPAN_KEYS
        assert span_values(SEAT, span, micros[T]) == processed(
            billing_spans, span_row(SEAT, span, T)
        )
    entry = AuditEntry(
        recorded_at=T + timedelta(hours=1), actor="jean", role=Role.OPERATOR,
        action=Action.SEAT_IMPORT, org=NORTH, other_org=None, seat=SEAT,
        subject="fact #1", summary="activated",
    )  # fmt: skip
    assert tuple(audit_row(entry)) == _AUDIT_KEYS
    assert audit_values(entry, micros) == processed(audit_log, audit_row(entry))
    counted = [
        SeatRow(seat=SEAT, holder="Ann", kind=SeatKind.STUDENT, activated_on=date(2026, 1, 5),
                deactivated_on=None, paying_org=NORTH, billed_from=date(2026, 1, 5),
                billed_until=None, addons=frozenset({"x", "b"})),
        SeatRow(seat=SeatId("s2"), holder="Bo", kind=SeatKind.REGULAR,
                activated_on=date(2025, 12, 1), deactivated_on=date(2026, 4, 1),
                paying_org=SOUTH, billed_from=date(2026, 2, 1), billed_until=date(2026, 4, 1),
                addons=frozenset()),
    ]  # fmt: skip
    message = Message(
        id="invoice-issued:INV-2026-03-north", kind=MessageKind.INVOICE_ISSUED, org=NORTH,
        subject="Invoice", body="Issued.", data={"total": "47.19"}, created_at=T,
    )  # fmt: skip
    assert tuple(outbox_row(OutboxEntry(message, T, T))) == _OUTBOX_KEYS
    for position, row in enumerate(counted):
        general = evidence_seat_row("INV-2026-03-north", position, row)
        assert tuple(general) == _EVIDENCE_KEYS
        assert evidence_seat_values("INV-2026-03-north", position, row) == processed(
            invoice_evidence_seats, general
        )


@pytest.mark.parametrize(
    "facts",
    [
        [fact(1, FactKind.ACTIVATED, date(2026, 1, 5), **OPEN),
         fact(2, FactKind.DEACTIVATED, date(2026, 1, 5))],
        [fact(1, FactKind.ACTIVATED, date(2026, 1, 5), **OPEN),
         fact(2, FactKind.OWNER_CHANGED, date(2026, 1, 9), org=SOUTH, from_org=NORTH)],
        [fact(1, FactKind.REACTIVATED, date(2026, 1, 5), **OPEN)],
        [fact(1, FactKind.ACTIVATED, date(2026, 1, 5), org=NORTH)],
    ],
    ids=["same-day", "owner-changed", "not-an-activation", "no-holder"],
)  # fmt: skip
def test_other_histories_are_left_to_the_fold(facts: list[SeatFact]) -> None:
    assert direct_spans(facts) is None


def test_changed_since_sees_new_spans_closed_spans_and_usage(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as ledger:
        ledger.add_organisation(Organisation(NORTH, "North"), T)
        ledger.add_organisation(Organisation(SOUTH, "South"), T)
        ledger.append([fact(1, FactKind.ACTIVATED, date(2026, 1, 5), **OPEN)], LedgerHead(1, T))
        uow.commit()
    later = T + timedelta(hours=1)
    with uow.transaction(write=True) as ledger:
        assert not ledger.changed_since(NORTH, T)
        assert ledger.changed_since(NORTH, T - timedelta(microseconds=1))
        moved = attrs_fact(2, FactKind.OWNER_CHANGED, date(2026, 2, 1), later, org=SOUTH,
                           from_org=NORTH)  # fmt: skip
        ledger.append([moved], LedgerHead(2, later))
        assert ledger.changed_since(NORTH, T)  # its open span was closed and cut short
        assert ledger.changed_since(SOUTH, T)  # a span of its own appeared
        assert not ledger.changed_since(NORTH, later)
        ledger.add_usage(
            UsageRecord(3, SOUTH, "new-dossier", 1, date(2026, 2, 3), later + timedelta(1), "t"),
            LedgerHead(3, later + timedelta(1)),
        )
        assert ledger.changed_since(SOUTH, later)
        assert not ledger.changed_since(NORTH, later)


def attrs_fact(seq: int, kind: FactKind, on: date, at: datetime, **fields: object) -> SeatFact:
    return SeatFact(seq=seq, seat=SEAT, kind=kind, effective_on=on, recorded_at=at, actor="t",
                    **fields)  # type: ignore[arg-type]  # fmt: skip
