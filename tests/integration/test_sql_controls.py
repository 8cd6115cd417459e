"""Usage corrections, add-on changes and organisation settings on SQLite and PostgreSQL:
the SQL store answers as the in-memory one, keeps history append-only, and migration 0009
upgrades a database with history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.sql import SqlUnitOfWork, upgrade
from seatledger.domain.identifiers import OrgId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import Clock, LedgerHead
from seatledger.domain.services import contracts, organisations, questions, seats
from seatledger.domain.services import usage as usage_cases
from seatledger.domain.services.context import Services
from seatledger.domain.usage import UsageRecord

CATALOG = load_catalog().unwrap()
NORTH = OrgId("north")
SEPTEMBER = (date(2025, 9, 1), date(2025, 9, 30))


def history(make: Callable[[Clock], Services]) -> list[object]:
    """The same commands on any store; what it answers along the way."""
    answers: list[object] = []

    def on(day: date) -> Services:
        return make(SimulatedDay(day))

    s = on(date(2025, 9, 1))
    organisations.add_organisation(s, "north", "North Clinic").unwrap()
    seats.activate(s, "s1", "north", actor="ops", addons=["library"], catalog=CATALOG).unwrap()
    first = contracts.record_usage(
        on(date(2025, 9, 10)), CATALOG, "north", "new-dossier", quantity=3, actor="ops"
    ).unwrap()
    second = contracts.record_usage(
        on(date(2025, 9, 11)), CATALOG, "north", "paid-questionnaire", quantity=2, actor="ops"
    ).unwrap()
    s = on(date(2025, 10, 5))
    cut = _head(s)
    seats.remove_addon(
        s, "s1", "library", actor="ops", on=date(2025, 9, 20), reason="cancelled"
    ).unwrap()
    usage_cases.correct_usage(s, first.seq, quantity=1, reason="duplicates", actor="ops").unwrap()
    usage_cases.retract_usage(s, second.seq, reason="wrong client", actor="ops").unwrap()
    organisations.set_organisation(
        s, "north", name="North Clinics", timezone="Asia/Tokyo",
        timezone_from=date(2025, 11, 1), actor="ops",
    ).unwrap()  # fmt: skip
    for known_at in (None, cut):
        with s.uow.transaction(write=False) as store:
            answers.append(
                [(u.seq, u.quantity, u.on) for u in store.usage(NORTH, *SEPTEMBER, known_at)]
            )
        for day in (date(2025, 9, 19), date(2025, 9, 20), date(2025, 9, 30)):
            answers.append(questions.seats_on(s, "north", day, known_at).unwrap().rows)
        listing = usage_cases.list_usage(s, "north", known_at=known_at).unwrap()
        answers.append([(e.record, e.status) for e in listing.entries])
    answers.append(organisations.get_organisation(s, "north").unwrap())
    answers.append(organisations.list_organisations(s))
    return answers


def _head(services: Services) -> datetime | None:
    with services.uow.transaction(write=False) as store:
        return store.head().last_recorded_at


def test_the_sql_store_answers_the_controls_exactly_as_the_memory_store(
    make_services: Callable[[Clock], Services],
) -> None:
    memory = InMemoryUnitOfWork()
    expected = history(lambda clock: Services(memory, clock))
    assert history(make_services) == expected
    usage_now, usage_then = expected[0], expected[5]
    assert usage_now == [(5, 1, date(2025, 9, 10))]
    assert usage_then == [(2, 3, date(2025, 9, 10)), (3, 2, date(2025, 9, 11))]


def test_a_retraction_counts_as_a_change_for_the_billing_run(
    engine: Engine, make_services: Callable[[Clock], Services]
) -> None:
    s = make_services(SimulatedDay(date(2025, 9, 1)))
    organisations.add_organisation(s, "north", "North").unwrap()
    recorded = contracts.record_usage(
        make_services(SimulatedDay(date(2025, 9, 10))), CATALOG, "north", "new-dossier",
        actor="ops",
    ).unwrap()  # fmt: skip
    later = make_services(SimulatedDay(date(2025, 10, 5)))
    cut = _head(later)
    assert cut is not None
    with SqlUnitOfWork(engine).transaction(write=False) as store:
        assert not store.changed_since(NORTH, cut)
    usage_cases.retract_usage(later, recorded.seq, reason="never", actor="ops").unwrap()
    with SqlUnitOfWork(engine).transaction(write=False) as store:
        assert store.changed_since(NORTH, cut)


@pytest.mark.parametrize("table", ["usage_supersessions", "organisation_zones"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET actor = actor", "DELETE FROM {t}"])
def test_the_database_refuses_to_rewrite_corrections_or_zone_changes(
    engine: Engine, make_services: Callable[[Clock], Services], table: str, statement: str
) -> None:
    history(make_services)
    with (
        engine.connect() as conn,
        conn.begin(),
        pytest.raises(IntegrityError, match="append-only"),
    ):
        conn.execute(text(statement.format(t=table)))


def test_a_database_at_0008_with_usage_upgrades_and_its_usage_can_be_corrected(
    bare_engine: Engine,
) -> None:
    upgrade(bare_engine, "0008")
    at = datetime(2025, 9, 10, 8, 0, tzinfo=UTC)
    with SqlUnitOfWork(bare_engine).transaction(write=True) as store:
        store.add_organisation(Organisation(NORTH, "North"), at)
        store.add_usage(
            UsageRecord(1, NORTH, "new-dossier", 3, date(2025, 9, 10), at, "ops"),
            LedgerHead(1, at),
        )
        store.conn.commit()
    upgrade(bare_engine)
    uow = SqlUnitOfWork(bare_engine)
    with uow.transaction(write=False) as store:
        assert [u.quantity for u in store.usage(NORTH, *SEPTEMBER, None)] == [3]
        assert store.get_organisation(NORTH) == Organisation(NORTH, "North")
    later = Services(uow, SimulatedDay(date(2025, 10, 5)))
    fixed = usage_cases.correct_usage(later, 1, quantity=2, reason="typo", actor="ops").unwrap()
    with uow.transaction(write=False) as store:
        assert [u.seq for u in store.usage(NORTH, *SEPTEMBER, None)] == [fixed.record.seq]
        assert [u.seq for u in store.usage(NORTH, *SEPTEMBER, at)] == [1]
