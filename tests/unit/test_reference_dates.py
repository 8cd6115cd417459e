"""Reference-date rules: the calendar date on which a period's seats are counted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from seatledger.domain.dates import Period, business_date
from seatledger.domain.reference_dates import (
    AnnualCount,
    DayOfMonth,
    MonthEnd,
    MonthStart,
    YearStart,
    next_reference_date,
    parse_reference_rule,
)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (Period(2025, 9), date(2025, 9, 30)),
        (Period(2025, 10), date(2025, 10, 31)),
        (Period(2024, 2), date(2024, 2, 29)),
        (Period(2025, 2), date(2025, 2, 28)),
        (Period(2100, 2), date(2100, 2, 28)),  # divisible by 100, not by 400: common year
        (Period(2000, 2), date(2000, 2, 29)),
    ],
)
def test_month_end_is_the_last_calendar_day(period: Period, expected: date) -> None:
    assert MonthEnd().reference_date(period) == expected


def test_month_start_is_the_first() -> None:
    assert MonthStart().reference_date(Period(2025, 9)) == date(2025, 9, 1)


def test_day_31_is_clamped_in_short_months_and_restored_afterwards() -> None:
    rule = DayOfMonth(31)
    assert [rule.reference_date(Period(2025, m)) for m in (1, 2, 3, 4)] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    ]
    assert rule.reference_date(Period(2024, 2)) == date(2024, 2, 29)


def test_day_30_falls_on_the_last_day_of_february() -> None:
    assert DayOfMonth(30).reference_date(Period(2025, 2)) == date(2025, 2, 28)
    assert DayOfMonth(30).reference_date(Period(2024, 2)) == date(2024, 2, 29)
    assert DayOfMonth(30).reference_date(Period(2025, 3)) == date(2025, 3, 30)


@pytest.mark.parametrize(
    ("text", "name"),
    [("month-end", "month-end"), (" Month-Start ", "month-start"), ("day:15", "day:15")],
)
def test_rules_parse_from_their_names(text: str, name: str) -> None:
    assert parse_reference_rule(text).unwrap().name == name


@pytest.mark.parametrize("text", ["day:0", "day:32", "weekly", "day:", "day:-1", "day:３"])
def test_rules_that_do_not_exist_are_refused_naming_the_text(text: str) -> None:
    error = parse_reference_rule(text).failure()
    assert error.code == "invalid-reference-rule"
    assert repr(text) in error.message


def test_day_0_says_which_days_are_allowed() -> None:
    assert "day 0 is not between 1 and 31" in parse_reference_rule("day:0").failure().message


def test_a_day_of_month_rule_cannot_be_built_with_day_32() -> None:
    with pytest.raises(ValueError, match="32"):
        DayOfMonth(32)


def test_an_annual_contract_starting_on_1_september_counts_on_31_august() -> None:
    annual = AnnualCount(YearStart.parse("09-01").unwrap())
    assert annual.count_date(2025) == date(2025, 8, 31)
    assert annual.starts_in(Period(2025, 9))
    assert not annual.starts_in(Period(2025, 8))


def test_a_year_starting_on_1_january_counts_on_new_years_eve_of_the_year_before() -> None:
    annual = AnnualCount(YearStart.parse("01-01").unwrap())
    assert annual.count_date(2026) == date(2025, 12, 31)


def test_a_year_start_of_29_february_is_clamped_to_the_28th_in_common_years() -> None:
    annual = AnnualCount(YearStart.parse("02-29").unwrap())
    assert annual.year_starting(2024) == date(2024, 2, 29)
    assert annual.year_starting(2025) == date(2025, 2, 28)
    assert annual.count_date(2025) == date(2025, 2, 27)
    assert annual.count_date(2024) == date(2024, 2, 28)


def test_an_annual_count_can_be_configured_a_week_before_the_year_start() -> None:
    annual = AnnualCount(YearStart(9, 1), days_before=7)
    assert annual.count_date(2025) == date(2025, 8, 25)


@pytest.mark.parametrize("text", ["9-1", "13-01", "02-30", "09/01", "", "００-01"])
def test_year_starts_that_are_not_mm_dd_are_refused(text: str) -> None:
    error = YearStart.parse(text).failure()
    assert error.code == "invalid-year-start"
    assert repr(text) in error.message


def test_next_reference_date_is_today_when_today_is_one() -> None:
    assert next_reference_date(MonthEnd(), date(2025, 9, 30)) == date(2025, 9, 30)


def test_next_reference_date_after_the_first_of_the_month_is_the_next_first() -> None:
    assert next_reference_date(MonthStart(), date(2025, 9, 2)) == date(2025, 10, 1)
    assert next_reference_date(MonthStart(), date(2025, 12, 2)) == date(2026, 1, 1)


def test_next_reference_date_of_day_31_after_31_january_is_28_february() -> None:
    assert next_reference_date(DayOfMonth(31), date(2025, 2, 1)) == date(2025, 2, 28)


def test_the_same_instant_is_before_the_reference_date_in_one_zone_and_on_it_in_another() -> None:
    # 30 September 2025, 12:00 UTC: still the 30th in Juneau, already 1 October in Kiritimati.
    instant = datetime(2025, 9, 30, 12, 0, tzinfo=UTC)
    reference = MonthEnd().reference_date(Period(2025, 9))
    juneau = business_date(instant, ZoneInfo("America/Juneau"))
    kiritimati = business_date(instant, ZoneInfo("Pacific/Kiritimati"))
    assert juneau == reference
    assert kiritimati > reference
    # A deactivation at that instant is on the reference date in Juneau (so not counted
    # for September), but after it in Kiritimati (so September is still billed).
    assert not (juneau > reference)
    assert kiritimati > reference
