"""The controls of issue 13 on the in-memory ledger: usage corrections and retractions,
add-ons removed and added from a date on, and an organisation's settings and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest
from returns.result import Failure, Result

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import FixedClock, SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.domain.audit import AuditFilter
from seatledger.domain.authorisation import Action
from seatledger.domain.catalog import Addon, Cadence
from seatledger.domain.dates import Period
from seatledger.domain.errors import LedgerError
from seatledger.domain.identifiers import OrgId
from seatledger.domain.invoice import LineKind
from seatledger.domain.organisation import Organisation, ZoneChange
from seatledger.domain.queries import RangeMode
from seatledger.domain.seat import FactKind
from seatledger.domain.services import (
    billing,
    contracts,
    operators,
    organisations,
    questions,
    seats,
)
from seatledger.domain.services import usage as usage_cases
from seatledger.domain.services.billing import Outcome
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import ContractTerms

CATALOG = load_catalog().unwrap()
WITH_FORMS = attrs.evolve(
    CATALOG,
    addons={**CATALOG.addons, "forms": Addon("forms", "Forms", CATALOG.addons["library"].prices)},
)
NORTH = OrgId("north")


class World:
    """North on Starter from September 2025, one seat with the library add-on."""

    def __init__(self) -> None:
        self.uow = InMemoryUnitOfWork()
        self.on(date(2025, 9, 1))
        organisations.add_organisation(self.services, "north", "North Clinic").unwrap()
        contracts.set_contract(
            self.services, CATALOG, "north",
            ContractTerms(plan="starter", cadence=Cadence.MONTHLY), actor="ops",
        ).unwrap()  # fmt: skip
        seats.activate(
            self.services, "s1", "north", actor="ops", addons=["library"], catalog=CATALOG
        ).unwrap()

    def on(self, day: date) -> None:
        self.services = Services(self.uow, SimulatedDay(day))

    def state(self) -> object:
        ledger = self.uow.ledger
        return (
            ledger.head(),
            {seat: list(facts) for seat, facts in ledger.facts.items()},
            dict(ledger.organisations),
            list(ledger.usage_records),
            list(ledger.usage_withdrawals),
            list(ledger.audit_entries),
        )

    def usage_now(self, known_at: datetime | None = None) -> list[tuple[int, int, date]]:
        with self.uow.transaction(write=False) as store:
            found = store.usage(NORTH, date(2025, 9, 1), date(2025, 9, 30), known_at)
        return [(u.seq, u.quantity, u.on) for u in found]

    def addons_on(self, day: date, known_at: datetime | None = None) -> list[frozenset[str]]:
        answer = questions.seats_on(self.services, "north", day, known_at).unwrap()
        return [row.addons for row in answer.rows]


@pytest.fixture
def world() -> World:
    return World()


def refused(world: World, result: Result[object, LedgerError], code: str) -> str:
    """The refusal's message, after checking its code; the caller checks nothing changed."""
    assert isinstance(result, Failure), result
    assert result.failure().code == code, result.failure()
    return result.failure().message


def record_three_dossiers(world: World) -> int:
    world.on(date(2025, 9, 10))
    recorded = contracts.record_usage(
        world.services, CATALOG, "north", "new-dossier", quantity=3, actor="ops"
    ).unwrap()
    return recorded.seq


# --- usage -----------------------------------------------------------------------------


def test_a_correction_changes_usage_as_known_now_but_not_as_known_before_it(
    world: World,
) -> None:
    seq = record_three_dossiers(world)
    before = world.uow.ledger.head().last_recorded_at
    world.on(date(2025, 10, 6))
    entry = usage_cases.correct_usage(
        world.services, seq, quantity=1, reason="two were duplicates", actor="ops"
    ).unwrap()
    assert (entry.record.quantity, entry.record.on, entry.status) == (
        1,
        date(2025, 9, 10),
        "in force",
    )
    assert entry.corrects is not None
    assert entry.corrects.supersedes == seq
    assert world.usage_now() == [(entry.record.seq, 1, date(2025, 9, 10))]
    assert world.usage_now(known_at=before) == [(seq, 3, date(2025, 9, 10))]


def test_a_correction_may_move_usage_to_another_day_out_of_the_window(world: World) -> None:
    seq = record_three_dossiers(world)
    world.on(date(2025, 10, 6))
    usage_cases.correct_usage(
        world.services, seq, quantity=3, on=date(2025, 10, 1), reason="used in October",
        actor="ops",
    ).unwrap()  # fmt: skip
    assert world.usage_now() == []


def test_the_listing_marks_corrected_and_retracted_records_as_known_at_each_instant(
    world: World,
) -> None:
    seq = record_three_dossiers(world)
    world.on(date(2025, 9, 12))
    other = contracts.record_usage(
        world.services, CATALOG, "north", "paid-questionnaire", quantity=2, actor="ops"
    ).unwrap()
    world.on(date(2025, 10, 6))
    fixed = usage_cases.correct_usage(
        world.services, seq, quantity=1, reason="duplicates", actor="ops"
    ).unwrap()
    cut = world.uow.ledger.head().last_recorded_at
    world.on(date(2025, 10, 7))
    usage_cases.retract_usage(
        world.services, other.seq, reason="wrong client", actor="ops"
    ).unwrap()

    now = usage_cases.list_usage(world.services, "north").unwrap()
    assert [(e.record.seq, e.status) for e in now.entries] == [
        (seq, "corrected"),
        (other.seq, "retracted"),
        (fixed.record.seq, "in force"),
    ]
    assert now.entries[0].superseded is not None
    assert now.entries[0].superseded.replaced_by == fixed.record.seq
    assert now.entries[1].superseded is not None
    assert now.entries[1].superseded.reason == "wrong client"
    then = usage_cases.list_usage(world.services, "north", known_at=cut).unwrap()
    assert [(e.record.seq, e.status) for e in then.entries] == [
        (seq, "corrected"),
        (other.seq, "in force"),
        (fixed.record.seq, "in force"),
    ]
    september = usage_cases.list_usage(
        world.services, "north", first=date(2025, 9, 11), last=date(2025, 9, 30)
    ).unwrap()
    assert [e.record.seq for e in september.entries] == [other.seq]


def test_a_correction_after_the_invoice_becomes_an_adjustment_on_the_next_one(
    world: World,
) -> None:
    seq = record_three_dossiers(world)
    world.on(date(2025, 11, 1))
    october = billing.bill_run(world.services, CATALOG, Period(2025, 10), org="north").unwrap()
    issued = october.outcomes[0].invoice
    assert issued is not None
    assert [(line.quantity, line.amount) for line in issued.lines_of(LineKind.USAGE)] == [
        (3, Decimal("15.00"))
    ]
    world.on(date(2025, 11, 3))
    usage_cases.correct_usage(
        world.services, seq, quantity=1, reason="duplicates", actor="ops"
    ).unwrap()
    world.on(date(2025, 12, 1))
    november = billing.bill_run(world.services, CATALOG, Period(2025, 11), org="north").unwrap()
    assert november.outcomes[0].outcome is Outcome.ISSUED
    invoice = november.outcomes[0].invoice
    assert invoice is not None
    adjustments = invoice.lines_of(LineKind.ADJUSTMENT)
    assert [(a.refers_to, a.amount) for a in adjustments] == [(issued.id, Decimal("-10.00"))]
    assert billing.verify_invoice(world.services, issued.id).unwrap().ok


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s, seq: usage_cases.correct_usage(s, 99, quantity=1, reason="x", actor="ops"),
         "unknown-usage-record"),
        (lambda s, seq: usage_cases.correct_usage(s, seq, quantity=1, reason=" ", actor="ops"),
         "reason-required"),
        (lambda s, seq: usage_cases.correct_usage(s, seq, quantity=0, reason="x", actor="ops"),
         "invalid-quantity"),
        (lambda s, seq: usage_cases.correct_usage(s, seq, quantity=3, reason="x", actor="ops"),
         "usage-not-correctable"),
        (lambda s, seq: usage_cases.correct_usage(
            s, seq, quantity=2, on=date(2025, 10, 7), reason="x", actor="ops"),
         "future-date"),
        (lambda s, seq: usage_cases.retract_usage(s, seq, reason="", actor="ops"),
         "reason-required"),
        (lambda s, seq: usage_cases.retract_usage(s, 99, reason="x", actor="ops"),
         "unknown-usage-record"),
    ],
)  # fmt: skip
def test_a_bad_usage_change_is_refused_and_changes_nothing(
    world: World, change: object, code: str
) -> None:
    seq = record_three_dossiers(world)
    world.on(date(2025, 10, 6))
    before = world.state()
    refused(world, change(world.services, seq), code)  # type: ignore[operator]
    assert world.state() == before


def test_a_retracted_record_cannot_be_retracted_or_corrected_again(world: World) -> None:
    seq = record_three_dossiers(world)
    world.on(date(2025, 10, 6))
    usage_cases.retract_usage(world.services, seq, reason="never happened", actor="ops").unwrap()
    before = world.state()
    again = usage_cases.retract_usage(world.services, seq, reason="again", actor="ops")
    assert "already retracted" in refused(world, again, "usage-not-correctable")
    fix = usage_cases.correct_usage(world.services, seq, quantity=1, reason="x", actor="ops")
    assert "already retracted" in refused(world, fix, "usage-not-correctable")
    assert world.state() == before
    assert world.usage_now() == []


def test_usage_changes_are_audited_and_authorised_like_usage_records(world: World) -> None:
    seq = record_three_dossiers(world)
    world.on(date(2025, 10, 6))
    operators.add_operator(world.services, "olga", actor="olga").unwrap()
    before = world.state()
    stranger = usage_cases.retract_usage(world.services, seq, reason="x", actor="mallory")
    refused(world, stranger, "not-authorised")
    assert world.state() == before
    usage_cases.retract_usage(world.services, seq, reason="wrong client", actor="olga").unwrap()
    last = world.uow.ledger.audit(AuditFilter(org=NORTH))[-1]
    assert (last.action, last.actor, last.subject) == (
        Action.USAGE_RETRACT,
        "olga",
        f"usage #{seq}",
    )
    assert "wrong client" in last.summary


# --- add-ons ------------------------------------------------------------------------------


def test_an_addon_removed_from_a_date_is_not_held_from_that_date_on(world: World) -> None:
    world.on(date(2025, 10, 5))
    cut = world.uow.ledger.head().last_recorded_at
    fact = seats.remove_addon(
        world.services, "s1", "library", actor="ops", on=date(2025, 9, 20), reason="cancelled"
    ).unwrap()
    assert (fact.kind, fact.addons) == (FactKind.ADDON_REMOVED, frozenset({"library"}))
    assert world.addons_on(date(2025, 9, 19)) == [frozenset({"library"})]
    assert world.addons_on(date(2025, 9, 20)) == [frozenset()]
    assert world.addons_on(date(2025, 9, 30)) == [frozenset()]
    assert world.addons_on(date(2025, 9, 30), known_at=cut) == [frozenset({"library"})]
    # The seat itself is unchanged: one seat, activated on 1 September.
    rows = questions.seats_on(world.services, "north", date(2025, 9, 30)).unwrap().rows
    assert [(r.seat, r.activated_on, r.billed_from) for r in rows] == [
        ("s1", date(2025, 9, 1), date(2025, 9, 20))
    ]
    within = questions.seats_within(
        world.services, "north", date(2025, 9, 1), date(2025, 9, 30), RangeMode.THROUGHOUT
    ).unwrap()
    assert [(r.seat, r.addons) for r in within.rows] == [
        ("s1", frozenset({"library"})),
        ("s1", frozenset()),
    ]
    assert questions.count_on(world.services, "north", date(2025, 9, 30)).unwrap() == 1


def test_the_september_invoice_bills_no_library_once_it_was_removed_before_the_count(
    world: World,
) -> None:
    world.on(date(2025, 9, 25))
    seats.remove_addon(
        world.services, "s1", "library", actor="ops", on=date(2025, 9, 20), reason="cancelled"
    ).unwrap()
    world.on(date(2025, 10, 1))
    report = billing.bill_run(world.services, CATALOG, Period(2025, 9), org="north").unwrap()
    invoice = report.outcomes[0].invoice
    assert invoice is not None
    assert invoice.lines_of(LineKind.ADDON) == []


def test_an_addon_added_later_and_kept_by_a_reactivation(world: World) -> None:
    world.on(date(2025, 9, 10))
    seats.add_addon(world.services, "s1", "forms", actor="ops", catalog=WITH_FORMS).unwrap()
    world.on(date(2025, 9, 12))
    seats.deactivate(world.services, "s1", actor="ops").unwrap()
    world.on(date(2025, 9, 14))
    seats.reactivate(world.services, "s1", actor="ops").unwrap()
    assert world.addons_on(date(2025, 9, 9)) == [frozenset({"library"})]
    assert world.addons_on(date(2025, 9, 14)) == [frozenset({"library", "forms"})]


def test_an_addon_fact_can_be_corrected_to_another_date(world: World) -> None:
    world.on(date(2025, 10, 5))
    fact = seats.remove_addon(
        world.services, "s1", "library", actor="ops", on=date(2025, 9, 20), reason="cancelled"
    ).unwrap()
    seats.correct(
        world.services, "s1", fact.seq, on=date(2025, 9, 10), actor="ops", reason="earlier"
    ).unwrap()
    assert world.addons_on(date(2025, 9, 15)) == [frozenset()]
    assert world.addons_on(date(2025, 9, 5)) == [frozenset({"library"})]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s: seats.remove_addon(s, "s1", "forms", actor="ops"), "addon-not-held"),
        (
            lambda s: seats.add_addon(s, "s1", "library", actor="ops", catalog=CATALOG),
            "addon-already-held",
        ),
        (lambda s: seats.remove_addon(s, "s1", "library", actor="ops", on=date(2025, 10, 9)),
         "future-date"),
        (lambda s: seats.remove_addon(s, "s1", "library", actor="ops", on=date(2025, 9, 9)),
         "backdated-without-reason"),
        (lambda s: seats.remove_addon(
            s, "s1", "library", actor="ops", on=date(2025, 8, 9), reason="x"),
         "seat-not-active"),
        (lambda s: seats.remove_addon(s, "nobody", "library", actor="ops"), "unknown-seat"),
        (lambda s: seats.remove_addon(s, "s1", "bad name!", actor="ops"), "invalid-identifier"),
    ],
)  # fmt: skip
def test_a_bad_addon_change_is_refused_and_changes_nothing(
    world: World, change: object, code: str
) -> None:
    world.on(date(2025, 10, 8))
    before = world.state()
    refused(world, change(world.services), code)  # type: ignore[operator]
    assert world.state() == before


def test_an_earlier_removal_that_would_break_a_later_one_is_a_history_conflict(
    world: World,
) -> None:
    world.on(date(2025, 10, 5))
    seats.remove_addon(
        world.services, "s1", "library", actor="ops", on=date(2025, 9, 20), reason="cancelled"
    ).unwrap()
    before = world.state()
    earlier = seats.remove_addon(
        world.services, "s1", "library", actor="ops", on=date(2025, 9, 10), reason="earlier"
    )
    refused(world, earlier, "history-conflict")
    assert world.state() == before


# --- organisations ---------------------------------------------------------------------------


def test_org_set_changes_the_name_and_the_billing_relationship_and_audits_both(
    world: World,
) -> None:
    world.on(date(2025, 10, 5))
    changed = organisations.set_organisation(
        world.services, "north", name="North Clinics", billing_relationship=False, actor="ops"
    ).unwrap()
    assert (changed.name, changed.billing_relationship) == ("North Clinics", False)
    assert organisations.get_organisation(world.services, "north").unwrap() == changed
    entry = world.uow.ledger.audit(AuditFilter(org=NORTH))[-1]
    assert entry.action is Action.ORG_SET
    assert "'North Clinic' -> 'North Clinics'" in entry.summary
    assert "with -> without a billing relationship" in entry.summary


def test_a_zone_change_applies_from_its_date_and_org_today_follows_it(world: World) -> None:
    world.on(date(2025, 10, 5))
    changed = organisations.set_organisation(
        world.services, "north", timezone="Pacific/Kiritimati",
        timezone_from=date(2025, 11, 1), actor="ops",
    ).unwrap()  # fmt: skip
    assert [(c.on, c.timezone) for c in changed.zone_changes] == [
        (date(2025, 11, 1), "Pacific/Kiritimati")
    ]
    assert changed.zone_on(date(2025, 10, 31)) == "Europe/Amsterdam"
    assert changed.zone_on(date(2025, 11, 1)) == "Pacific/Kiritimati"
    # 31 October, 11:00 UTC: 12:00 in Amsterdam, already 1 November in Kiritimati (UTC+14).
    late_october = FixedClock(datetime(2025, 10, 31, 11, 0, tzinfo=UTC))
    assert changed.today(late_october.today) == date(2025, 10, 31)
    # 31 October, 23:30 UTC: 1 November has begun in both zones: Kiritimati's date rules.
    november = FixedClock(datetime(2025, 10, 31, 23, 30, tzinfo=UTC))
    assert changed.today(november.today) == date(2025, 11, 1)
    assert changed.today(FixedClock(datetime(2025, 11, 1, 11, 0, tzinfo=UTC)).today) == date(
        2025, 11, 2
    )


def test_a_change_to_a_zone_behind_makes_the_change_day_longer_never_going_back() -> None:
    org = Organisation(
        NORTH, "North", "Pacific/Kiritimati",
        zone_changes=(ZoneChange(date(2025, 11, 1), "America/Juneau", datetime.now(UTC), "ops"),),
    )  # fmt: skip
    instants = [datetime(2025, 10, 31, h, 0, tzinfo=UTC) for h in range(0, 24, 2)] + [
        datetime(2025, 11, 1, h, 0, tzinfo=UTC) for h in range(0, 24, 2)
    ]
    days = [org.today(FixedClock(at).today) for at in instants]
    assert days == sorted(days)
    assert set(days) == {date(2025, 10, 31), date(2025, 11, 1)}
    # From 31 October 10:00 UTC (1 November in Kiritimati) until 1 November 09:00 UTC
    # (1 November begins in Juneau), the day is 1 November.
    assert org.today(FixedClock(datetime(2025, 10, 31, 12, 0, tzinfo=UTC)).today) == date(
        2025, 11, 1
    )


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"timezone": "Mars/Olympus"}, "invalid-timezone"),
        ({"timezone": "Asia/Tokyo", "timezone_from": date(2025, 10, 4)}, "invalid-zone-change"),
        ({"timezone_from": date(2025, 10, 9)}, "invalid-zone-change"),
        ({"name": "North Clinic"}, "nothing-to-change"),
        ({"timezone": "Europe/Amsterdam"}, "nothing-to-change"),
        ({"name": ""}, "invalid-text"),
        ({}, "nothing-to-change"),
    ],
)
def test_a_bad_org_set_is_refused_and_changes_nothing(
    world: World, settings: dict[str, object], code: str
) -> None:
    world.on(date(2025, 10, 5))
    before = world.state()
    result = organisations.set_organisation(world.services, "north", actor="ops", **settings)  # type: ignore[arg-type]
    refused(world, result, code)
    assert world.state() == before


def test_a_second_zone_change_must_come_after_the_first(world: World) -> None:
    world.on(date(2025, 10, 5))
    organisations.set_organisation(
        world.services, "north", timezone="Asia/Tokyo", timezone_from=date(2025, 12, 1),
        actor="ops",
    ).unwrap()  # fmt: skip
    before = world.state()
    earlier = organisations.set_organisation(
        world.services, "north", timezone="America/Chicago", timezone_from=date(2025, 11, 1),
        actor="ops",
    )  # fmt: skip
    assert "Asia/Tokyo from 2025-12-01" in refused(world, earlier, "invalid-zone-change")
    assert world.state() == before


def test_only_an_operator_may_set_an_organisation_in_a_closed_ledger(world: World) -> None:
    operators.add_operator(world.services, "olga", actor="olga").unwrap()
    before = world.state()
    result = organisations.set_organisation(world.services, "north", name="X", actor="ada")
    refused(world, result, "not-authorised")
    assert world.state() == before


def test_an_addon_the_catalog_does_not_sell_cannot_be_added_to_a_seat(world: World) -> None:
    refused = seats.add_addon(world.services, "s1", "libary", actor="ops", catalog=CATALOG)
    assert isinstance(refused, Failure)
    assert refused.failure().code == "unknown-addon"
    assert "library" in refused.failure().message
