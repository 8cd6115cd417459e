"""Clocks: the system clock, and a simulated day for back-fills, demos and tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from seatledger.domain.dates import MICROSECOND, ONE_DAY


class SystemClock:
    """The real time, in UTC.

    ``latest`` allows two seconds of skew, so a writer whose clock runs a
    little behind another's still records after it instead of failing.
    """

    SKEW = timedelta(seconds=2)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def latest(self) -> datetime:
        return self.now() + self.SKEW

    def today(self, timezone: str) -> date:
        return self.now().astimezone(ZoneInfo(timezone)).date()


class SimulatedDay:
    """A clock that stands for one whole day (``--today``).

    Effective dates default to that day in every time zone, and facts are
    recorded from 00:00 UTC of that day on, in order, until the day is over.
    """

    def __init__(self, day: date) -> None:
        self.day = day

    def now(self) -> datetime:
        return datetime.combine(self.day, time(0, 0), tzinfo=UTC)

    def latest(self) -> datetime:
        return datetime.combine(self.day + ONE_DAY, time(0, 0), tzinfo=UTC) - MICROSECOND

    def today(self, timezone: str) -> date:
        return self.day


class FixedClock:
    """A clock stopped at one instant that a test moves by hand.

    With ``step``, each reading moves it on by that much, like a clock that
    ticks between commands. With ``skew``, ``latest`` allows that much
    difference from other writers' clocks, as ``SystemClock`` does (for
    several processes, each with its own clock, writing one ledger).
    """

    def __init__(
        self, instant: datetime, step: timedelta = timedelta(0), skew: timedelta = timedelta(0)
    ) -> None:
        if instant.tzinfo is None:
            raise ValueError("a FixedClock needs a timezone-aware instant")
        self.instant = instant.astimezone(UTC)
        self.step = step
        self.skew = skew

    def now(self) -> datetime:
        reading = self.instant
        self.instant += self.step
        return reading

    def latest(self) -> datetime:
        return self.instant + self.skew

    def today(self, timezone: str) -> date:
        return self.instant.astimezone(ZoneInfo(timezone)).date()

    def advance(self, by: timedelta) -> None:
        self.instant += by

    def set(self, instant: datetime) -> None:
        self.instant = instant.astimezone(UTC)
