"""Calendar dates, instants and periods, and the one place they are parsed.

Business dates are ``datetime.date`` in an organisation's IANA time zone.
Instants are timezone-aware ``datetime`` values; a naive datetime is refused
because it names no single moment. Strings are parsed strictly: only ISO
``YYYY-MM-DD`` is a date, so ``9/1/2017`` (September or January?) is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import (
    InvalidDate,
    InvalidInstant,
    InvalidPeriod,
    InvalidTimezone,
    NaiveInstant,
    RangeReversed,
)

# ASCII: without it \d also matches other scripts' digits (e.g. "２０２５").
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")

ONE_DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)


def parse_date(text: str) -> Result[date, InvalidDate]:
    """Parse an ISO calendar date ``YYYY-MM-DD``; anything else is refused."""
    stripped = text.strip()
    match = _ISO_DATE.match(stripped)
    if match is None:
        return Failure(InvalidDate(text))
    year, month, day = (int(part) for part in match.groups())
    try:
        return Success(date(year, month, day))
    except ValueError as exc:
        return Failure(InvalidDate(text, problem=f"no such day ({exc})"))


def parse_instant(text: str) -> Result[datetime, InvalidInstant | NaiveInstant]:
    """Parse an ISO 8601 instant with a time zone offset (``Z`` allowed), as UTC."""
    stripped = text.strip()
    if "T" not in stripped and " " not in stripped:
        return Failure(InvalidInstant(text))
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        return Failure(InvalidInstant(text))
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return Failure(NaiveInstant(text))
    try:
        return Success(parsed.astimezone(UTC))
    except OverflowError:  # 9999-12-31T23:00-05:00 or 0001-01-01T00:00+05:00: outside years 1-9999
        return Failure(InvalidInstant(text))


def require_aware(instant: datetime) -> Result[datetime, NaiveInstant]:
    """Refuse a naive datetime handed in by a caller; normalise to UTC."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        return Failure(NaiveInstant(instant.isoformat()))
    return Success(instant.astimezone(UTC))


def zone(name: str) -> Result[ZoneInfo, InvalidTimezone]:
    """The IANA time zone of that name."""
    if not _ZONE_NAME.match(name):
        return Failure(InvalidTimezone(name))
    try:
        return Success(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return Failure(InvalidTimezone(name))


def business_date(instant: datetime, timezone: ZoneInfo) -> date:
    """The calendar date an instant falls on in a time zone."""
    return instant.astimezone(timezone).date()


def check_range(start: date, end: date) -> Result[tuple[date, date], RangeReversed]:
    """A date range [start, end], both days included; refused if start is after end."""
    if start > end:
        return Failure(RangeReversed(start, end))
    return Success((start, end))


def iso_instant(instant: datetime) -> str:
    """An instant as ISO 8601 in UTC with a ``Z`` suffix and microseconds."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@frozen(order=True)
class Period:
    """A calendar month, the unit billing runs are named by (``YYYY-MM``)."""

    year: int
    month: int

    @staticmethod
    def parse(text: str) -> Result[Period, InvalidPeriod]:
        match = _PERIOD.match(text.strip())
        if match is None:
            return Failure(InvalidPeriod(text))
        year, month = int(match.group(1)), int(match.group(2))
        if not (1 <= month <= 12) or year < 1:
            return Failure(InvalidPeriod(text))
        return Success(Period(year, month))

    @staticmethod
    def containing(day: date) -> Period:
        return Period(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - ONE_DAY

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(
            self.year - (1 if self.month == 1 else 0), 12 if self.month == 1 else self.month - 1
        )

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
