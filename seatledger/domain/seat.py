"""Seats and the facts of their history.

A seat's history is a list of facts, appended and never changed. Each fact
has an effective date (when it is true in the world), a recorded instant and
a sequence number (when seatledger learned it, assigned by the system), the
actor, and an optional reason. A correction is a new fact that ``supersedes``
an older one; the older one stays in the history.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import InvalidSeatKind
from seatledger.domain.identifiers import OrgId, SeatId


class SeatKind(enum.Enum):
    REGULAR = "regular"
    STUDENT = "student"

    @staticmethod
    def parse(text: str) -> Result[SeatKind, InvalidSeatKind]:
        try:
            return Success(SeatKind(text.strip().lower()))
        except ValueError:
            return Failure(InvalidSeatKind(text))


class FactKind(enum.Enum):
    """What a fact says happened to a seat."""

    ACTIVATED = "activated"  # first activation: opens the seat, sets its first payer
    DEACTIVATED = "deactivated"  # closes the active interval (temporary stop)
    COMPLETED = "completed"  # closes the active interval (training finished)
    REACTIVATED = "reactivated"  # opens a new active interval
    OWNER_CHANGED = "owner-changed"  # the paying organisation changes from this date on
    RETRACTED = "retracted"  # withdraws the fact it supersedes, replacing it with nothing
    # The transfer workflow: these are history, and only an approval or a
    # take-over changes who pays.
    TRANSFER_REQUESTED = "transfer-requested"
    TRANSFER_APPROVED = "transfer-approved"
    TRANSFER_REJECTED = "transfer-rejected"
    TRANSFER_WITHDRAWN = "transfer-withdrawn"
    TRANSFER_EXPIRED = "transfer-expired"
    TAKEN_OVER = "taken-over"
    # Add-ons change from a date on, within the active interval the date lies in.
    ADDON_ADDED = "addon-added"
    ADDON_REMOVED = "addon-removed"


# Facts that start an active interval, end one, or move the payer.
OPENING = frozenset({FactKind.ACTIVATED, FactKind.REACTIVATED})
CLOSING = frozenset({FactKind.DEACTIVATED, FactKind.COMPLETED})
MOVES_PAYER = frozenset({FactKind.OWNER_CHANGED, FactKind.TRANSFER_APPROVED, FactKind.TAKEN_OVER})
# Facts that change a seat's add-ons from their date on (``addons`` names the one add-on).
ADDON_CHANGES = frozenset({FactKind.ADDON_ADDED, FactKind.ADDON_REMOVED})
# Facts whose date may be corrected: the ones the timeline is built from.
CORRECTABLE = OPENING | CLOSING | ADDON_CHANGES | frozenset({FactKind.OWNER_CHANGED})


@frozen
class SeatFact:
    """One appended fact about one seat.

    ``org`` is the paying organisation an activation starts with, or the
    organisation an ownership change or transfer moves the seat to;
    ``from_org`` is the organisation it moves from. ``expires_on`` is the
    last day a transfer request can be approved (None: it never expires).
    ``holder``, ``seat_kind`` and ``addons`` describe the seat from an
    opening fact on; on an add-on change, ``addons`` names the one add-on
    added or removed. ``request`` ties the facts of one transfer together.
    """

    seq: int
    seat: SeatId
    kind: FactKind
    effective_on: date
    recorded_at: datetime
    actor: str
    reason: str | None = None
    org: OrgId | None = None
    holder: str | None = None
    seat_kind: SeatKind | None = None
    addons: frozenset[str] = frozenset()
    supersedes: int | None = None
    request: str | None = None
    from_org: OrgId | None = None
    expires_on: date | None = None
