"""Reference-date rules: on which calendar date the seats of a period are counted.

Each rule is a small named policy with one question, ``reference_date(period)``.
Rules are pure functions of the period, so a day-of-month rule clamped in a
short month comes back in the next (Jan 31 -> Feb 28 -> Mar 31).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Protocol

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.dates import Period
from seatledger.domain.errors import InvalidReferenceRule, InvalidYearStart


class ReferenceDateRule(Protocol):
    """A rule that names the count date of every monthly period."""

    @property
    def name(self) -> str: ...

    def reference_date(self, period: Period) -> date: ...


def _days_in(period: Period) -> int:
    return calendar.monthrange(period.year, period.month)[1]


@frozen
class MonthEnd:
    """Count on the last day of the month (the portfolio-billing seed)."""

    @property
    def name(self) -> str:
        return "month-end"

    def reference_date(self, period: Period) -> date:
        return date(period.year, period.month, _days_in(period))


@frozen
class MonthStart:
    """Count on the first day of the month (the overage-contract seed)."""

    @property
    def name(self) -> str:
        return "month-start"

    def reference_date(self, period: Period) -> date:
        return date(period.year, period.month, 1)


@frozen
class DayOfMonth:
    """Count on day N, or on the month's last day where the month is shorter."""

    day: int

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.day <= 31:
            raise ValueError(f"day of month must be 1..31, not {self.day}")

    @property
    def name(self) -> str:
        return f"day:{self.day}"

    def reference_date(self, period: Period) -> date:
        return date(period.year, period.month, min(self.day, _days_in(period)))


_DAY_RULE = re.compile(r"^day:(\d{1,2})$", re.ASCII)


@lru_cache(maxsize=256)
def parse_reference_rule(text: str) -> Result[ReferenceDateRule, InvalidReferenceRule]:
    """``month-end``, ``month-start`` or ``day:N`` (1 <= N <= 31)."""
    cleaned = text.strip().lower()
    if cleaned == "month-end":
        return Success(MonthEnd())
    if cleaned == "month-start":
        return Success(MonthStart())
    match = _DAY_RULE.match(cleaned)
    if match is None:
        return Failure(InvalidReferenceRule(text))
    day = int(match.group(1))
    if not 1 <= day <= 31:
        return Failure(InvalidReferenceRule(text, problem=f"day {day} is not between 1 and 31"))
    return Success(DayOfMonth(day))


@frozen
class YearStart:
    """The month and day a (training) year starts, e.g. 1 September.

    A year start of 29 February is clamped to 28 February in common years.
    """

    month: int
    day: int

    @staticmethod
    def parse(text: str) -> Result[YearStart, InvalidYearStart]:
        match = re.match(r"^(\d{2})-(\d{2})$", text.strip(), re.ASCII)
        if match is None:
            return Failure(InvalidYearStart(text))
        month, day = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2024, month)[1]:
            return Failure(InvalidYearStart(text))
        return Success(YearStart(month, day))

    def in_year(self, year: int) -> date:
        last = calendar.monthrange(year, self.month)[1]
        return date(year, self.month, min(self.day, last))

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


@frozen
class AnnualCount:
    """Annual customers are counted once, ``days_before`` days before their year starts.

    The default, one day before, follows the portfolio-billing seed: "the
    number of active portfolios will be determined prior to the start of the
    training year".
    """

    year_start: YearStart
    days_before: int = 1

    @property
    def name(self) -> str:
        return f"annual:{self.year_start}-{self.days_before}d"

    def year_starting(self, year: int) -> date:
        return self.year_start.in_year(year)

    def count_date(self, year: int) -> date:
        """The count date for the year that starts in calendar year ``year``."""
        return self.year_starting(year) - timedelta(days=self.days_before)

    def starts_in(self, period: Period) -> bool:
        """True if a contract year starts in this month (when it is invoiced)."""
        return self.year_start.month == period.month


def next_reference_date(rule: ReferenceDateRule, on_or_after: date) -> date:
    """The first reference date of ``rule`` on or after a date."""
    period = Period.containing(on_or_after)
    candidate = rule.reference_date(period)
    if candidate < on_or_after:
        candidate = rule.reference_date(period.next())
    return candidate
