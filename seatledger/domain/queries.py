"""The questions: which seats an organisation pays for on a date or over a range.

These pure functions define the answers. Adapters may answer faster (a SQL
query over stored spans), and the differential property tests prove they
answer exactly as these do.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from attrs import frozen

from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.seat import SeatKind
from seatledger.domain.timeline import BillingSpan


class RangeMode(enum.Enum):
    """``overlapping``: billed on at least one day of the range; ``throughout``: on every day."""

    OVERLAPPING = "overlapping"
    THROUGHOUT = "throughout"


@frozen
class SeatRow:
    """One seat in an answer: a billing span with the dates a client asks about.

    ``billed_from``/``billed_until`` bound the span in which ``paying_org``
    pays (``billed_until`` excluded); ``activated_on``/``deactivated_on`` are
    the seat's own dates, ``deactivated_on`` also when it lies after the
    date asked about.
    """

    seat: SeatId
    holder: str
    kind: SeatKind
    activated_on: date
    deactivated_on: date | None
    paying_org: OrgId
    billed_from: date
    billed_until: date | None
    addons: frozenset[str]

    @staticmethod
    def of(span: BillingSpan) -> SeatRow:
        return SeatRow(
            seat=span.seat,
            holder=span.holder,
            kind=span.seat_kind,
            activated_on=span.activated_on,
            deactivated_on=span.deactivated_on,
            paying_org=span.org,
            billed_from=span.start,
            billed_until=span.end,
            addons=span.addons,
        )


def row_order(row: SeatRow) -> tuple[str, date]:
    """Answers list seats by id, then by date."""
    return (row.seat, row.billed_from)


def billable_on(spans: Iterable[BillingSpan], org: OrgId, on: date) -> list[SeatRow]:
    """The seats ``org`` pays for on ``on``: active that day and billed to ``org``.

    A seat counts iff ``activated_on <= on < deactivated_on`` (or it is still
    open), and it is billed to ``org`` on that date (INV-1, INV-3).
    """
    rows = [SeatRow.of(s) for s in spans if s.org == org and s.covers(on)]
    rows.sort(key=row_order)
    return rows


def active_within(
    spans: Iterable[BillingSpan], org: OrgId, first: date, last: date, mode: RangeMode
) -> list[SeatRow]:
    """The seats billed to ``org`` on any day (or every day) of ``[first, last]``.

    Each row is one span that touches the range; a seat deactivated and
    reactivated within the range has one row per span. In ``throughout``
    mode a seat is listed only if its spans for ``org`` leave no day of the
    range uncovered.
    """
    touching = [s for s in spans if s.org == org and s.overlaps(first, last)]
    if mode is RangeMode.THROUGHOUT:
        by_seat: dict[SeatId, list[BillingSpan]] = defaultdict(list)
        for span in touching:
            by_seat[span.seat].append(span)
        touching = [
            span
            for seat_spans in by_seat.values()
            if covers_every_day(seat_spans, first, last)
            for span in seat_spans
        ]
    rows = [SeatRow.of(s) for s in touching]
    rows.sort(key=row_order)
    return rows


def covers_every_day(spans: Iterable[BillingSpan], first: date, last: date) -> bool:
    """True if the spans together cover each day of ``[first, last]``."""
    needed = first
    for span in sorted(spans, key=lambda s: s.start):
        if span.start > needed:
            return False
        if span.end is None:
            return True
        if span.end > needed:
            needed = span.end
        if needed > last:
            return True
    return needed > last


def distinct_seats(rows: Iterable[SeatRow]) -> int:
    return len({row.seat for row in rows})
