"""Bulk import: every row checked first; any problem rejects the file and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from ledger_scenario import Scenario

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.domain.errors import ImportRejected, RowProblem
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.seat import FactKind, SeatKind
from seatledger.domain.services import seats
from seatledger.domain.services.imports import ImportRow, ImportSummary, import_seats

TODAY = date(2025, 10, 15)
CATALOG = load_catalog().unwrap()


def row(
    line: int,
    seat: str,
    activated_on: date,
    deactivated_on: date | None = None,
    org: str = "acme",
) -> ImportRow:
    return ImportRow(
        line=line,
        seat=SeatId(seat),
        org=OrgId(org),
        activated_on=activated_on,
        deactivated_on=deactivated_on,
        kind=SeatKind.REGULAR,
        holder=f"Holder of {seat}",
        addons=frozenset({"library"}),
    )


@pytest.fixture
def world() -> Scenario:
    world = Scenario(today=TODAY)
    world.org("acme")
    world.activate("already-here", "acme", date(2025, 9, 1))
    return world


def test_a_clean_file_writes_every_seat_with_one_instant(world: Scenario) -> None:
    rows = [
        row(2, "anna", date(2025, 8, 1)),
        row(3, "bob", date(2025, 8, 1), date(2025, 9, 15)),
        row(4, "carl", TODAY, TODAY),
    ]
    summary = import_seats(
        world.services, rows, source="seats.csv", actor="jean", catalog=CATALOG
    ).unwrap()
    assert summary == ImportSummary(seats=3, deactivated=2, facts=5)
    assert world.billable("acme", date(2025, 9, 1)) == ["already-here", "anna", "bob"]
    assert world.billable("acme", TODAY) == ["already-here", "anna"]
    facts = seats.history(world.services, "bob").unwrap().entries
    assert [e.fact.kind for e in facts] == [FactKind.ACTIVATED, FactKind.DEACTIVATED]
    assert {e.fact.reason for e in facts} == {"imported from seats.csv"}
    assert facts[0].fact.recorded_at == facts[1].fact.recorded_at == world.head().last_recorded_at
    assert facts[0].fact.addons == frozenset({"library"})


def test_an_empty_file_imports_nothing_and_records_nothing(world: Scenario) -> None:
    before = world.state()
    assert import_seats(world.services, [], source="empty.csv", actor="jean").unwrap() == (
        ImportSummary(0, 0, 0)
    )
    assert world.state() == before


def test_every_problem_is_reported_by_line_and_column_and_nothing_is_written(
    world: Scenario,
) -> None:
    rows = [
        row(2, "anna", date(2025, 8, 1)),
        row(3, "anna", date(2025, 8, 2)),
        row(4, "already-here", date(2025, 8, 1)),
        row(5, "dora", date(2025, 8, 1), org="initech"),
        row(6, "eve", date(2025, 9, 10), date(2025, 9, 1)),
        row(7, "fay", date(2025, 10, 16)),
        row(8, "gus", date(2025, 9, 1), date(2025, 10, 31)),
    ]
    before = world.state()
    error = import_seats(
        world.services, rows, source="seats.csv", actor="jean", catalog=CATALOG
    ).failure()
    assert isinstance(error, ImportRejected)
    assert error.code == "import-rejected"
    assert list(error.problems) == [
        RowProblem(3, "seat", "seat 'anna' is also on line 2"),
        RowProblem(4, "seat", "seat 'already-here' exists already"),
        RowProblem(5, "org", "there is no organisation 'initech'"),
        RowProblem(6, "deactivated_on", "2025-09-01 lies before activated_on 2025-09-10"),
        RowProblem(7, "activated_on", "2025-10-16 lies after today (2025-10-15)"),
        RowProblem(8, "deactivated_on", "2025-10-31 lies after today (2025-10-15)"),
    ]
    assert error.message.startswith("seats.csv: 6 problem(s), nothing was imported:")
    assert "line 5, column org: there is no organisation 'initech'" in error.message
    assert world.state() == before


def test_a_rejection_with_25_problems_shows_20_and_counts_the_rest(world: Scenario) -> None:
    rows = [row(n, f"s{n}", date(2025, 8, 1), org="nowhere") for n in range(2, 27)]
    error = import_seats(
        world.services, rows, source="big.csv", actor="jean", catalog=CATALOG
    ).failure()
    assert isinstance(error, ImportRejected)
    assert len(error.problems) == 25
    assert error.message.endswith("... and 5 more")


def test_an_import_refused_by_a_backwards_clock_writes_nothing(world: Scenario) -> None:
    world.today(date(2025, 10, 14))
    before = world.state()
    rows = [row(2, "anna", date(2025, 8, 1))]
    error = import_seats(
        world.services, rows, source="seats.csv", actor="jean", catalog=CATALOG
    ).failure()
    assert error.code == "clock-went-backwards"
    assert world.state() == before


def test_an_import_with_an_empty_actor_is_refused(world: Scenario) -> None:
    error = import_seats(world.services, [], source="s.csv", actor="").failure()
    assert error.code == "invalid-text"
