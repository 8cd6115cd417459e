"""The reminder policy: the seed's two monthly moments, a licence limit and a trial's end.

The rule under test: a reminder before a date is due on the day exactly N
days before it, and on the date itself; the month-start review on the 1st.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period
from seatledger.domain.deadlines import next_count_date
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.notifications import Message, MessageKind
from seatledger.domain.organisation import Organisation
from seatledger.domain.reference_dates import YearStart
from seatledger.domain.reminders import OrganisationView, ReminderPolicy
from seatledger.domain.transfers import RequestStatus, TransferRequest

NORTH = Organisation(OrgId("north"), "North Clinic")
POLICY = ReminderPolicy()


def contract(
    reference: str = "month-end",
    *,
    cadence: Cadence = Cadence.MONTHLY,
    plan: str | None = "standard",
    **kw: object,
) -> Contract:
    return Contract(
        org=OrgId("north"),
        plan=plan,
        cadence=cadence,
        reference=reference,
        effective_from=Period(2024, 1),
        vat_percent=Decimal("21"),
        **kw,  # type: ignore[arg-type]
    )


def pending(
    n: int = 42,
    *,
    sender: str = "north",
    on: date = date(2025, 10, 20),
    expires_on: date | None = None,
) -> TransferRequest:
    return TransferRequest(
        id=f"TR-{n}",
        seat=SeatId(f"p-{n}"),
        sender=OrgId(sender),
        receiver=OrgId("south"),
        requested_on=on,
        requested_at=datetime.combine(on, datetime.min.time(), tzinfo=UTC),
        requested_by="nora",
        expires_on=expires_on,
        status=RequestStatus.PENDING,
    )


def view(
    today: date,
    *,
    seats: int = 5,
    terms: Contract | None = None,
    requests: Sequence[TransferRequest] = (pending(),),
) -> OrganisationView:
    return OrganisationView.of(
        NORTH,
        today,
        active_seats=seats,
        contract=terms if terms is not None else contract(),
        outgoing_pending=requests,
    )


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def due_days(
    kind: MessageKind,
    first: date,
    last: date,
    policy: ReminderPolicy = POLICY,
    **kw: object,
) -> list[date]:
    """The days in [first, last] on which a reminder of this kind is due."""
    return [
        day
        for day in days(first, last)
        if any(m.kind is kind for m in policy.due(day, view(day, **kw)))  # type: ignore[arg-type]
    ]


def one(messages: list[Message], kind: MessageKind) -> Message:
    (found,) = [m for m in messages if m.kind is kind]
    return found


# --- moment 1: the start of the month -----------------------------------------------------------


def test_on_the_first_of_the_month_an_organisation_is_asked_to_review_its_seats() -> None:
    messages = POLICY.due(date(2025, 10, 1), view(date(2025, 10, 1), seats=17))
    msg = one(messages, MessageKind.REVIEW_SEATS)
    assert msg.id == "review-seats:north:2025-10-01"
    assert msg.org == "north"
    assert "17 seat(s) are active" in msg.body
    assert "2025-10-31" in msg.body
    assert "transfer their billing" in msg.body
    assert "deactivate or complete" in msg.body
    assert msg.data == {"date": "2025-10-01", "active_seats": 17, "reference_date": "2025-10-31"}


def test_the_review_is_only_on_the_first_and_only_with_seats() -> None:
    assert due_days(MessageKind.REVIEW_SEATS, date(2025, 9, 15), date(2025, 11, 15)) == [
        date(2025, 10, 1),
        date(2025, 11, 1),
    ]
    assert due_days(MessageKind.REVIEW_SEATS, date(2025, 10, 1), date(2025, 10, 1), seats=0) == []


# --- moment 2: before the reference date ----------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        (Period(2025, 2), [date(2025, 2, 25), date(2025, 2, 28)]),  # 28 days
        (Period(2024, 2), [date(2024, 2, 26), date(2024, 2, 29)]),  # 29 days
        (Period(2025, 4), [date(2025, 4, 27), date(2025, 4, 30)]),  # 30 days
        (Period(2025, 10), [date(2025, 10, 28), date(2025, 10, 31)]),  # 31 days
    ],
)
def test_pending_transfers_three_days_before_month_end_and_on_it(
    month: Period, expected: list[date]
) -> None:
    requests = (pending(on=month.first_day),)
    found = due_days(
        MessageKind.PENDING_TRANSFERS, month.first_day, month.last_day, requests=requests
    )
    assert found == expected


@pytest.mark.parametrize(
    ("reference", "first", "last", "expected"),
    [
        ("day:15", date(2025, 10, 1), date(2025, 10, 31), [date(2025, 10, 12), date(2025, 10, 15)]),
        # day:31 is clamped to 28 February, and comes back on 31 March
        ("day:31", date(2025, 2, 1), date(2025, 3, 31), [
            date(2025, 2, 25), date(2025, 2, 28), date(2025, 3, 28), date(2025, 3, 31),
        ]),
        # a month-start count: the reminder falls in the previous month
        ("month-start", date(2025, 10, 2), date(2025, 11, 1), [
            date(2025, 10, 29), date(2025, 11, 1),
        ]),
    ],
)  # fmt: skip
def test_pending_transfers_follow_the_contracts_reference_rule(
    reference: str, first: date, last: date, expected: list[date]
) -> None:
    requests = (pending(on=first),)
    found = due_days(
        MessageKind.PENDING_TRANSFERS, first, last, terms=contract(reference), requests=requests
    )
    assert found == expected


def test_an_annual_contract_is_reminded_before_its_count_date() -> None:
    annual = contract(cadence=Cadence.ANNUAL, year_start=YearStart(9, 1))
    assert next_count_date(annual, date(2025, 8, 1)) == date(2025, 8, 31)
    assert next_count_date(annual, date(2025, 9, 1)) == date(2026, 8, 31)
    requests = (pending(on=date(2025, 8, 1)),)
    found = due_days(
        MessageKind.PENDING_TRANSFERS,
        date(2025, 8, 1),
        date(2025, 9, 30),
        terms=annual,
        requests=requests,
    )
    assert found == [date(2025, 8, 28), date(2025, 8, 31)]


def test_without_a_contract_seats_are_counted_at_month_end() -> None:
    assert next_count_date(None, date(2025, 2, 3)) == date(2025, 2, 28)


def test_the_pending_message_lists_each_request_and_what_the_sender_can_do() -> None:
    today = date(2025, 10, 28)
    requests = (pending(42), pending(43, expires_on=date(2025, 11, 5)))
    msg = one(POLICY.due(today, view(today, requests=requests)), MessageKind.PENDING_TRANSFERS)
    assert msg.id == "pending-transfers:north:2025-10-28"
    assert msg.org == "north"
    assert "TR-42: seat p-42 to south" in msg.body
    assert "TR-43: seat p-43 to south" in msg.body
    assert "expires after 2025-11-05" in msg.body
    assert "2025-10-31, in 3 day(s)" in msg.body
    assert "still be billed to you for this period" in msg.body
    for action in ("withdraw", "chase", "deactivate the seat"):
        assert action in msg.body
    assert msg.data["days_left"] == 3
    assert msg.data["reference_date"] == "2025-10-31"
    requests_data: Any = json.loads(json.dumps(msg.payload()))["data"]["requests"]
    assert [r["request"] for r in requests_data] == ["TR-42", "TR-43"]


def test_on_the_reference_date_itself_the_message_says_it_is_the_last_day() -> None:
    today = date(2025, 10, 31)
    msg = one(POLICY.due(today, view(today)), MessageKind.PENDING_TRANSFERS)
    assert msg.id == "pending-transfers:north:2025-10-31"
    assert "today" in msg.body
    assert "last day" in msg.body
    assert msg.data["days_left"] == 0


def test_no_pending_message_without_pending_outgoing_requests() -> None:
    today = date(2025, 10, 28)
    assert POLICY.due(today, view(today, requests=())) == []
    others = (
        pending(1, sender="south"),  # not sent by north
        pending(2, expires_on=date(2025, 10, 27)),  # expired yesterday
    )
    assert POLICY.due(today, view(today, requests=others)) == []


def test_a_request_expiring_on_the_day_is_still_pending_that_day() -> None:
    today = date(2025, 10, 28)
    requests = (pending(2, expires_on=today),)
    assert [m.kind for m in POLICY.due(today, view(today, requests=requests))] == [
        MessageKind.PENDING_TRANSFERS
    ]


def test_the_number_of_days_is_the_policys() -> None:
    policy = ReminderPolicy(days_before_reference=7)
    found = due_days(
        MessageKind.PENDING_TRANSFERS, date(2025, 10, 1), date(2025, 10, 31), policy=policy
    )
    assert found == [date(2025, 10, 24), date(2025, 10, 31)]
    same_day = ReminderPolicy(days_before_reference=0)
    found = due_days(
        MessageKind.PENDING_TRANSFERS, date(2025, 10, 1), date(2025, 10, 31), policy=same_day
    )
    assert found == [date(2025, 10, 31)]


@pytest.mark.parametrize("days_before", [-1, 28])
def test_a_reminder_cannot_fall_outside_the_month_before_its_date(days_before: int) -> None:
    with pytest.raises(ValueError, match="days"):
        ReminderPolicy(days_before_reference=days_before)
    with pytest.raises(ValueError, match="days"):
        ReminderPolicy(trial_warning_days=-1)


# --- nothing twice --------------------------------------------------------------------------------


def test_running_twice_on_a_day_gives_the_same_messages() -> None:
    for today in (date(2025, 10, 1), date(2025, 10, 28), date(2025, 10, 31)):
        first = POLICY.due(today, view(today, terms=contract(licensed=5)))
        again = POLICY.due(today, view(today, terms=contract(licensed=5)))
        assert first
        assert first == again
        assert [m.id for m in first] == [m.id for m in again]


def test_a_month_of_daily_runs_gives_each_reminder_once() -> None:
    terms = contract(licensed=3, trial_until=date(2025, 10, 20))
    ids = [
        m.id
        for day in days(date(2025, 10, 1), date(2025, 10, 31))
        for m in POLICY.due(day, view(day, terms=terms))
    ]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == [
        "licence-limit:north:2025-10-28",
        "licence-limit:north:2025-10-31",
        "pending-transfers:north:2025-10-28",
        "pending-transfers:north:2025-10-31",
        "review-seats:north:2025-10-01",
        "trial-ending:north:2025-10-13",
        "trial-ending:north:2025-10-20",
    ]


def test_a_message_is_stamped_at_the_start_of_the_day_in_the_organisations_zone() -> None:
    msg = one(POLICY.due(date(2025, 10, 1), view(date(2025, 10, 1))), MessageKind.REVIEW_SEATS)
    assert msg.created_at == datetime(2025, 9, 30, 22, 0, tzinfo=UTC)  # Amsterdam, summer time


# --- the licensed count ---------------------------------------------------------------------------


def test_licence_limit_at_exactly_the_licensed_count() -> None:
    today = date(2025, 10, 28)
    terms = contract(licensed=400, overage_price=Decimal("12.50"))
    msg = one(
        POLICY.due(today, view(today, seats=400, terms=terms, requests=())),
        MessageKind.LICENCE_LIMIT,
    )
    assert msg.id == "licence-limit:north:2025-10-28"
    assert "exactly the 400 licensed" in msg.body
    assert "EUR 12.50 each" in msg.body
    assert msg.data["over"] == 0
    assert msg.data["licensed"] == 400
    assert POLICY.due(today, view(today, seats=399, terms=terms, requests=())) == []


def test_licence_limit_above_the_count_names_the_overage() -> None:
    today = date(2025, 10, 31)
    terms = contract(licensed=400, overage_price=Decimal("12.50"))
    msg = one(
        POLICY.due(today, view(today, seats=403, terms=terms, requests=())),
        MessageKind.LICENCE_LIMIT,
    )
    assert "3 more than the 400 licensed" in msg.body
    assert "EUR 37.50" in msg.body
    assert msg.subject == "3 seat(s) over your licensed 400"
    assert msg.data["over"] == 3
    assert msg.data["overage_price"] == "12.50"


def test_no_licence_limit_without_a_licensed_count_or_off_schedule() -> None:
    today = date(2025, 10, 28)
    assert POLICY.due(today, view(today, seats=10_000, requests=())) == []
    terms = contract(licensed=1)
    assert POLICY.due(date(2025, 10, 27), view(date(2025, 10, 27), seats=5, terms=terms)) == []


# --- the end of a trial ----------------------------------------------------------------------


def test_trial_ending_a_week_before_and_on_its_last_day() -> None:
    terms = contract(plan=None, trial_until=date(2025, 10, 20))
    found = due_days(
        MessageKind.TRIAL_ENDING, date(2025, 10, 1), date(2025, 11, 30), terms=terms, requests=()
    )
    assert found == [date(2025, 10, 13), date(2025, 10, 20)]
    msg = one(
        POLICY.due(date(2025, 10, 13), view(date(2025, 10, 13), terms=terms)),
        MessageKind.TRIAL_ENDING,
    )
    assert msg.id == "trial-ending:north:2025-10-13"
    assert msg.subject == "Your trial ends in 7 day(s), on 2025-10-20"
    assert "From 2025-10-21, North Clinic will have no active subscription" in msg.body
    assert msg.data == {
        "date": "2025-10-13",
        "trial_until": "2025-10-20",
        "days_left": 7,
        "plan": None,
    }


def test_a_trial_with_a_plan_says_invoicing_starts() -> None:
    terms = contract(plan="standard", trial_until=date(2025, 10, 20))
    msg = one(
        POLICY.due(date(2025, 10, 20), view(date(2025, 10, 20), terms=terms)),
        MessageKind.TRIAL_ENDING,
    )
    assert msg.subject == "Your trial ends today"
    assert "invoiced on plan standard (monthly)" in msg.body


def test_the_trial_warning_window_is_the_policys() -> None:
    terms = contract(plan=None, trial_until=date(2025, 10, 20))
    policy = ReminderPolicy(trial_warning_days=14)
    found = due_days(
        MessageKind.TRIAL_ENDING,
        date(2025, 10, 1),
        date(2025, 10, 31),
        policy=policy,
        terms=terms,
    )
    assert found == [date(2025, 10, 6), date(2025, 10, 20)]
