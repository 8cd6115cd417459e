"""The audit trail: who did what, when, allowed by which role.

One entry is appended, in the same transaction, for every change a command
makes: a seat fact, a transfer step, a contract version, a usage record, an
issued invoice, a new organisation, admin or operator, an unlock, reminders
enqueued, a delivery run. Entries are never changed or deleted (the SQL
store's triggers refuse it). ``seq`` orders them as they were written.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from attrs import frozen

from seatledger.domain.authorisation import Action, Role
from seatledger.domain.identifiers import OrgId, SeatId

SUMMARY_LENGTH = 500


@frozen
class AuditEntry:
    """One change: ``org`` is the organisation whose authority was used (the sender of a
    request, the receiver of an approval); ``other_org`` the other side of a transfer.

    ``subject`` names what changed (``fact #12``, ``TR-42``, an invoice id, ``version 3``).
    """

    recorded_at: datetime
    actor: str
    role: Role
    action: Action
    org: OrgId | None = None
    other_org: OrgId | None = None
    seat: SeatId | None = None
    subject: str | None = None
    summary: str = ""
    seq: int = 0

    def concerns(self, org: OrgId) -> bool:
        return org in (self.org, self.other_org)


@frozen
class AuditFilter:
    """Which entries to list: of an organisation (either side), of a seat, recorded within
    ``[since, until)`` (None: unbounded)."""

    org: OrgId | None = None
    seat: SeatId | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, entry: AuditEntry) -> bool:
        return (
            (self.org is None or entry.concerns(self.org))
            and (self.seat is None or entry.seat == self.seat)
            and (self.since is None or entry.recorded_at >= self.since)
            and (self.until is None or entry.recorded_at < self.until)
        )


def day_bounds(
    first: date | None, last: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """The instants ``[since, until)`` of the calendar days ``first`` to ``last`` (both
    included) in an IANA zone."""
    zone = ZoneInfo(timezone)
    since = datetime.combine(first, time(), zone) if first is not None else None
    until = None
    if last is not None and last < date.max:
        until = datetime.combine(last + timedelta(days=1), time(), zone)
    return since, until


def summary(text: str) -> str:
    """A summary fits the store's text column."""
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"
