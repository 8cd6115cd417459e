"""Shrunk failures of the property tests, kept as explicit, fast regression tests.

Each replays the steps hypothesis shrank a failure to, through the same
state machine, and then checks every invariant.
"""

from __future__ import annotations

from datetime import date

from test_ledger_state_machine import SEATS, LedgerMachine

from seatledger.domain.identifiers import OrgId
from seatledger.domain.seat import FactKind
from seatledger.domain.services import seats


def check_every_invariant(state: LedgerMachine) -> None:
    state.inv_1_exactly_one_payer_on_every_active_date()
    state.inv_2_answers_as_known_at_a_past_instant_never_change()
    state.inv_3_half_open_deactivated_on_d_is_not_counted_activated_on_d_is()
    state.inv_4_intervals_are_half_open_ordered_and_history_is_append_only()
    state.inv_6_conservation_billed_seats_equal_active_seats()


def test_closing_a_seat_whose_only_activation_was_retracted_is_refused_not_a_crash() -> None:
    # Shrunk: retract seat-0's activation (fact #1), then deactivate seat-0. The use case
    # looked up the seat's current payer before checking it had an interval, and raised
    # AssertionError("seat seat-0 has no known paying organisation").
    state = LedgerMachine()
    state.two_organisations_and_two_seats()
    seats.retract(state.services, SEATS[0], 1, actor="jean", reason="no").unwrap()
    check_every_invariant(state)
    for verb in ["deactivate", "complete", "reactivate"]:
        state.change_activity(seat=SEATS[0], back=0, reason=None, verb=verb)
        check_every_invariant(state)
    state.activate(seat=SEATS[0], org_n=1, back=0, reason=None)
    check_every_invariant(state)
    assert state.uow.ledger.billable_on(OrgId("globex"), date(2025, 1, 1), None)


def test_a_seat_with_only_a_transfer_request_cannot_be_closed_or_reactivated() -> None:
    # A history-only fact (a transfer request) makes a seat "exist" without any interval.
    state = LedgerMachine()
    state.two_organisations_and_two_seats()
    state.change_payer(seat=SEATS[2], org_n=1, back=0, kind=FactKind.TRANSFER_REQUESTED)
    for verb in ["deactivate", "complete", "reactivate"]:
        state.change_activity(seat=SEATS[2], back=0, reason=None, verb=verb)
    check_every_invariant(state)
    assert len(state.facts(SEATS[2])) == 1
