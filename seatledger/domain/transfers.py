"""Transfers of billing: requests, their states, and the rules that allow them.

A transfer request is not a separate record but a thread of seat facts that
share a request id: ``transfer-requested``, then at most one of
``transfer-approved``, ``transfer-rejected``, ``transfer-withdrawn`` or
``transfer-expired``. Only an approval (or a take-over) changes who pays, and
only from the date it happens: approvals are never backdated, so for a
reference date D the new organisation pays only if approval came on or
before D (the seed: "If this approval has not taken place before the
reference date, the portfolio may still be billed to the previous
organization").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import (
    LedgerError,
    NoBillingRelationship,
    PayerChanged,
    RequestExpired,
    RequestNotPending,
    SameOrganisation,
    SeatNotActive,
    TransferAlreadyPending,
)
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.seat import FactKind, SeatFact
from seatledger.domain.timeline import SeatTimeline


class RequestStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


_OUTCOME = {
    FactKind.TRANSFER_APPROVED: RequestStatus.APPROVED,
    FactKind.TRANSFER_REJECTED: RequestStatus.REJECTED,
    FactKind.TRANSFER_WITHDRAWN: RequestStatus.WITHDRAWN,
    FactKind.TRANSFER_EXPIRED: RequestStatus.EXPIRED,
}


@frozen
class TransferRequest:
    """One request to move a seat's billing from ``sender`` to ``receiver``.

    ``status`` is as recorded; ask ``status_on(today)`` to see a pending
    request whose approval window has passed as expired.
    """

    id: str
    seat: SeatId
    sender: OrgId
    receiver: OrgId
    requested_on: date
    requested_at: datetime
    requested_by: str
    expires_on: date | None
    status: RequestStatus
    decided_on: date | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None

    def status_on(self, today: date) -> RequestStatus:
        if (
            self.status is RequestStatus.PENDING
            and self.expires_on is not None
            and today > self.expires_on
        ):
            return RequestStatus.EXPIRED
        return self.status

    def is_pending_on(self, today: date) -> bool:
        return self.status_on(today) is RequestStatus.PENDING


def transfer_requests(facts: Iterable[SeatFact]) -> list[TransferRequest]:
    """Rebuild requests from their facts (any order in, request order out)."""
    threads: dict[str, list[SeatFact]] = {}
    for fact in sorted(facts, key=lambda f: f.seq):
        if fact.request is not None:
            threads.setdefault(fact.request, []).append(fact)
    result: list[TransferRequest] = []
    for thread in threads.values():
        opening = thread[0]
        if opening.kind is not FactKind.TRANSFER_REQUESTED:
            continue
        if opening.org is None or opening.from_org is None:
            raise AssertionError(f"request {opening.request} has no sender or receiver")
        outcome = next((f for f in thread[1:] if f.kind in _OUTCOME), None)
        result.append(
            TransferRequest(
                id=opening.request or "",
                seat=opening.seat,
                sender=opening.from_org,
                receiver=opening.org,
                requested_on=opening.effective_on,
                requested_at=opening.recorded_at,
                requested_by=opening.actor,
                expires_on=opening.expires_on,
                status=_OUTCOME[outcome.kind] if outcome else RequestStatus.PENDING,
                decided_on=outcome.effective_on if outcome else None,
                decided_at=outcome.recorded_at if outcome else None,
                decided_by=outcome.actor if outcome else None,
            )
        )
    result.sort(key=lambda r: r.requested_at)
    return result


def pending_request(facts: Iterable[SeatFact], today: date) -> TransferRequest | None:
    """The seat's pending request, if it has one (there is never more than one)."""
    pending = [r for r in transfer_requests(facts) if r.is_pending_on(today)]
    return pending[-1] if pending else None


@frozen
class TransferPolicy:
    """Who may receive a seat's billing, and when a request may be decided."""

    def check_receiver(
        self, tl: SeatTimeline, receiver: Organisation
    ) -> Result[Organisation, LedgerError]:
        """The receiver must be billable by the vendor, and not already the payer."""
        if not receiver.billing_relationship:
            return Failure(NoBillingRelationship(receiver.id))
        if tl.current_payer() == receiver.id:
            return Failure(SameOrganisation(tl.seat, receiver.id))
        return Success(receiver)

    def check_request(
        self,
        tl: SeatTimeline,
        facts: Iterable[SeatFact],
        receiver: Organisation,
        today: date,
    ) -> Result[Organisation, LedgerError]:
        """A request needs an active seat, a billable receiver, and no other pending request."""
        if not tl.is_active_on(today):
            return Failure(SeatNotActive(tl.seat, today))
        checked = self.check_receiver(tl, receiver)
        if isinstance(checked, Failure):
            return checked
        pending = pending_request(facts, today)
        if pending is not None:
            return Failure(TransferAlreadyPending(tl.seat, pending.id, pending.receiver))
        return Success(receiver)

    def effective_on(self, tl: SeatTimeline, today: date) -> date:
        """The date an approval or take-over made ``today`` (the receiver's date) moves billing.

        Today, unless the seat's current state began later: the day its latest
        active interval opened, or its current payer's billing began, may be a
        later date than the receiver's today when the two organisations lie
        on either side of the date line (UTC+14 and UTC-12 are 26 hours
        apart). The move then takes effect on that day, never before it: an
        approval is never dated before what it approves existed, so it can
        neither precede the seat's activation nor change who paid before the
        current payer (INV-8). Never earlier than today, so never backdated,
        and never on a count date that has closed (decision 0012).
        """
        began = [today]
        if tl.latest is not None:
            began.append(tl.latest.start)
        if tl.owners:
            began.append(tl.owners[-1].start)
        return max(began)

    def check_decision(
        self, request: TransferRequest, tl: SeatTimeline, today: date
    ) -> Result[TransferRequest, LedgerError]:
        """A request can be decided while pending; approval also needs the sender to still pay."""
        status = request.status_on(today)
        if status is RequestStatus.EXPIRED and request.status is RequestStatus.PENDING:
            assert request.expires_on is not None
            return Failure(RequestExpired(request.id, request.expires_on))
        if status is not RequestStatus.PENDING:
            return Failure(RequestNotPending(request.id, status.value))
        payer = tl.current_payer()
        if payer != request.sender:
            return Failure(PayerChanged(request.id, request.sender, payer or "nobody"))
        return Success(request)
