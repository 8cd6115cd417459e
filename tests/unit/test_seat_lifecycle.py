"""A seat's life: activation, deactivation, completion, reactivation, half-open intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from ledger_scenario import Scenario

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import FixedClock
from seatledger.domain.dates import Period
from seatledger.domain.reference_dates import MonthEnd
from seatledger.domain.seat import FactKind, SeatKind
from seatledger.domain.services import seats

SEP_1, SEP_30, OCT_1 = date(2025, 9, 1), date(2025, 9, 30), date(2025, 10, 1)


@pytest.fixture
def world() -> Scenario:
    world = Scenario(today=date(2025, 11, 15))
    world.org("acme")
    return world


def test_a_seat_activated_on_d_is_counted_on_d(world: Scenario) -> None:
    world.activate("anna", "acme", SEP_30)
    assert world.billable("acme", SEP_30) == ["anna"]
    assert world.billable("acme", date(2025, 9, 29)) == []


def test_a_seat_deactivated_on_d_is_not_counted_on_d(world: Scenario) -> None:
    world.activate("anna", "acme", SEP_1)
    world.deactivate("anna", SEP_30)
    assert world.billable("acme", date(2025, 9, 29)) == ["anna"]
    assert world.billable("acme", SEP_30) == []


def test_deactivated_on_29_october_means_no_invoice_for_october_with_month_end(
    world: Scenario,
) -> None:
    world.activate("portfolio-7", "acme", SEP_1)
    world.deactivate("portfolio-7", date(2025, 10, 29))
    september = MonthEnd().reference_date(Period(2025, 9))
    october = MonthEnd().reference_date(Period(2025, 10))
    assert world.billable("acme", september) == ["portfolio-7"]
    assert world.billable("acme", october) == []


def test_activated_and_deactivated_on_the_same_day_is_never_counted(world: Scenario) -> None:
    world.activate("blink", "acme", SEP_30)
    world.deactivate("blink", SEP_30)
    for day in [date(2025, 9, 29), SEP_30, OCT_1]:
        assert world.billable("acme", day) == []
    answer = seats.history(world.services, "blink").unwrap()
    assert answer.timeline.spans() == ()


def test_deactivated_and_reactivated_on_the_same_day_is_counted_that_day(world: Scenario) -> None:
    world.activate("anna", "acme", SEP_1)
    world.deactivate("anna", SEP_30)
    world.reactivate("anna", SEP_30)
    assert world.billable("acme", SEP_30) == ["anna"]
    tl = seats.history(world.services, "anna").unwrap().timeline
    assert [(i.start, i.end) for i in tl.intervals] == [(SEP_1, SEP_30), (SEP_30, None)]


def test_reactivation_opens_a_new_interval_and_keeps_the_first(world: Scenario) -> None:
    world.activate("anna", "acme", SEP_1, holder="Anna Jansen", kind=SeatKind.STUDENT)
    world.complete("anna", date(2025, 9, 10))
    world.reactivate("anna", date(2025, 10, 5))
    tl = seats.history(world.services, "anna").unwrap().timeline
    assert [(i.start, i.end, i.ended_by) for i in tl.intervals] == [
        (SEP_1, date(2025, 9, 10), FactKind.COMPLETED),
        (date(2025, 10, 5), None, None),
    ]
    # The seat keeps its holder and kind when reactivated without new ones.
    assert tl.intervals[1].holder == "Anna Jansen"
    assert tl.intervals[1].seat_kind is SeatKind.STUDENT
    assert world.billable("acme", SEP_30) == []
    assert world.billable("acme", date(2025, 10, 31)) == ["anna"]


def test_reactivation_can_change_the_kind_and_add_ons(world: Scenario) -> None:
    catalog = load_catalog().unwrap()
    world.activate(
        "anna", "acme", SEP_1, kind=SeatKind.STUDENT, addons=["Library"], catalog=catalog
    )
    world.deactivate("anna", SEP_30)
    seats.reactivate(
        world.services,
        "anna",
        actor="lisa",
        on=OCT_1,
        reason="qualified",
        kind=SeatKind.REGULAR,
        addons=[],
    ).unwrap()
    tl = seats.history(world.services, "anna").unwrap().timeline
    assert tl.intervals[0].addons == frozenset({"library"})
    assert tl.intervals[1].seat_kind is SeatKind.REGULAR
    assert tl.intervals[1].addons == frozenset()


def test_activation_defaults_to_today_in_the_organisations_zone() -> None:
    # 31 August 2025, 12:00 UTC is 1 September in Kiritimati and 31 August in Juneau.
    world = Scenario(clock=FixedClock(datetime(2025, 8, 31, 12, 0, tzinfo=UTC)))
    world.org("kiri", timezone="Pacific/Kiritimati")
    world.org("juneau", timezone="America/Juneau")
    world.tick()
    a = seats.activate(world.services, "k1", "kiri", actor="lisa").unwrap()
    world.tick()
    b = seats.activate(world.services, "j1", "juneau", actor="lisa").unwrap()
    assert (a.effective_on, b.effective_on) == (date(2025, 9, 1), date(2025, 8, 31))
    # On the August reference date the Juneau seat counts; the Kiritimati one does not.
    august = MonthEnd().reference_date(Period(2025, 8))
    assert world.billable("juneau", august) == ["j1"]
    assert world.billable("kiri", august) == []


def test_a_deactivation_at_one_instant_misses_august_in_juneau_but_not_in_kiritimati() -> None:
    # 31 August 2025 12:00 UTC: the reference date in Juneau, already 1 September in Kiritimati.
    world = Scenario(clock=FixedClock(datetime(2025, 8, 31, 12, 0, tzinfo=UTC)))
    world.org("kiri", timezone="Pacific/Kiritimati")
    world.org("juneau", timezone="America/Juneau")
    world.activate("k1", "kiri", date(2025, 8, 1))
    world.activate("j1", "juneau", date(2025, 8, 1))
    world.tick()
    seats.deactivate(world.services, "k1", actor="lisa").unwrap()
    world.tick()
    seats.deactivate(world.services, "j1", actor="lisa").unwrap()
    august = MonthEnd().reference_date(Period(2025, 8))
    assert world.billable("kiri", august) == ["k1"]
    assert world.billable("juneau", august) == []


def test_history_keeps_the_activation_after_a_deactivation(world: Scenario) -> None:
    world.activate("anna", "acme", SEP_1)
    world.deactivate("anna", SEP_30)
    history = seats.history(world.services, "anna").unwrap()
    assert [e.fact.kind for e in history.entries] == [FactKind.ACTIVATED, FactKind.DEACTIVATED]
    assert [e.fact.effective_on for e in history.entries] == [SEP_1, SEP_30]


def test_a_fact_dated_today_needs_no_reason(world: Scenario) -> None:
    fact = seats.activate(world.services, "anna", "acme", actor="lisa").unwrap()
    assert fact.effective_on == date(2025, 11, 15)
    assert fact.reason is None


def test_actor_and_reason_are_trimmed_and_kept(world: Scenario) -> None:
    fact = seats.activate(
        world.services, "anna", "acme", actor="  lisa ", on=SEP_1, reason=" late paperwork "
    ).unwrap()
    assert (fact.actor, fact.reason) == ("lisa", "late paperwork")
