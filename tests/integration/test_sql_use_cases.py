"""The domain's use cases, end to end on real databases through the SQL adapter."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from returns.result import Failure, Success
from sqlalchemy import Engine

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import FixedClock, SimulatedDay
from seatledger.adapters.sql import SqlUnitOfWork
from seatledger.domain.errors import ImportRejected, SeatNotActive
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.ports import Clock
from seatledger.domain.queries import RangeMode
from seatledger.domain.seat import FactKind, SeatKind
from seatledger.domain.services import imports, organisations, questions, seats
from seatledger.domain.services.context import Services

SEPT_30_EVENING = datetime(2026, 9, 30, 18, 0, tzinfo=UTC)


def ids(answer: questions.SeatsAnswer) -> list[str]:
    return [row.seat for row in answer.rows]


def test_a_backdated_deactivation_leaves_the_september_answer_as_known_in_september_unchanged(
    services: Services, clock: FixedClock
) -> None:
    assert isinstance(organisations.add_organisation(services, "acme", "Acme"), Success)
    for seat in ("s1", "s2"):
        clock.advance(timedelta(minutes=1))
        activated = seats.activate(
            services, seat, "acme", actor="ops", on=date(2026, 8, 1), reason="signed in August"
        )
        assert isinstance(activated, Success)
    clock.set(SEPT_30_EVENING)
    september = questions.seats_on(services, "acme", date(2026, 9, 30)).unwrap()
    assert ids(september) == ["s1", "s2"]
    cut = september.as_known_at
    assert cut is not None

    clock.set(datetime(2026, 10, 5, 10, 0, tzinfo=UTC))
    late = seats.deactivate(
        services, "s2", actor="ops", on=date(2026, 9, 20), reason="left in September"
    )
    assert isinstance(late, Success)

    assert ids(questions.seats_on(services, "acme", date(2026, 9, 30)).unwrap()) == ["s1"]
    as_known = questions.seats_on(services, "acme", date(2026, 9, 30), known_at=cut).unwrap()
    assert as_known.rows == september.rows
    assert questions.count_on(services, "acme", date(2026, 9, 30), known_at=cut).unwrap() == 2
    assert questions.count_on(services, "acme", date(2026, 9, 30)).unwrap() == 1

    # A correction of the deactivation date: each answer keeps its own cut.
    clock.advance(timedelta(hours=1))
    corrected = seats.correct(
        services, "s2", late.unwrap().seq, on=date(2026, 10, 1), actor="ops", reason="typo"
    )
    assert isinstance(corrected, Success)
    assert ids(questions.seats_on(services, "acme", date(2026, 9, 30)).unwrap()) == ["s1", "s2"]
    between = clock.now() - timedelta(minutes=30)
    assert questions.count_on(services, "acme", date(2026, 9, 30), known_at=between).unwrap() == 1

    history = seats.history(services, "s2").unwrap()
    assert [e.fact.kind for e in history.entries] == [
        FactKind.ACTIVATED,
        FactKind.DEACTIVATED,
        FactKind.DEACTIVATED,
    ]
    assert history.entries[1].superseded_by == corrected.unwrap().seq


def test_a_seat_deactivated_and_reactivated_is_listed_once_per_span_within_a_range(
    make_services: Callable[[Clock], Services],
) -> None:
    clock = FixedClock(datetime(2026, 1, 1, 8, tzinfo=UTC))
    services = make_services(clock)
    organisations.add_organisation(services, "acme", "Acme", timezone="UTC").unwrap()
    clock.advance(timedelta(minutes=1))
    seats.activate(services, "s1", "acme", actor="ops", kind=SeatKind.STUDENT).unwrap()
    clock.set(datetime(2026, 2, 10, 8, tzinfo=UTC))
    seats.complete(services, "s1", actor="ops").unwrap()
    clock.set(datetime(2026, 3, 1, 8, tzinfo=UTC))
    seats.reactivate(services, "s1", actor="ops", kind=SeatKind.REGULAR).unwrap()

    within = questions.seats_within(
        services, "acme", date(2026, 2, 1), date(2026, 3, 31), RangeMode.OVERLAPPING
    ).unwrap()
    assert [(r.billed_from, r.kind) for r in within.rows] == [
        (date(2026, 1, 1), SeatKind.STUDENT),
        (date(2026, 3, 1), SeatKind.REGULAR),
    ]
    assert within.count == 1
    throughout = questions.seats_within(
        services, "acme", date(2026, 2, 1), date(2026, 3, 31), RangeMode.THROUGHOUT
    ).unwrap()
    assert throughout.rows == ()
    march = questions.seats_within(
        services, "acme", date(2026, 3, 1), date(2026, 3, 31), RangeMode.THROUGHOUT
    ).unwrap()
    assert ids(march) == ["s1"]


def test_a_refused_command_writes_nothing(
    services: Services, clock: FixedClock, engine: Engine
) -> None:
    organisations.add_organisation(services, "acme", "Acme").unwrap()
    clock.advance(timedelta(minutes=1))
    seats.activate(services, "s1", "acme", actor="ops").unwrap()
    clock.advance(timedelta(minutes=1))
    seats.deactivate(services, "s1", actor="ops").unwrap()
    clock.advance(timedelta(minutes=1))
    refused = seats.deactivate(services, "s1", actor="ops")
    assert isinstance(refused, Failure)
    assert isinstance(refused.failure(), SeatNotActive)
    with SqlUnitOfWork(engine).transaction(write=False) as ledger:
        assert ledger.head().last_seq == 2


def test_a_retracted_deactivation_bills_the_seat_again_as_known_from_the_retraction_on(
    services: Services, clock: FixedClock
) -> None:
    organisations.add_organisation(services, "acme", "Acme").unwrap()
    clock.advance(timedelta(minutes=1))
    activated = seats.activate(services, "s1", "acme", actor="ops").unwrap()
    clock.advance(timedelta(days=3))
    before = clock.now()
    closed = seats.deactivate(services, "s1", actor="ops").unwrap()
    clock.advance(timedelta(days=1))
    seats.retract(services, "s1", closed.seq, actor="ops", reason="clicked by mistake").unwrap()
    day = activated.effective_on + timedelta(days=10)
    assert questions.count_on(services, "acme", day).unwrap() == 1
    assert (
        questions.count_on(services, "acme", day, known_at=before + timedelta(hours=1)).unwrap()
        == 0
    )
    assert (
        questions.count_on(
            services, "acme", day, known_at=before - timedelta(microseconds=1)
        ).unwrap()
        == 1
    )


def test_twenty_thousand_seats_are_imported_in_one_append_and_answered_in_sql(
    make_services: Callable[[Clock], Services],
) -> None:
    clock = FixedClock(datetime(2026, 9, 1, 8, tzinfo=UTC))
    services = make_services(clock)
    organisations.add_organisation(services, "acme", "Acme").unwrap()
    clock.advance(timedelta(minutes=1))
    organisations.add_organisation(services, "beta", "Beta").unwrap()
    clock.advance(timedelta(minutes=1))
    rows = [
        imports.ImportRow(
            line=i + 2,
            seat=SeatId(f"seat-{i:06d}"),
            org=OrgId("acme" if i % 4 else "beta"),
            activated_on=date(2026, 1, 1) + timedelta(days=i % 200),
            deactivated_on=date(2026, 8, 1) if i % 10 == 0 else None,
            kind=SeatKind.STUDENT if i % 3 == 0 else SeatKind.REGULAR,
            holder=f"Holder {i}",
            addons=frozenset({"library"}) if i % 2 else frozenset(),
        )
        for i in range(20_000)
    ]
    catalog = load_catalog().unwrap()
    summary = imports.import_seats(
        services, rows, source="seats.csv", actor="ops", catalog=catalog
    ).unwrap()
    assert summary == imports.ImportSummary(20_000, 2_000, 22_000)

    expected_acme = sum(
        1
        for i in range(20_000)
        if i % 4 and date(2026, 1, 1) + timedelta(days=i % 200) <= date(2026, 8, 31) and i % 10
    )
    assert questions.count_on(services, "acme", date(2026, 8, 31)).unwrap() == expected_acme
    answer = questions.seats_on(services, "acme", date(2026, 8, 31)).unwrap()
    assert len(answer.rows) == expected_acme
    assert [r.seat for r in answer.rows] == sorted(r.seat for r in answer.rows)

    clock.advance(timedelta(minutes=1))
    again = imports.import_seats(
        services, rows[:3], source="again.csv", actor="ops", catalog=catalog
    )
    assert isinstance(again, Failure)
    assert isinstance(again.failure(), ImportRejected)
    assert len(again.failure().problems) == 3

    clock.advance(timedelta(hours=1))
    seats.deactivate(services, "seat-000001", actor="ops").unwrap()
    assert questions.count_on(services, "acme", date(2026, 9, 2)).unwrap() == expected_acme - 1


def test_a_simulated_day_records_commands_in_order_within_the_day(
    make_services: Callable[[Clock], Services],
) -> None:
    services = make_services(SimulatedDay(date(2026, 9, 1)))
    organisations.add_organisation(services, "acme", "Acme").unwrap()
    first = seats.activate(services, "s1", "acme", actor="ops").unwrap()
    second = seats.activate(services, "s2", "acme", actor="ops").unwrap()
    assert first.recorded_at < second.recorded_at
    assert questions.count_on(services, "acme", date(2026, 9, 1)).unwrap() == 2
    between = questions.count_on(services, "acme", date(2026, 9, 1), known_at=first.recorded_at)
    assert between.unwrap() == 1


def test_concurrent_writers_are_serialised_and_never_reuse_a_sequence_number(
    engine: Engine,
) -> None:
    clock = SimulatedDay(date(2026, 9, 1))
    organisations.add_organisation(Services(SqlUnitOfWork(engine), clock), "acme", "Acme").unwrap()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        services = Services(SqlUnitOfWork(engine), clock)
        try:
            for i in range(15):
                seats.activate(services, f"w{n}-{i}", "acme", actor=f"writer {n}").unwrap()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with SqlUnitOfWork(engine).transaction(write=False) as ledger:
        assert ledger.head().last_seq == 60
        facts = [
            f for n in range(4) for i in range(15) for f in ledger.seat_facts(SeatId(f"w{n}-{i}"))
        ]
    assert sorted(f.seq for f in facts) == list(range(1, 61))
    assert len({f.recorded_at for f in facts}) == 60
