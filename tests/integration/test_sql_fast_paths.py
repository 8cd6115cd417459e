"""The SQL adapter's shortcuts give exactly what the general path gives.

``direct_spans`` (spans of a new seat's simplest histories, without a fold)
equals ``fold_spans``; ``changed_since`` is True exactly when something
recorded after an instant touches an organisation's spans or usage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from seatledger.adapters.sql import SqlUnitOfWork
from seatledger.adapters.sql.repository import direct_spans, fold_spans
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead
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
