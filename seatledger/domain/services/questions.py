"""The questions a billing administrator asks: who is billed, on a date or over a range."""

from __future__ import annotations

from datetime import date, datetime

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.dates import check_range, require_aware
from seatledger.domain.errors import LedgerError
from seatledger.domain.identifiers import OrgId
from seatledger.domain.queries import RangeMode, SeatRow, distinct_seats
from seatledger.domain.services.access import may_read
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation


@frozen
class SeatsAnswer:
    """An answer with what was asked: the organisation, the date or range, and the cut.

    ``as_known_at`` is the instant the answer stands for (its cut): the
    one asked about, or, for "what we know now" and for an instant after
    the last recorded fact, the instant of that fact (the ledger's head).
    Asked again with its cut, at any later time, the answer is the same.
    ``asked_known_at`` is the instant the caller gave (None: now).
    """

    org: OrgId
    on: date | None
    first: date | None
    last: date | None
    mode: RangeMode | None
    as_known_at: datetime | None
    rows: tuple[SeatRow, ...]
    asked_known_at: datetime | None = None

    @property
    def count(self) -> int:
        return distinct_seats(self.rows)

    @property
    def cut_at_head(self) -> bool:
        """True if the answer stands for the ledger's head, not for an instant asked about."""
        return self.asked_known_at is None or self.asked_known_at != self.as_known_at


def answer_cut(asked: datetime | None, head: datetime | None) -> datetime | None:
    """The instant an answer can stand for: ``asked``, but never later than the head.

    Facts recorded later are stamped after the head, but may be stamped
    before an instant asked about that lies beyond it (a simulated day, or
    a clock within its skew, records one microsecond after the head). So an
    answer "as known at" such an instant could change; the same rows, as
    known at the head, never do (INV-2).
    """
    if asked is None or head is None or asked > head:
        return head
    return asked


def _bound(cut: datetime | None, head: datetime | None) -> datetime | None:
    """What to ask the store: None for the head, which is "everything recorded" in this
    transaction and lets a store use its current-state fast path."""
    return None if cut == head else cut


def seats_on(
    services: Services,
    org: str,
    on: date,
    known_at: datetime | None = None,
    *,
    reader: str | None = None,
) -> Result[SeatsAnswer, LedgerError]:
    """The seats ``org`` pays for on ``on``, as known at ``known_at`` (default: now).

    An instant after the ledger's head is answered as known at the head
    (``answer_cut``), and the answer says so (``cut_at_head``).
    """
    if known_at is not None:
        aware = require_aware(known_at)
        if isinstance(aware, Failure):
            return Failure(aware.failure())
        known_at = aware.unwrap()
    with services.uow.transaction(write=False) as ledger:
        allowed = may_read(ledger, reader, "the seats", OrgId(org))
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        head = ledger.head().last_recorded_at
        cut = answer_cut(known_at, head)
        rows = ledger.billable_on(found.unwrap().id, on, _bound(cut, head))
        return Success(
            SeatsAnswer(found.unwrap().id, on, None, None, None, cut, tuple(rows), known_at)
        )


def seats_within(
    services: Services,
    org: str,
    first: date,
    last: date,
    mode: RangeMode = RangeMode.OVERLAPPING,
    known_at: datetime | None = None,
    *,
    reader: str | None = None,
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
        allowed = may_read(ledger, reader, "the seats", OrgId(org))
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        head = ledger.head().last_recorded_at
        cut = answer_cut(known_at, head)
        rows = ledger.active_within(found.unwrap().id, first, last, mode, _bound(cut, head))
        return Success(
            SeatsAnswer(found.unwrap().id, None, first, last, mode, cut, tuple(rows), known_at)
        )


def count_on(
    services: Services,
    org: str,
    on: date,
    known_at: datetime | None = None,
    *,
    reader: str | None = None,
) -> Result[int, LedgerError]:
    """How many seats ``org`` pays for on ``on``, without listing them."""
    if known_at is not None:
        aware = require_aware(known_at)
        if isinstance(aware, Failure):
            return Failure(aware.failure())
        known_at = aware.unwrap()
    with services.uow.transaction(write=False) as ledger:
        allowed = may_read(ledger, reader, "the seats", OrgId(org))
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        head = ledger.head().last_recorded_at
        cut = answer_cut(known_at, head)
        return Success(ledger.count_billable(found.unwrap().id, on, _bound(cut, head)))
