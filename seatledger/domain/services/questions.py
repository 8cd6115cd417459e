"""The questions a billing administrator asks: who is billed, on a date or over a range."""

from __future__ import annotations

from datetime import date, datetime

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.dates import check_range, require_aware
from seatledger.domain.errors import LedgerError
from seatledger.domain.identifiers import OrgId
from seatledger.domain.queries import RangeMode, SeatRow, distinct_seats
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation


@frozen
class SeatsAnswer:
    """An answer with what was asked: the organisation, the date or range, and the cut.

    ``as_known_at`` is the instant the answer stands for: the one asked
    about, or, for "what we know now", the instant of the last recorded
    fact, so that the same answer can be asked for again later.
    """

    org: OrgId
    on: date | None
    first: date | None
    last: date | None
    mode: RangeMode | None
    as_known_at: datetime | None
    rows: tuple[SeatRow, ...]

    @property
    def count(self) -> int:
        return distinct_seats(self.rows)


def seats_on(
    services: Services, org: str, on: date, known_at: datetime | None = None
) -> Result[SeatsAnswer, LedgerError]:
    """The seats ``org`` pays for on ``on``, as known at ``known_at`` (default: now)."""
    if known_at is not None:
        aware = require_aware(known_at)
        if isinstance(aware, Failure):
            return Failure(aware.failure())
        known_at = aware.unwrap()
    with services.uow.transaction(write=False) as ledger:
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        cut = known_at if known_at is not None else ledger.head().last_recorded_at
        rows = ledger.billable_on(found.unwrap().id, on, known_at)
        return Success(SeatsAnswer(found.unwrap().id, on, None, None, None, cut, tuple(rows)))


def seats_within(
    services: Services,
    org: str,
    first: date,
    last: date,
    mode: RangeMode = RangeMode.OVERLAPPING,
    known_at: datetime | None = None,
) -> Result[SeatsAnswer, LedgerError]:
    """The seats billed to ``org`` on any day (or every day) of ``[first, last]``."""
    checked = check_range(first, last)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    if known_at is not None:
        aware = require_aware(known_at)
        if isinstance(aware, Failure):
            return Failure(aware.failure())
        known_at = aware.unwrap()
    with services.uow.transaction(write=False) as ledger:
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        cut = known_at if known_at is not None else ledger.head().last_recorded_at
        rows = ledger.active_within(found.unwrap().id, first, last, mode, known_at)
        return Success(SeatsAnswer(found.unwrap().id, None, first, last, mode, cut, tuple(rows)))


def count_on(
    services: Services, org: str, on: date, known_at: datetime | None = None
) -> Result[int, LedgerError]:
    """How many seats ``org`` pays for on ``on``, without listing them."""
    if known_at is not None:
        aware = require_aware(known_at)
        if isinstance(aware, Failure):
            return Failure(aware.failure())
        known_at = aware.unwrap()
    with services.uow.transaction(write=False) as ledger:
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        return Success(ledger.count_billable(found.unwrap().id, on, known_at))
