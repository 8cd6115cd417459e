"""Every refusal: its stable code, a message naming the offending value, and no change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from ledger_scenario import Scenario
from returns.result import Failure, Result

from seatledger.domain import errors
from seatledger.domain.errors import LedgerError
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.seat import FactKind, SeatKind
from seatledger.domain.services import organisations, questions, seats

TODAY = date(2025, 10, 15)


@pytest.fixture
def world() -> Scenario:
    world = Scenario(today=TODAY)
    world.org("acme")
    world.org("globex")
    world.activate("anna", "acme", date(2025, 9, 1))
    world.deactivate("anna", date(2025, 9, 20))
    world.activate("bob", "acme", date(2025, 9, 5))
    return world


def refused(world: Scenario, result: Result[object, LedgerError], code: str) -> LedgerError:
    """The refusal, after checking its code and that the ledger did not change."""
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, LedgerError)
    assert error.code == code, error
    assert error.message
    return error


def unchanged(world: Scenario, before: object) -> None:
    assert world.state() == before


def test_every_error_class_has_its_own_code() -> None:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, LedgerError) and c is not LedgerError
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)), sorted(codes)
    assert all(code != "ledger-error" for code in codes)


def test_an_unknown_organisation_is_named(world: Scenario) -> None:
    before = world.state()
    result = seats.activate(world.services, "carl", "initech", actor="lisa")
    assert "'initech'" in refused(world, result, "unknown-organisation").message
    unchanged(world, before)


def test_an_organisation_id_cannot_be_taken_twice(world: Scenario) -> None:
    before = world.state()
    result = organisations.add_organisation(world.services, "acme", "Acme again")
    assert "'acme'" in refused(world, result, "organisation-exists").message
    unchanged(world, before)


@pytest.mark.parametrize(
    ("kwargs", "code", "named"),
    [
        ({"org": "acme corp"}, "invalid-identifier", "'acme corp'"),
        ({"org": "-acme"}, "invalid-identifier", "'-acme'"),
        ({"name": "   "}, "invalid-text", "name"),
        ({"timezone": "Europe/Atlantis"}, "invalid-timezone", "'Europe/Atlantis'"),
        ({"currency": "BTC"}, "invalid-currency", "'BTC'"),
    ],
)
def test_a_new_organisation_with_a_bad_field_is_refused(
    world: Scenario, kwargs: dict[str, Any], code: str, named: str
) -> None:
    before = world.state()
    fields: dict[str, Any] = {"org": "initech", "name": "Initech", **kwargs}
    result = organisations.add_organisation(world.services, **fields)
    assert named in refused(world, result, code).message
    unchanged(world, before)


def test_a_seat_id_with_a_slash_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.activate(world.services, "a/b", "acme", actor="lisa")
    error = refused(world, result, "invalid-identifier")
    assert "'a/b' is not a valid seat id" in error.message
    unchanged(world, before)


def test_an_empty_actor_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.activate(world.services, "carl", "acme", actor=" ")
    assert "actor" in refused(world, result, "invalid-text").message
    unchanged(world, before)


def test_a_reason_with_a_control_character_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.deactivate(
        world.services, "bob", actor="lisa", on=date(2025, 10, 1), reason="left\x07"
    )
    assert "reason" in refused(world, result, "invalid-text").message
    unchanged(world, before)


def test_a_seat_kind_other_than_regular_or_student_is_refused() -> None:
    error = SeatKind.parse("teacher").failure()
    assert error.code == "invalid-seat-kind"
    assert "'teacher'" in error.message


def test_activating_anna_twice_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.activate(world.services, "anna", "acme", actor="lisa")
    assert "'anna' exists already" in refused(world, result, "seat-exists").message
    unchanged(world, before)


def test_deactivating_a_seat_never_activated_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.deactivate(world.services, "ghost", actor="lisa")
    assert "'ghost'" in refused(world, result, "unknown-seat").message
    unchanged(world, before)


def test_deactivating_an_inactive_seat_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.deactivate(world.services, "anna", actor="lisa")
    error = refused(world, result, "seat-not-active")
    assert "'anna' is not active on 2025-10-15" in error.message
    unchanged(world, before)


def test_reactivating_an_active_seat_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.reactivate(world.services, "bob", actor="lisa")
    assert "'bob' is already active" in refused(world, result, "seat-already-active").message
    unchanged(world, before)


def test_reactivating_inside_a_closed_interval_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.reactivate(
        world.services, "anna", actor="lisa", on=date(2025, 9, 10), reason="oops"
    )
    assert "2025-09-10" in refused(world, result, "seat-already-active").message
    unchanged(world, before)


def test_deactivating_before_the_activation_is_refused_naming_both_dates(world: Scenario) -> None:
    before = world.state()
    result = seats.deactivate(
        world.services, "bob", actor="lisa", on=date(2025, 9, 1), reason="left"
    )
    error = refused(world, result, "deactivation-before-activation")
    assert "2025-09-01" in error.message
    assert "2025-09-05" in error.message
    unchanged(world, before)


def test_a_future_date_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.deactivate(world.services, "bob", actor="lisa", on=date(2025, 10, 16))
    error = refused(world, result, "future-date")
    assert "2025-10-16 lies after today (2025-10-15)" in error.message
    unchanged(world, before)


def test_a_backdated_fact_without_a_reason_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.deactivate(world.services, "bob", actor="lisa", on=date(2025, 10, 1))
    error = refused(world, result, "backdated-without-reason")
    assert "2025-10-01" in error.message
    assert "'bob'" in error.message
    unchanged(world, before)


def test_a_backdated_fact_with_a_blank_reason_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.deactivate(
        world.services, "bob", actor="lisa", on=date(2025, 10, 1), reason="   "
    )
    refused(world, result, "backdated-without-reason")
    unchanged(world, before)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_correction_needs_a_reason(world: Scenario, reason: str | None) -> None:
    before = world.state()
    result = seats.correct(
        world.services, "bob", 3, on=date(2025, 9, 6), actor="lisa", reason=reason
    )
    assert "a correction" in refused(world, result, "reason-required").message
    unchanged(world, before)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_retraction_needs_a_reason(world: Scenario, reason: str | None) -> None:
    before = world.state()
    result = seats.retract(world.services, "bob", 3, actor="lisa", reason=reason)
    assert "a retraction" in refused(world, result, "reason-required").message
    unchanged(world, before)


def test_correcting_fact_99_is_refused_as_unknown(world: Scenario) -> None:
    before = world.state()
    result = seats.correct(
        world.services, "bob", 99, on=date(2025, 9, 6), actor="lisa", reason="typo"
    )
    assert "'bob' has no fact #99" in refused(world, result, "unknown-fact").message
    unchanged(world, before)


def test_correcting_a_fact_of_another_seat_is_refused_as_unknown(world: Scenario) -> None:
    before = world.state()
    result = seats.correct(
        world.services, "bob", 1, on=date(2025, 9, 6), actor="lisa", reason="typo"
    )
    refused(world, result, "unknown-fact")
    unchanged(world, before)


def test_a_correction_into_the_future_is_refused(world: Scenario) -> None:
    before = world.state()
    result = seats.correct(
        world.services, "bob", 3, on=date(2025, 12, 1), actor="lisa", reason="typo"
    )
    assert "2025-12-01" in refused(world, result, "future-date").message
    unchanged(world, before)


def test_a_correction_that_breaks_a_later_fact_is_a_history_conflict(world: Scenario) -> None:
    # Moving anna's activation to 25 September puts her deactivation (20 September) before it.
    before = world.state()
    result = seats.correct(
        world.services, "anna", 1, on=date(2025, 9, 25), actor="lisa", reason="typo"
    )
    error = refused(world, result, "history-conflict")
    assert "conflicts with fact #2 on 2025-09-20" in error.message
    assert "activated on 2025-09-25" in error.message
    unchanged(world, before)


def test_retracting_an_activation_with_a_later_deactivation_is_a_history_conflict(
    world: Scenario,
) -> None:
    before = world.state()
    result = seats.retract(world.services, "anna", 1, actor="lisa", reason="never joined")
    error = refused(world, result, "history-conflict")
    assert "fact #2 on 2025-09-20" in error.message
    unchanged(world, before)


def test_a_payer_change_before_the_first_activation_is_refused(world: Scenario) -> None:
    before = world.state()
    with world.uow.transaction(write=True) as ledger:
        known = ledger.seat_facts(SeatId("bob"))
        result = seats.change_payer(
            world.services,
            ledger,
            SeatId("bob"),
            known,
            OrgId("globex"),
            date(2025, 9, 1),
            kind=FactKind.OWNER_CHANGED,
            actor="lisa",
            reason="moved",
        )
    error = refused(world, result, "ownership-before-activation")
    assert "2025-09-01" in error.message
    assert "2025-09-05" in error.message
    unchanged(world, before)


def test_a_question_as_known_at_a_naive_instant_is_refused(world: Scenario) -> None:
    naive = datetime(2025, 10, 1, 12, 0)
    for result in [
        questions.seats_on(world.services, "acme", date(2025, 9, 30), naive),
        questions.count_on(world.services, "acme", date(2025, 9, 30), naive),
        questions.seats_within(
            world.services, "acme", date(2025, 9, 1), date(2025, 9, 30), known_at=naive
        ),
    ]:
        assert "2025-10-01T12:00:00" in refused(world, result, "naive-instant").message


def test_a_question_about_an_unknown_organisation_is_refused(world: Scenario) -> None:
    result = questions.count_on(world.services, "initech", date(2025, 9, 30))
    assert "'initech'" in refused(world, result, "unknown-organisation").message


def test_a_clock_behind_the_last_recorded_fact_is_refused(world: Scenario) -> None:
    before = world.state()
    world.today(date(2025, 10, 14))
    result = seats.deactivate(world.services, "bob", actor="lisa")
    error = refused(world, result, "clock-went-backwards")
    assert "2025-10-14T00:00:00+00:00" in error.message
    unchanged(world, before)


def test_a_clock_behind_the_ledger_cannot_add_an_organisation_either() -> None:
    world = Scenario(today=TODAY)
    world.org("acme")
    world.today(date(2025, 1, 1))
    result = organisations.add_organisation(world.services, "globex", "Globex")
    refused(world, result, "clock-went-backwards")
    assert [o.id for o in organisations.list_organisations(world.services)] == ["acme"]


def test_a_clock_in_utc_gives_utc_recorded_instants(world: Scenario) -> None:
    fact = seats.deactivate(world.services, "bob", actor="lisa").unwrap()
    assert fact.recorded_at.tzinfo is UTC


def test_an_add_on_the_catalog_does_not_sell_is_named_with_the_ones_it_does(
    world: Scenario,
) -> None:
    from seatledger.adapters.catalog.loader import load_catalog

    catalog = load_catalog().unwrap()
    before = world.state()
    result = seats.activate(
        world.services, "carl", "acme", actor="lisa", addons=["libary"], catalog=catalog
    )
    error = refused(world, result, "unknown-addon")
    assert error.message == "unknown add-on 'libary': the catalog has: library"
    unchanged(world, before)
    # Without a catalog no add-on is known: the name is refused, never billed at nothing.
    result = seats.activate(world.services, "carl", "acme", actor="lisa", addons=["library"])
    assert refused(world, result, "unknown-addon").message == (
        "unknown add-on 'library': the catalog has no add-ons"
    )
    unchanged(world, before)
