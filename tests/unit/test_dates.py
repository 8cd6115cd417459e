"""Dates, instants, time zones and periods: parsed strictly, converted once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from returns.result import Failure, Success

from seatledger.domain.dates import (
    Period,
    business_date,
    check_range,
    iso_instant,
    parse_date,
    parse_instant,
    require_aware,
    zone,
)
from seatledger.domain.errors import InvalidDate, InvalidInstant, InvalidPeriod, NaiveInstant


def test_an_iso_date_like_2025_09_01_is_accepted() -> None:
    assert parse_date("2025-09-01") == Success(date(2025, 9, 1))


def test_29_february_2024_exists_because_2024_is_a_leap_year() -> None:
    assert parse_date("2024-02-29") == Success(date(2024, 2, 29))


@pytest.mark.parametrize(
    "text",
    ["9/1/2017", "2025-02-30", "2025-2-3", "", "2023-02-29", "01-09-2025", "2025-13-01"],
)
def test_ambiguous_or_impossible_date_strings_are_refused_naming_the_text(text: str) -> None:
    result = parse_date(text)
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, InvalidDate)
    assert error.code == "invalid-date"
    assert repr(text) in error.message


def test_an_impossible_day_says_there_is_no_such_day() -> None:
    error = parse_date("2023-02-29").failure()
    assert "no such day" in error.message


def test_digits_of_other_scripts_are_not_an_iso_date() -> None:
    assert isinstance(parse_date("２０２５-09-01"), Failure)


def test_an_instant_without_a_time_zone_is_refused_as_naive() -> None:
    error = parse_instant("2025-09-01T12:00:00").failure()
    assert isinstance(error, NaiveInstant)
    assert error.code == "naive-instant"
    assert "'2025-09-01T12:00:00'" in error.message


@pytest.mark.parametrize("text", ["yesterday", "2025-09-01", "2025-09-01Tnoon+02:00", ""])
def test_garbage_instants_are_refused(text: str) -> None:
    error = parse_instant(text).failure()
    assert isinstance(error, InvalidInstant)
    assert error.code == "invalid-instant"
    assert repr(text) in error.message


def test_a_z_suffix_means_utc() -> None:
    assert parse_instant("2025-09-01T12:00:00Z") == Success(datetime(2025, 9, 1, 12, 0, tzinfo=UTC))


def test_an_offset_of_plus_two_hours_is_normalised_to_utc() -> None:
    parsed = parse_instant("2025-09-01T14:00:00+02:00").unwrap()
    assert parsed == datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
    assert parsed.tzinfo is UTC


def test_require_aware_refuses_a_naive_datetime_and_normalises_an_aware_one() -> None:
    assert isinstance(require_aware(datetime(2025, 9, 1, 12)).failure(), NaiveInstant)
    cet = datetime(2025, 9, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    assert require_aware(cet).unwrap().tzinfo is UTC


def test_iso_instant_writes_utc_with_z_and_microseconds() -> None:
    cet = datetime(2025, 9, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    assert iso_instant(cet) == "2025-09-01T12:00:00.000000Z"


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "zone_name", "expected"),
    [
        # Kiritimati is UTC+14: 10:00 UTC on 31 August is already 1 September there.
        (_utc(2025, 8, 31, 10, 0), "Pacific/Kiritimati", date(2025, 9, 1)),
        (_utc(2025, 8, 31, 9, 59), "Pacific/Kiritimati", date(2025, 8, 31)),
        # Juneau is UTC-8 in summer: 07:59 UTC on 1 September is still 31 August.
        (_utc(2025, 9, 1, 7, 59), "America/Juneau", date(2025, 8, 31)),
        (_utc(2025, 9, 1, 8, 0), "America/Juneau", date(2025, 9, 1)),
        # Amsterdam is UTC+2 in summer, UTC+1 in winter.
        (_utc(2025, 8, 31, 22, 0), "Europe/Amsterdam", date(2025, 9, 1)),
        (_utc(2025, 11, 30, 22, 0), "Europe/Amsterdam", date(2025, 11, 30)),
        (_utc(2025, 11, 30, 23, 0), "Europe/Amsterdam", date(2025, 12, 1)),
        # Lord Howe moves by half an hour: UTC+11 in summer, UTC+10:30 in winter.
        (_utc(2025, 1, 31, 13, 0), "Australia/Lord_Howe", date(2025, 2, 1)),
        (_utc(2025, 6, 30, 13, 29), "Australia/Lord_Howe", date(2025, 6, 30)),
        (_utc(2025, 6, 30, 13, 30), "Australia/Lord_Howe", date(2025, 7, 1)),
    ],
)
def test_business_date_is_the_calendar_date_in_the_zone(
    instant: datetime, zone_name: str, expected: date
) -> None:
    assert business_date(instant, ZoneInfo(zone_name)) == expected


def test_business_date_across_the_amsterdam_spring_forward_night() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    # 30 March 2025: clocks jump from 02:00 to 03:00 (00:59 UTC is 01:59, 01:00 UTC is 03:00).
    assert business_date(_utc(2025, 3, 29, 22, 59), amsterdam) == date(2025, 3, 29)
    assert business_date(_utc(2025, 3, 29, 23, 0), amsterdam) == date(2025, 3, 30)
    assert business_date(_utc(2025, 3, 30, 21, 59), amsterdam) == date(2025, 3, 30)
    assert business_date(_utc(2025, 3, 30, 22, 0), amsterdam) == date(2025, 3, 31)


def test_business_date_across_the_juneau_fall_back_night() -> None:
    juneau = ZoneInfo("America/Juneau")
    # 2 November 2025: UTC-8 before, UTC-9 after; midnight of 3 November is 09:00 UTC.
    assert business_date(_utc(2025, 11, 3, 8, 59), juneau) == date(2025, 11, 2)
    assert business_date(_utc(2025, 11, 3, 9, 0), juneau) == date(2025, 11, 3)


def test_an_unknown_zone_or_a_path_is_not_a_time_zone() -> None:
    for name in ["Mars/Olympus_Mons", "../etc/passwd", ""]:
        error = zone(name).failure()
        assert error.code == "invalid-timezone"
        assert repr(name) in error.message
    assert zone("Pacific/Kiritimati").unwrap() == ZoneInfo("Pacific/Kiritimati")


def test_a_range_from_the_30th_to_the_1st_is_reversed() -> None:
    error = check_range(date(2025, 9, 30), date(2025, 9, 1)).failure()
    assert error.code == "range-reversed"
    assert "2025-09-30" in error.message
    assert check_range(date(2025, 9, 1), date(2025, 9, 1)) == Success(
        (date(2025, 9, 1), date(2025, 9, 1))
    )


def test_period_2025_09_runs_from_the_1st_to_the_30th() -> None:
    period = Period.parse("2025-09").unwrap()
    assert (period.first_day, period.last_day) == (date(2025, 9, 1), date(2025, 9, 30))
    assert str(period) == "2025-09"


def test_period_february_2024_ends_on_the_29th_and_2025_on_the_28th() -> None:
    assert Period(2024, 2).last_day == date(2024, 2, 29)
    assert Period(2025, 2).last_day == date(2025, 2, 28)


def test_december_is_followed_by_january_of_the_next_year_and_back() -> None:
    assert Period(2025, 12).next() == Period(2026, 1)
    assert Period(2026, 1).previous() == Period(2025, 12)
    assert Period(2025, 11).next() == Period(2025, 12)
    assert Period.containing(date(2025, 12, 31)) == Period(2025, 12)


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025-9", "Sept 2025", "0000-01"])
def test_a_period_that_is_not_yyyy_mm_is_refused(text: str) -> None:
    error = Period.parse(text).failure()
    assert isinstance(error, InvalidPeriod)
    assert error.code == "invalid-period"
    assert repr(text) in error.message
