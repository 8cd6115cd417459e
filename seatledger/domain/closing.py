"""The closing rule: when a count date is over, so that its invoices can be issued.

A transfer takes effect on the day it is approved in the receiving
organisation's time zone, and approvals are never backdated. While the
count date D has not ended everywhere, an approval dated D can still be
recorded, and an invoice issued before it would count the seat for the
sender while the receiver's invoice, issued after it, counts it again. So
an invoice counted on D is issued only once D has ended in every time zone:
from D + 1 at 12:00 UTC, when it ends at UTC-12, the last place on Earth.
After that, no fact that changes the payer on D can be recorded, and every
organisation's invoice for D sees the same ownership.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from attrs import frozen

from seatledger.domain.ports import Clock

# UTC-12 (the POSIX sign is inverted): the time zone where every date ends last.
LAST_TIME_ZONE = "Etc/GMT+12"


@frozen
class ClosingRule:
    """A count date is closed once it has ended in every time zone."""

    def closed(self, day: date, clock: Clock) -> bool:
        """True if ``day`` has ended everywhere by the clock's reckoning."""
        return clock.today(LAST_TIME_ZONE) > day

    def closes_at(self, day: date) -> datetime:
        """The instant ``day`` ends at UTC-12: the day after, at 12:00 UTC."""
        return datetime.combine(day + timedelta(days=1), time(12, 0), tzinfo=UTC)
