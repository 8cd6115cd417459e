"""Recorded instants: assigned by the system, never by the caller, always moving forward."""

from __future__ import annotations

from datetime import datetime

from returns.result import Failure, Result, Success

from seatledger.domain.dates import MICROSECOND
from seatledger.domain.errors import ClockWentBackwards
from seatledger.domain.ports import Clock, LedgerHead


def assign_recorded_at(clock: Clock, head: LedgerHead) -> Result[datetime, ClockWentBackwards]:
    """The instant a new command is recorded at: strictly after the last one.

    All facts of one command share this instant. If the clock stands before
    the last recorded fact but may still stand for a later instant (a
    simulated day not yet over, or a real clock within its skew tolerance),
    the command is recorded one microsecond after the last fact; otherwise
    the clock has gone backwards and the command is refused.
    """
    now = clock.now()
    last = head.last_recorded_at
    if last is None or now > last:
        return Success(now)
    if last < clock.latest():
        return Success(last + MICROSECOND)
    return Failure(ClockWentBackwards(now, last))
