"""Two times: effective dates, recorded instants, "as known at", corrections and retractions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from ledger_scenario import Scenario
from returns.result import Failure

from seatledger.adapters.clock import FixedClock, SimulatedDay
from seatledger.domain.errors import ClockWentBackwards
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.ports import LedgerHead
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.seat import FactKind
from seatledger.domain.services import questions, seats

SEP_30 = date(2025, 9, 30)
MIDNIGHT_OCT_1 = datetime(2025, 10, 1, 0, 0, tzinfo=UTC)


def test_a_simulated_day_records_several_commands_at_increasing_instants() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    a = world.activate("anna", "acme", date(2025, 10, 15))
    b = world.activate("bob", "acme", date(2025, 10, 15))
    c = world.deactivate("anna", date(2025, 10, 15))
    start = datetime(2025, 10, 15, tzinfo=UTC)
    assert start < a.recorded_at < b.recorded_at < c.recorded_at
    assert c.recorded_at - start == timedelta(microseconds=3)
    assert [a.seq, b.seq, c.seq] == [1, 2, 3]


def test_assign_recorded_at_uses_the_clock_when_it_is_ahead() -> None:
    clock = FixedClock(datetime(2025, 10, 15, 9, 0, tzinfo=UTC))
    head = LedgerHead(4, datetime(2025, 10, 15, 8, 0, tzinfo=UTC))
    assert assign_recorded_at(clock, head).unwrap() == clock.instant


def test_a_fixed_clock_standing_on_the_last_instant_cannot_record_again() -> None:
    instant = datetime(2025, 10, 15, 9, 0, tzinfo=UTC)
    result = assign_recorded_at(FixedClock(instant), LedgerHead(4, instant))
    assert isinstance(result, Failure)
    assert result.failure() == ClockWentBackwards(instant, instant)


def test_a_simulated_day_behind_the_last_instant_of_that_day_records_just_after_it() -> None:
    last = datetime(2025, 10, 15, 17, 30, tzinfo=UTC)
    recorded = assign_recorded_at(SimulatedDay(date(2025, 10, 15)), LedgerHead(9, last))
    assert recorded.unwrap() == last + timedelta(microseconds=1)


def test_a_simulated_day_before_the_last_recorded_day_went_backwards() -> None:
    last = datetime(2025, 10, 16, 0, 0, tzinfo=UTC)
    result = assign_recorded_at(SimulatedDay(date(2025, 10, 15)), LedgerHead(9, last))
    error = result.failure()
    assert error.code == "clock-went-backwards"
    assert "2025-10-16T00:00:00+00:00" in error.message


def test_the_facts_of_one_command_share_one_recorded_instant() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    world.org("globex")
    world.activate("anna", "acme", date(2025, 9, 1))
    with world.uow.transaction(write=True) as ledger:
        known = ledger.seat_facts(SeatId("anna"))
        preceding = [
            seats.draft(SeatId("anna"), FactKind.TRANSFER_REQUESTED, date(2025, 10, 15), "x")
        ]
        facts = seats.change_payer(
            world.services,
            ledger,
            SeatId("anna"),
            known,
            OrgId("globex"),
            date(2025, 10, 15),
            kind=FactKind.TRANSFER_APPROVED,
            actor="lisa",
            preceding=preceding,
        ).unwrap()
        world.uow.commit()
    assert [f.seq for f in facts] == [2, 3]
    assert facts[0].recorded_at == facts[1].recorded_at
    assert world.head() == LedgerHead(3, facts[1].recorded_at)


def test_a_backdated_correction_changes_the_answer_now_but_not_as_known_in_september() -> None:
    world = Scenario(today=date(2025, 9, 1))
    world.org("acme")
    world.activate("anna", "acme", date(2025, 9, 1))
    world.today(SEP_30)
    september_answer = questions.seats_on(world.services, "acme", SEP_30).unwrap()
    assert [r.seat for r in september_answer.rows] == ["anna"]
    cut = september_answer.as_known_at
    assert cut is not None
    # In October we learn that anna really left on 20 September.
    world.today(date(2025, 10, 10))
    world.deactivate("anna", date(2025, 9, 20))
    assert world.billable("acme", SEP_30) == []
    assert world.billable("acme", SEP_30, known_at=cut) == ["anna"]
    assert world.billable("acme", SEP_30, known_at=MIDNIGHT_OCT_1) == ["anna"]
    again = questions.seats_on(world.services, "acme", SEP_30, cut).unwrap()
    assert again.rows == september_answer.rows
    assert again.as_known_at == cut


def test_the_answer_as_known_before_anything_was_recorded_is_empty() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    world.activate("anna", "acme", date(2025, 9, 1))
    assert world.billable("acme", SEP_30, known_at=MIDNIGHT_OCT_1) == []


def test_a_known_at_instant_with_an_offset_is_the_same_instant_in_utc() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    world.activate("anna", "acme", date(2025, 9, 1))
    # The simulated day records from 00:00:00.000001 UTC on: 02:00+02:00 is just before.
    before = datetime(2025, 10, 15, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    after = datetime(2025, 10, 15, 3, 0, tzinfo=timezone(timedelta(hours=2)))
    # A fact recorded the next day puts the head after both instants, so each is a cut.
    world.today(date(2025, 10, 16))
    world.activate("bob", "acme", date(2025, 10, 16))
    answer = questions.seats_on(world.services, "acme", SEP_30, after).unwrap()
    assert answer.as_known_at == datetime(2025, 10, 15, 1, 0, tzinfo=UTC)
    assert [r.seat for r in answer.rows] == ["anna"]
    assert world.billable("acme", SEP_30, known_at=before) == []


def test_a_correction_supersedes_and_the_history_keeps_the_old_fact() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    old = world.activate("anna", "acme", date(2025, 9, 10))
    september = world.head().last_recorded_at
    world.today(date(2025, 10, 16))
    new = seats.correct(
        world.services, "anna", old.seq, on=date(2025, 9, 1), actor="jean", reason="typo"
    ).unwrap()
    assert (new.kind, new.supersedes, new.org, new.reason) == (
        FactKind.ACTIVATED,
        old.seq,
        "acme",
        "typo",
    )
    history = seats.history(world.services, "anna").unwrap()
    assert [(e.fact, e.superseded_by) for e in history.entries] == [(old, new.seq), (new, None)]
    assert history.timeline.first_activated_on == date(2025, 9, 1)
    assert world.billable("acme", date(2025, 9, 5)) == ["anna"]
    assert world.billable("acme", date(2025, 9, 5), known_at=september) == []


def test_correcting_a_superseded_fact_is_refused_naming_its_successor() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    old = world.activate("anna", "acme", date(2025, 9, 10))
    new = seats.correct(
        world.services, "anna", old.seq, on=date(2025, 9, 1), actor="jean", reason="typo"
    ).unwrap()
    before = world.state()
    again = seats.correct(
        world.services, "anna", old.seq, on=date(2025, 9, 2), actor="jean", reason="typo"
    ).failure()
    assert again.code == "fact-not-correctable"
    assert f"already superseded by fact #{new.seq}" in again.message
    assert world.state() == before
    # The correction itself can be corrected.
    newer = seats.correct(
        world.services, "anna", new.seq, on=date(2025, 9, 3), actor="jean", reason="again"
    ).unwrap()
    assert seats.history(world.services, "anna").unwrap().timeline.first_activated_on == (
        newer.effective_on
    )


def test_a_retraction_or_a_request_is_not_corrected_by_date() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    world.activate("anna", "acme", date(2025, 9, 1))
    closing = world.deactivate("anna", date(2025, 9, 20))
    retraction = seats.retract(
        world.services, "anna", closing.seq, actor="jean", reason="she stayed"
    ).unwrap()
    error = seats.correct(
        world.services, "anna", retraction.seq, on=date(2025, 9, 2), actor="j", reason="x"
    ).failure()
    assert error.code == "fact-not-correctable"
    assert "a retracted fact is not corrected by date" in error.message


def test_retracting_a_deactivation_makes_the_seat_active_again_from_its_activation() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    world.activate("anna", "acme", date(2025, 9, 1))
    closing = world.deactivate("anna", date(2025, 9, 20))
    seats.retract(world.services, "anna", closing.seq, actor="jean", reason="she stayed").unwrap()
    assert world.billable("acme", SEP_30) == ["anna"]
    entries = seats.history(world.services, "anna").unwrap().entries
    assert entries[1].fact == closing
    assert entries[1].superseded_by == entries[2].fact.seq
    assert entries[2].fact.kind is FactKind.RETRACTED


def test_retracting_the_only_activation_leaves_a_seat_that_can_be_activated_again() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    first = world.activate("anna", "acme", date(2025, 9, 1))
    seats.retract(world.services, "anna", first.seq, actor="jean", reason="wrong person").unwrap()
    assert world.billable("acme", SEP_30) == []
    assert seats.history(world.services, "anna").unwrap().timeline.intervals == ()
    # Closing or reactivating a seat with no activation in force is refused, not a crash.
    before = world.state()
    for result in [
        seats.deactivate(world.services, "anna", actor="jean"),
        seats.complete(world.services, "anna", actor="jean"),
        seats.reactivate(world.services, "anna", actor="jean"),
    ]:
        assert result.failure().code == "unknown-seat"
    assert world.state() == before
    world.activate("anna", "acme", date(2025, 9, 15))
    assert world.billable("acme", SEP_30) == ["anna"]
    assert world.billable("acme", date(2025, 9, 10)) == []


def test_retracting_an_activation_twice_is_refused() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    first = world.activate("anna", "acme", date(2025, 9, 1))
    seats.retract(world.services, "anna", first.seq, actor="jean", reason="wrong").unwrap()
    error = seats.retract(world.services, "anna", first.seq, actor="jean", reason="again")
    assert error.failure().code == "fact-not-correctable"


def test_recorded_instants_and_sequence_numbers_only_grow() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    world.activate("anna", "acme", date(2025, 9, 1))
    world.activate("bob", "acme", date(2025, 9, 2))
    world.today(date(2025, 10, 16))
    world.deactivate("anna", date(2025, 10, 1))
    world.reactivate("anna", date(2025, 10, 16))
    facts = sorted((f for fs in world.uow.ledger.facts.values() for f in fs), key=lambda f: f.seq)
    assert [f.seq for f in facts] == [1, 2, 3, 4]
    stamps = [f.recorded_at for f in facts]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)


def test_retracting_a_correction_withdraws_the_fact_it_replaced_too() -> None:
    world = Scenario(today=date(2025, 10, 15))
    world.org("acme")
    world.activate("anna", "acme", date(2025, 9, 1))
    closing = world.deactivate("anna", date(2025, 9, 20))
    fixed = seats.correct(
        world.services, "anna", closing.seq, on=date(2025, 9, 25), actor="jean", reason="typo"
    ).unwrap()
    seats.retract(world.services, "anna", fixed.seq, actor="jean", reason="she stayed").unwrap()
    # Neither 20 nor 25 September: anna never left.
    assert world.billable("acme", SEP_30) == ["anna"]
    entries = seats.history(world.services, "anna").unwrap().entries
    assert [e.superseded_by for e in entries] == [None, fixed.seq, entries[3].fact.seq, None]
