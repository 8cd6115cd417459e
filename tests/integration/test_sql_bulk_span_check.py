"""A bulk append on SQLite refuses overlapping spans exactly as migration 0004's trigger does.

From ``BULK_SPANS`` new spans, ``append`` drops the insert trigger for the
length of the insert and checks the new spans with one query (decision
0013). These tests feed it overlapping spans through a deliberately wrong
projection, and a stale span no fact explains, and check the refusal, the
rollback and the trigger afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from seatledger.adapters.sql import SqlUnitOfWork, make_engine, repository, upgrade
from seatledger.adapters.sql.repository import BULK_SPANS, SqlLedger
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.timeline import BillingSpan

T = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NORTH = OrgId("north")
SEATS = BULK_SPANS + 10
TRIGGER = "billing_spans_no_overlap_insert"
REFUSAL = "seatledger: overlapping current billing spans for one seat"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as ledger:
        ledger.add_organisation(Organisation(NORTH, "North", "UTC", "EUR", True), T)
        uow.commit()
    return engine


def activations(seats: int) -> list[SeatFact]:
    return [
        SeatFact(seq=i + 1, seat=SeatId(f"s{i:05d}"), kind=FactKind.ACTIVATED,
                 effective_on=date(2026, 1, 1), recorded_at=T, actor="t", org=NORTH,
                 holder=f"holder {i}", seat_kind=SeatKind.REGULAR)
        for i in range(seats)
    ]  # fmt: skip


def append(engine: Engine, facts: Sequence[SeatFact]) -> None:
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=True) as raw:
        ledger: SqlLedger = raw
        ledger.append(facts, LedgerHead(facts[-1].seq, T))
        uow.commit()


def stored(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def trigger_text(engine: Engine) -> object:
    return stored(engine, f"SELECT sql FROM sqlite_master WHERE name = '{TRIGGER}'")


def test_a_bulk_append_keeps_the_trigger_as_it_was(engine: Engine) -> None:
    before = trigger_text(engine)
    append(engine, activations(SEATS))
    assert stored(engine, "SELECT count(*) FROM billing_spans") == SEATS
    assert trigger_text(engine) == before is not None


def test_a_bulk_append_refuses_overlapping_spans_of_a_new_seat_with_the_triggers_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = trigger_text(engine)
    last = SeatId(f"s{SEATS - 1:05d}")

    def wrong(facts: Sequence[SeatFact]) -> list[BillingSpan] | None:
        # A deliberately wrong projection: the last seat gets a second, overlapping span.
        spans = original(facts)
        assert spans is not None
        if facts[0].seat == last:
            return [*spans, attrs.evolve(spans[0], start=date(2026, 2, 1))]
        return spans

    original = repository.direct_spans
    monkeypatch.setattr(repository, "direct_spans", wrong)
    with pytest.raises(IntegrityError, match=REFUSAL):
        append(engine, activations(SEATS))
    assert stored(engine, "SELECT count(*) FROM seat_facts") == 0
    assert stored(engine, "SELECT count(*) FROM billing_spans") == 0
    assert trigger_text(engine) == before is not None


def test_a_bulk_append_refuses_a_span_overlapping_a_stored_span_of_its_seat(
    engine: Engine,
) -> None:
    # A stale current span that no fact explains (a damaged projection): the seat is "new".
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO billing_spans (seat_id, org_id, start_on, end_on, activated_on, "
                "holder, seat_kind, addons, known_from) VALUES ('s00007', 'north', "
                "'2025-06-01', NULL, '2025-06-01', 'h', 'regular', '[]', 1)"
            )
        )
    with pytest.raises(IntegrityError, match=REFUSAL):
        append(engine, activations(SEATS))
    assert stored(engine, "SELECT count(*) FROM billing_spans") == 1
    assert trigger_text(engine) is not None


def test_a_small_append_is_still_refused_by_the_trigger_itself(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = repository.direct_spans

    def wrong(facts: Sequence[SeatFact]) -> list[BillingSpan] | None:
        spans = original(facts)
        assert spans is not None
        return [*spans, attrs.evolve(spans[0], start=date(2026, 2, 1))]

    monkeypatch.setattr(repository, "direct_spans", wrong)
    with pytest.raises(IntegrityError, match=REFUSAL):
        append(engine, activations(3))
    assert stored(engine, "SELECT count(*) FROM billing_spans") == 0
