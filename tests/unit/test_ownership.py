"""Who pays: payer-moving facts move billing from their date; the rest are history only."""

from __future__ import annotations

from datetime import date

import pytest
from ledger_scenario import Scenario

from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.seat import FactKind, SeatFact
from seatledger.domain.services import questions, seats
from seatledger.domain.timeline import timeline

SEP_1, OCT_1, OCT_15 = date(2025, 9, 1), date(2025, 10, 1), date(2025, 10, 15)


@pytest.fixture
def world() -> Scenario:
    world = Scenario(today=date(2025, 11, 20))
    world.org("acme")
    world.org("globex")
    world.activate("anna", "acme", SEP_1)
    return world


@pytest.mark.parametrize(
    "kind", [FactKind.OWNER_CHANGED, FactKind.TRANSFER_APPROVED, FactKind.TAKEN_OVER]
)
def test_a_payer_moving_fact_bills_globex_from_its_date(world: Scenario, kind: FactKind) -> None:
    world.change_payer("anna", "globex", OCT_15, kind)
    day_before = date(2025, 10, 14)
    assert (world.billable("acme", day_before), world.billable("globex", day_before)) == (
        ["anna"],
        [],
    )
    assert (world.billable("acme", OCT_15), world.billable("globex", OCT_15)) == ([], ["anna"])


@pytest.mark.parametrize(
    "kind",
    [
        FactKind.TRANSFER_REQUESTED,
        FactKind.TRANSFER_REJECTED,
        FactKind.TRANSFER_WITHDRAWN,
        FactKind.TRANSFER_EXPIRED,
    ],
)
def test_requests_rejections_and_withdrawals_leave_acme_paying(
    world: Scenario, kind: FactKind
) -> None:
    world.change_payer("anna", "globex", OCT_15, kind)
    for day in [OCT_15, date(2025, 11, 20)]:
        assert world.billable("acme", day) == ["anna"]
        assert world.billable("globex", day) == []


def test_a_payer_change_on_the_activation_day_means_acme_never_pays(world: Scenario) -> None:
    world.change_payer("anna", "globex", SEP_1, FactKind.OWNER_CHANGED)
    assert world.billable("acme", SEP_1) == []
    assert world.billable("globex", SEP_1) == ["anna"]


def test_a_payer_change_while_inactive_bills_the_new_payer_after_reactivation(
    world: Scenario,
) -> None:
    world.deactivate("anna", date(2025, 9, 20))
    world.change_payer("anna", "globex", OCT_1, FactKind.OWNER_CHANGED)
    world.reactivate("anna", OCT_15)
    assert world.billable("acme", date(2025, 9, 19)) == ["anna"]
    assert world.billable("acme", OCT_15) == []
    assert world.billable("globex", OCT_15) == ["anna"]


def test_a_row_reports_the_deactivation_even_when_it_lies_after_the_date_asked(
    world: Scenario,
) -> None:
    world.deactivate("anna", date(2025, 10, 20))
    (row,) = questions.seats_on(world.services, "acme", date(2025, 9, 30)).unwrap().rows
    assert (row.activated_on, row.deactivated_on) == (SEP_1, date(2025, 10, 20))
    assert (row.billed_from, row.billed_until) == (SEP_1, date(2025, 10, 20))
    assert row.paying_org == "acme"


def test_billed_from_and_until_bound_each_payers_span_around_a_transfer(world: Scenario) -> None:
    world.change_payer("anna", "globex", OCT_15, FactKind.TRANSFER_APPROVED)
    world.deactivate("anna", date(2025, 11, 10))
    (acme,) = questions.seats_on(world.services, "acme", OCT_1).unwrap().rows
    (globex,) = questions.seats_on(world.services, "globex", OCT_15).unwrap().rows
    assert (acme.billed_from, acme.billed_until, acme.paying_org) == (SEP_1, OCT_15, "acme")
    assert (globex.billed_from, globex.billed_until, globex.paying_org) == (
        OCT_15,
        date(2025, 11, 10),
        "globex",
    )
    # Both rows report the seat's own dates, not the transfer date.
    for row in (acme, globex):
        assert (row.activated_on, row.deactivated_on) == (SEP_1, date(2025, 11, 10))


def test_a_later_change_on_the_same_day_wins(world: Scenario) -> None:
    world.change_payer("anna", "globex", OCT_15, FactKind.OWNER_CHANGED)
    world.change_payer("anna", "acme", OCT_15, FactKind.OWNER_CHANGED)
    tl = seats.history(world.services, "anna").unwrap().timeline
    assert [(o.org, o.start, o.end) for o in tl.owners] == [("acme", SEP_1, None)]


def test_ownership_intervals_cover_every_day_from_the_first_activation(world: Scenario) -> None:
    world.change_payer("anna", "globex", OCT_1, FactKind.OWNER_CHANGED)
    world.change_payer("anna", "acme", OCT_15, FactKind.TAKEN_OVER)
    tl = seats.history(world.services, "anna").unwrap().timeline
    assert [(o.org, o.start, o.end) for o in tl.owners] == [
        ("acme", SEP_1, OCT_1),
        ("globex", OCT_1, OCT_15),
        ("acme", OCT_15, None),
    ]
    assert tl.payer_on(date(2025, 8, 31)) is None
    assert tl.current_payer() == "acme"


def test_correcting_a_payer_change_moves_its_date(world: Scenario) -> None:
    (moved,) = world.change_payer("anna", "globex", OCT_15, FactKind.OWNER_CHANGED)
    seats.correct(
        world.services, "anna", moved.seq, on=OCT_1, actor="jean", reason="signed earlier"
    ).unwrap()
    assert world.billable("globex", OCT_1) == ["anna"]
    assert world.billable("acme", OCT_1) == []


def test_an_approval_is_not_corrected_by_date(world: Scenario) -> None:
    (approval,) = world.change_payer("anna", "globex", OCT_15, FactKind.TRANSFER_APPROVED)
    error = seats.correct(
        world.services, "anna", approval.seq, on=OCT_1, actor="jean", reason="backdate"
    ).failure()
    assert error.code == "fact-not-correctable"
    assert "transfer-approved" in error.message


def test_a_fold_of_a_payer_change_with_no_activation_names_its_own_date() -> None:
    lone = SeatFact(
        seq=1,
        seat=SeatId("x"),
        kind=FactKind.OWNER_CHANGED,
        effective_on=OCT_1,
        recorded_at=seats._UNSTAMPED,
        actor="a",
        org=OrgId("acme"),
    )
    failure = timeline(SeatId("x"), [lone]).failure()
    assert failure.error.code == "ownership-before-activation"
    assert failure.fact == lone
