"""The questions: billable on a date, active within a range, counts."""

from __future__ import annotations

from datetime import date

import pytest
from ledger_scenario import Scenario

from seatledger.domain.queries import RangeMode
from seatledger.domain.seat import FactKind
from seatledger.domain.services import questions

SEP_1, SEP_30 = date(2025, 9, 1), date(2025, 9, 30)


@pytest.fixture
def world() -> Scenario:
    """Xtra Lease, September 2017 style: seats around a 1–30 September range."""
    world = Scenario(today=date(2025, 11, 1))
    world.org("xtra-lease")
    world.org("globex")
    world.activate("before-and-after", "xtra-lease", date(2025, 8, 1))
    world.activate("ends-on-the-30th", "xtra-lease", date(2025, 8, 1))
    world.deactivate("ends-on-the-30th", SEP_30)
    world.activate("ends-on-the-1st", "xtra-lease", date(2025, 8, 1))
    world.deactivate("ends-on-the-1st", SEP_1)
    world.activate("starts-on-the-30th", "xtra-lease", SEP_30)
    world.activate("starts-on-oct-1", "xtra-lease", date(2025, 10, 1))
    world.activate("gap-inside", "xtra-lease", date(2025, 8, 15))
    world.deactivate("gap-inside", date(2025, 9, 10))
    world.reactivate("gap-inside", date(2025, 9, 20))
    world.activate("other-client", "globex", date(2025, 8, 1))
    return world


def within(world: Scenario, mode: RangeMode, org: str = "xtra-lease") -> list[str]:
    answer = questions.seats_within(world.services, org, SEP_1, SEP_30, mode).unwrap()
    return sorted({row.seat for row in answer.rows})


def test_overlapping_lists_every_seat_billed_on_any_day_of_the_range(world: Scenario) -> None:
    assert within(world, RangeMode.OVERLAPPING) == [
        "before-and-after",
        "ends-on-the-30th",
        "gap-inside",
        "starts-on-the-30th",
    ]


def test_throughout_lists_only_seats_billed_on_every_day_both_ends_included(
    world: Scenario,
) -> None:
    # ends-on-the-30th is not billed on the 30th, the last day of the range.
    assert within(world, RangeMode.THROUGHOUT) == ["before-and-after"]


def test_a_seat_with_a_gap_inside_the_range_has_one_row_per_span(world: Scenario) -> None:
    answer = questions.seats_within(world.services, "xtra-lease", SEP_1, SEP_30).unwrap()
    gap = [(r.billed_from, r.billed_until) for r in answer.rows if r.seat == "gap-inside"]
    assert gap == [(date(2025, 8, 15), date(2025, 9, 10)), (date(2025, 9, 20), None)]
    assert answer.count == 4
    assert (answer.first, answer.last, answer.mode) == (SEP_1, SEP_30, RangeMode.OVERLAPPING)


def test_a_one_day_range_is_the_same_as_billable_on_that_day(world: Scenario) -> None:
    for day in [date(2025, 8, 31), SEP_1, date(2025, 9, 15), SEP_30, date(2025, 10, 1)]:
        for mode in RangeMode:
            answer = questions.seats_within(world.services, "xtra-lease", day, day, mode).unwrap()
            assert sorted(r.seat for r in answer.rows) == world.billable("xtra-lease", day)


def test_a_range_from_the_30th_back_to_the_1st_is_refused(world: Scenario) -> None:
    error = questions.seats_within(world.services, "xtra-lease", SEP_30, SEP_1).failure()
    assert error.code == "range-reversed"
    assert "2025-09-30" in error.message


def test_a_seat_transferred_mid_range_is_listed_by_both_but_throughout_by_neither(
    world: Scenario,
) -> None:
    world.change_payer("before-and-after", "globex", date(2025, 9, 15), FactKind.TAKEN_OVER)
    assert "before-and-after" in within(world, RangeMode.OVERLAPPING)
    assert "before-and-after" in within(world, RangeMode.OVERLAPPING, "globex")
    assert "before-and-after" not in within(world, RangeMode.THROUGHOUT)
    assert "before-and-after" not in within(world, RangeMode.THROUGHOUT, "globex")


def test_billable_on_the_1st_lists_seats_by_id_with_the_count(world: Scenario) -> None:
    answer = questions.seats_on(world.services, "xtra-lease", SEP_1).unwrap()
    assert [r.seat for r in answer.rows] == ["before-and-after", "ends-on-the-30th", "gap-inside"]
    assert answer.count == 3
    assert questions.count_on(world.services, "xtra-lease", SEP_1).unwrap() == 3
    assert answer.on == SEP_1
    assert answer.as_known_at == world.head().last_recorded_at


def test_other_organisations_seats_are_never_listed(world: Scenario) -> None:
    assert world.billable("globex", SEP_1) == ["other-client"]
    assert "other-client" not in world.billable("xtra-lease", SEP_1)


def test_403_seats_on_the_1st_stay_403_as_known_then_after_12_leave() -> None:
    world = Scenario(today=date(2025, 9, 1))
    world.org("xtra-lease")
    for n in range(403):
        world.activate(f"learner-{n:03d}", "xtra-lease", date(2025, 8, 1))
    invoice_cut = world.head().last_recorded_at
    world.today(date(2025, 10, 17))
    for n in range(12):
        world.deactivate(f"learner-{n:03d}", date(2025, 10, 1))
    services = world.services
    assert questions.count_on(services, "xtra-lease", date(2025, 10, 17)).unwrap() == 391
    assert questions.count_on(services, "xtra-lease", SEP_1, invoice_cut).unwrap() == 403
    assert questions.count_on(services, "xtra-lease", SEP_1).unwrap() == 403
    rows = questions.seats_on(services, "xtra-lease", SEP_1).unwrap().rows
    first = rows[0]
    # The proof a client asks for: each seat with its activation and deactivation date.
    assert (first.seat, first.activated_on, first.deactivated_on) == (
        "learner-000",
        date(2025, 8, 1),
        date(2025, 10, 1),
    )
