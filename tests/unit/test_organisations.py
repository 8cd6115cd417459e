"""Organisations: validated on the way in, each with its own zone and currency."""

from __future__ import annotations

from datetime import date

from ledger_scenario import Scenario

from seatledger.domain.identifiers import OrgId
from seatledger.domain.organisation import Organisation, valid_currency
from seatledger.domain.services import organisations


def test_a_new_organisation_is_registered_with_its_zone_and_currency() -> None:
    world = Scenario(today=date(2025, 10, 15))
    created = organisations.add_organisation(
        world.services, "kiri", "Kiritimati Clinic", "Pacific/Kiritimati", "usd", False
    ).unwrap()
    assert created == Organisation(
        OrgId("kiri"), "Kiritimati Clinic", "Pacific/Kiritimati", "USD", False
    )
    assert organisations.get_organisation(world.services, "kiri").unwrap() == created
    assert world.head().last_recorded_at is not None
    assert world.head().last_seq == 0


def test_organisations_are_listed_by_id() -> None:
    world = Scenario(today=date(2025, 10, 15))
    for org in ["zeta", "acme", "mid"]:
        world.org(org)
    assert [o.id for o in organisations.list_organisations(world.services)] == [
        "acme",
        "mid",
        "zeta",
    ]


def test_an_unknown_organisation_is_a_refusal_naming_it() -> None:
    world = Scenario(today=date(2025, 10, 15))
    error = organisations.get_organisation(world.services, "initech").failure()
    assert (error.code, error.message) == (
        "unknown-organisation",
        "there is no organisation 'initech'",
    )


def test_currencies_are_iso_codes_in_any_case() -> None:
    assert valid_currency(" eur ").unwrap() == "EUR"
    assert valid_currency("JPY").unwrap() == "JPY"
    assert valid_currency("XBT").failure().code == "invalid-currency"
