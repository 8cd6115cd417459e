"""Reference-date rules hold for every period and every rule."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from seatledger.domain.dates import Period
from seatledger.domain.reference_dates import (
    AnnualCount,
    DayOfMonth,
    MonthEnd,
    MonthStart,
    ReferenceDateRule,
    YearStart,
    next_reference_date,
    parse_reference_rule,
)

periods = st.builds(Period, st.integers(1900, 2400), st.integers(1, 12))
rules: st.SearchStrategy[ReferenceDateRule] = st.one_of(
    st.just(MonthEnd()), st.just(MonthStart()), st.builds(DayOfMonth, st.integers(1, 31))
)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 11, 30))


@settings(max_examples=500)
@given(period=periods, rule=rules)
def test_the_reference_date_lies_in_its_period(period: Period, rule: ReferenceDateRule) -> None:
    reference = rule.reference_date(period)
    assert period.first_day <= reference <= period.last_day
    assert Period.containing(reference) == period


@settings(max_examples=500)
@given(period=periods, day=st.integers(1, 31))
def test_day_n_is_n_or_the_last_day_of_a_shorter_month(period: Period, day: int) -> None:
    expected = min(day, calendar.monthrange(period.year, period.month)[1])
    assert DayOfMonth(day).reference_date(period).day == expected


@settings(max_examples=500)
@given(period=periods)
def test_the_day_after_month_end_is_the_first_of_the_next_month(period: Period) -> None:
    after = MonthEnd().reference_date(period) + timedelta(days=1)
    assert after == MonthStart().reference_date(period.next())
    assert after.day == 1


@settings(max_examples=500)
@given(rule=rules, day=days)
def test_next_reference_date_is_the_first_reference_date_on_or_after_the_date(
    rule: ReferenceDateRule, day: date
) -> None:
    found = next_reference_date(rule, day)
    assert found >= day
    assert rule.reference_date(Period.containing(found)) == found
    # No reference date lies between the date and the one found.
    between = {
        rule.reference_date(Period.containing(day)),
        rule.reference_date(Period.containing(day).next()),
    }
    assert all(not (day <= other < found) for other in between)


@settings(max_examples=300)
@given(rule=rules)
def test_a_rule_parses_back_from_its_own_name(rule: ReferenceDateRule) -> None:
    assert parse_reference_rule(rule.name).unwrap() == rule


@settings(max_examples=300)
@given(
    month=st.integers(1, 12),
    day=st.integers(1, 31),
    year=st.integers(1901, 2400),
    before=st.integers(1, 60),
)
def test_an_annual_count_falls_before_the_year_start_in_the_year_before_or_the_same(
    month: int, day: int, year: int, before: int
) -> None:
    text = f"{month:02d}-{day:02d}"
    parsed = YearStart.parse(text)
    if day > calendar.monthrange(2024, month)[1]:
        assert parsed.failure().code == "invalid-year-start"
        return
    annual = AnnualCount(parsed.unwrap(), days_before=before)
    start = annual.year_starting(year)
    assert start.month == month
    assert start.day == min(day, calendar.monthrange(year, month)[1])
    assert annual.count_date(year) == start - timedelta(days=before)
    assert annual.count_date(year) < start
