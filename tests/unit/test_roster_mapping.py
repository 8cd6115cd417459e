"""The roster-to-seats mapping, as pure functions (docs/rosters.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from returns.result import Failure

from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.rosters import (
    ChangeAction,
    IntentState,
    LedgerSeat,
    Roster,
    RosterEnrollment,
    RosterFormat,
    RosterMode,
    RosterOrg,
    RosterPolicy,
    RowStatus,
    SeatChange,
    end_day,
    intended_seats,
    parse_billable_roles,
    plan_changes,
    seat_for,
    threshold_breaches,
)
from seatledger.domain.seat import FactKind, SeatKind

TODAY = date(2025, 10, 15)
ORGS = {
    "north": RosterOrg("north", "North", "district", None, "orgs.csv", 2),
    "alpha": RosterOrg("alpha", "Alpha", "school", "north", "orgs.csv", 3),
    "beta": RosterOrg("beta", "Beta", "school", "north", "orgs.csv", 4),
}


def row(line: int, user: str, school: str = "alpha", **kw: object) -> RosterEnrollment:
    kw.setdefault("role", "student")
    kw.setdefault("status", RowStatus.ACTIVE)
    return RosterEnrollment("enrollments.csv", line, user, school, **kw)  # type: ignore[arg-type]


def intents(
    *rows: RosterEnrollment, policy: RosterPolicy | None = None, fmt=RosterFormat.ONEROSTER
):
    roster = Roster(fmt, RosterMode.BULK, tuple(rows), orgs=ORGS, orgs_bulk=True)
    return intended_seats(
        roster, policy or RosterPolicy(), zone_of=lambda _: "Europe/Amsterdam",
        today_of=lambda _: TODAY,
    )  # fmt: skip


def test_one_seat_per_user_per_school_from_the_earliest_begin_to_the_day_after_the_last_end():
    found = intents(
        row(2, "ann", begin=date(2025, 9, 3), end=date(2025, 9, 30)),
        row(3, "ann", begin=date(2025, 9, 1), end=date(2025, 10, 4)),
        row(4, "ann", "beta", begin=date(2025, 9, 1)),
    )
    ann = found.seats[SeatId("ann.alpha")]
    assert (ann.state, ann.start, ann.end) == (
        IntentState.CLOSED,
        date(2025, 9, 1),
        date(2025, 10, 5),
    )
    assert found.seats[SeatId("ann.beta")].state is IntentState.OPEN
    assert found.scope == {OrgId("alpha"), OrgId("beta")}


def test_an_end_date_after_today_leaves_the_seat_open_for_now():
    found = intents(row(2, "ann", begin=date(2025, 9, 1), end=date(2026, 6, 30)))
    assert found.seats[SeatId("ann.alpha")].state is IntentState.OPEN


def test_the_district_pays_when_asked_and_a_school_without_one_is_refused():
    orphan = RosterOrg("gamma", "Gamma", "school", None, "orgs.csv", 5)
    roster = Roster(
        RosterFormat.ONEROSTER, RosterMode.BULK,
        (row(2, "ann"), row(3, "bob", "beta"), row(4, "cy", "gamma")),
        orgs={**ORGS, "gamma": orphan}, orgs_bulk=True,
    )  # fmt: skip
    found = intended_seats(
        roster, RosterPolicy(pay_level="district"), zone_of=lambda _: "UTC",
        today_of=lambda _: TODAY,
    )  # fmt: skip
    assert set(found.seats) == {"ann.north", "bob.north"}
    assert [(p.line, p.reason) for p in found.problems] == [
        (4, "no organisation of type 'district' at or above 'gamma'")
    ]


def test_roles_are_billable_by_policy_and_a_regular_role_makes_a_regular_seat():
    policy = RosterPolicy(billable=parse_billable_roles("student,teacher:regular").unwrap())
    found = intents(row(2, "ann"), row(3, "ann", role="teacher"), row(4, "bob", role="aide"),
                    policy=policy)  # fmt: skip
    assert found.seats[SeatId("ann.alpha")].kind is SeatKind.REGULAR
    assert [p.reason for p in found.ignored] == ["role 'aide' is not billable"]
    assert isinstance(parse_billable_roles(" , "), Failure)
    assert isinstance(parse_billable_roles("teacher:boss"), Failure)


def test_canvas_completed_completes_and_inactive_bills_unless_the_policy_says_otherwise():
    completed = intents(row(2, "ann", None, status=RowStatus.COMPLETED),
                        policy=RosterPolicy(org=OrgId("alpha")))  # fmt: skip
    ann = completed.seats[SeatId("ann.alpha")]
    assert (ann.state, ann.end, ann.ended_by) == (IntentState.ENDED, TODAY, FactKind.COMPLETED)
    inactive = intents(row(2, "ann", None, status=RowStatus.INACTIVE),
                       policy=RosterPolicy(org=OrgId("alpha")))  # fmt: skip
    assert inactive.seats[SeatId("ann.alpha")].state is IntentState.OPEN
    not_billed = intents(row(2, "ann", None, status=RowStatus.INACTIVE),
                         policy=RosterPolicy(org=OrgId("alpha"), bill_inactive=False))  # fmt: skip
    assert not_billed.seats[SeatId("ann.alpha")].state is IntentState.ENDED


def test_canvas_end_instants_end_on_their_day_only_at_midnight():
    midnight = datetime(2025, 10, 9, 22, 0, tzinfo=UTC)  # 10 October, 00:00 in Amsterdam
    assert end_day(midnight, "Europe/Amsterdam") == date(2025, 10, 10)
    assert end_day(datetime(2025, 10, 10, 13, 0, tzinfo=UTC), "Europe/Amsterdam") == date(
        2025, 10, 11
    )
    assert end_day(date(2025, 10, 10), "Europe/Amsterdam") == date(2025, 10, 11)


def test_long_identifiers_make_a_stable_digest_seat():
    long_user, long_org = "1" * 36, "2" * 36
    assert seat_for(long_user, long_org) == seat_for(long_user, long_org)
    assert seat_for(long_user, long_org).startswith("roster-")
    assert seat_for("ann", "alpha") == "ann.alpha"


def test_history_is_never_rewritten_and_a_reopened_seat_starts_today_if_its_begin_is_old():
    found = intents(row(2, "ann", begin=date(2025, 9, 1)), row(3, "bob", begin=date(2025, 9, 1)),
                    row(4, "cy", begin=date(2025, 10, 12)))  # fmt: skip
    closed = (date(2025, 9, 1), date(2025, 10, 1))
    ledger = {
        SeatId("ann.alpha"): LedgerSeat(SeatId("ann.alpha"), date(2025, 9, 5), None, None),
        SeatId("bob.alpha"): LedgerSeat(SeatId("bob.alpha"), *closed, None),
        SeatId("cy.alpha"): LedgerSeat(SeatId("cy.alpha"), *closed, None),
    }
    plan = plan_changes(
        found.seats, ledger, missing=[(OrgId("alpha"), SeatId("dan.alpha"), "Dan")],
        today_of=lambda _: TODAY, source="night.zip",
    )  # fmt: skip
    assert [u.seat for u in plan.unchanged] == ["ann.alpha"]
    assert [(c.seat, c.action, c.on) for c in plan.changes] == [
        ("bob.alpha", ChangeAction.REACTIVATE, TODAY),
        ("cy.alpha", ChangeAction.REACTIVATE, date(2025, 10, 12)),
        ("dan.alpha", ChangeAction.DEACTIVATE, TODAY),
    ]


def test_the_threshold_counts_an_organisations_closings_against_its_active_seats():
    def closing(seat: str) -> SeatChange:
        return SeatChange(
            ChangeAction.DEACTIVATE,
            SeatId(seat),
            OrgId("alpha"),
            "",
            SeatKind.STUDENT,
            TODAY,
            None,
            "",
        )

    changes = [closing("a"), closing("b")]
    assert threshold_breaches(changes, {OrgId("alpha"): 20}, 10) == ()
    breach = threshold_breaches(changes, {OrgId("alpha"): 19}, 10)
    assert [(b.org, b.deactivating, b.seats) for b in breach] == [("alpha", 2, 19)]
