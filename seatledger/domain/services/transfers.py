"""Use cases of billing transfers: request, approve, reject, withdraw, expire, take over.

Every step is a seat fact, so ``seat history`` shows it and questions
"as known at" an instant answer as it stood. Approvals and take-overs take
effect on the day they happen, in the receiving organisation's time zone;
they are never backdated.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Final

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain import notifications
from seatledger.domain.authorisation import Action
from seatledger.domain.errors import (
    InvalidExpiry,
    LedgerError,
    TransferAlreadyPending,
    UnknownRequest,
    WrongPin,
)
from seatledger.domain.identifiers import OrgId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerRepository, PinHasher
from seatledger.domain.seat import FactKind, SeatFact
from seatledger.domain.services.access import POLICY as ACCESS
from seatledger.domain.services.access import record_fact, standing
from seatledger.domain.services.admins import authenticate
from seatledger.domain.services.context import Services
from seatledger.domain.services.notify import deadline_for
from seatledger.domain.services.organisations import require_organisation
from seatledger.domain.services.seats import (
    append_checked,
    check_actor_and_reason,
    current_timeline,
    draft,
    load_existing_seat,
    payer_organisation,
)
from seatledger.domain.services.throttle import keep_wrong_pin, wait_before_pin
from seatledger.domain.transfers import (
    RequestStatus,
    TransferPolicy,
    TransferRequest,
    pending_request,
    transfer_requests,
)

POLICY = TransferPolicy()


@frozen
class RequestView:
    """A request as an organisation sees it today.

    ``deadline`` is, for a pending request, the sender's next count date
    (``deadlines.sender_deadline``): approved after it, the sender still pays
    for that period.
    """

    request: TransferRequest
    status: RequestStatus
    deadline: date | None


def _load_request(ledger: LedgerRepository, request: str) -> Result[TransferRequest, LedgerError]:
    found = transfer_requests(ledger.request_facts(request))
    if not found:
        return Failure(UnknownRequest(request))
    return Success(found[0])


# Ten years: a longer deadline is no deadline, and today + DAYS must stay in the calendar.
MAX_EXPIRY_DAYS: Final = 3650


def request_transfer(
    services: Services,
    seat: str,
    to: str,
    *,
    actor: str,
    expires_in_days: int | None = None,
    reason: str | None = None,
) -> Result[TransferRequest, LedgerError]:
    """The paying organisation asks ``to`` to take over the seat's billing.

    Refused when the receiver is unknown, has no billing relationship, is
    already the payer, the seat is not active today, or another request for
    the seat is pending.
    """
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        return Failure(
            InvalidExpiry(expires_in_days if expires_in_days < 1 else MAX_EXPIRY_DAYS + 1)
        )
    with services.uow.transaction(write=True) as ledger:
        loaded = load_existing_seat(ledger, seat)
        if isinstance(loaded, Failure):
            return Failure(loaded.failure())
        sid, known, tl = loaded.unwrap()
        receiver = require_organisation(ledger, to)
        if isinstance(receiver, Failure):
            return Failure(receiver.failure())
        sender = payer_organisation(ledger, tl)
        permitted = ACCESS.check_request(standing(ledger, who, sender.id), sender.id)
        if isinstance(permitted, Failure):
            return Failure(permitted.failure())
        today = sender.today(services.clock.today)
        allowed = POLICY.check_request(tl, known, receiver.unwrap(), today)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        request_id = f"TR-{ledger.head().last_seq + 1}"
        expires_on = today + timedelta(days=expires_in_days) if expires_in_days else None
        fact = draft(
            sid,
            FactKind.TRANSFER_REQUESTED,
            today,
            who,
            reason=why,
            org=receiver.unwrap().id,
            from_org=sender.id,
            request=request_id,
            expires_on=expires_on,
        )
        written = append_checked(services, ledger, sid, known, [fact])
        if isinstance(written, Failure):
            return Failure(written.failure())
        request = transfer_requests(written.unwrap())[0]
        at = written.unwrap()[0].recorded_at
        deadline = deadline_for(ledger, sender.id, today)
        message = notifications.transfer_requested(
            request, sender, receiver.unwrap(), at, deadline=deadline
        )
        ledger.enqueue([message], at)
        record_fact(
            ledger, written.unwrap()[0], who, permitted.unwrap(), Action.TRANSFER_REQUEST,
            org=sender.id, other_org=receiver.unwrap().id,
        )  # fmt: skip
        services.uow.commit()
        return Success(request)


def _decide(
    services: Services,
    pins: PinHasher,
    request: str,
    outcome: FactKind,
    *,
    admin: str,
    pin: str,
    actor: str,
    reason: str | None,
) -> Result[TransferRequest, LedgerError]:
    """Approve or reject: an admin of the receiving organisation, with their PIN."""
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    with services.uow.transaction(write=False) as reading:
        asked = _load_request(reading, request)
        receiving = asked.unwrap().receiver if isinstance(asked, Success) else None
    if receiving is not None:
        wait_before_pin(services, receiving, admin)
    with services.uow.transaction(write=True) as ledger:
        loaded_request = _load_request(ledger, request)
        if isinstance(loaded_request, Failure):
            return loaded_request
        req = loaded_request.unwrap()
        receiver = require_organisation(ledger, req.receiver).unwrap()
        approving = outcome is FactKind.TRANSFER_APPROVED
        check = ACCESS.check_approve if approving else ACCESS.check_reject
        permitted = check(standing(ledger, who, receiver.id), receiver.id)
        if isinstance(permitted, Failure):
            return Failure(permitted.failure())
        today = receiver.today(services.clock.today)
        known = ledger.seat_facts(req.seat)
        tl = current_timeline(req.seat, known)
        decidable = POLICY.check_decision(req, tl, today)
        if isinstance(decidable, Failure):
            return decidable
        if outcome is FactKind.TRANSFER_APPROVED:
            still_allowed = POLICY.check_receiver(tl, receiver)
            if isinstance(still_allowed, Failure):
                return Failure(still_allowed.failure())
        signed = authenticate(ledger, pins, receiver.id, admin, pin)
        if isinstance(signed, Failure):
            wrong = signed.failure()
            if isinstance(wrong, WrongPin):  # keep the counted attempt and its entry only
                keep_wrong_pin(services, ledger, wrong, who, permitted.unwrap())
            return Failure(signed.failure())
        actor_text = f"{who} (admin {admin} of {receiver.id})"
        # An approval moves the payer from today on (see timeline.MOVES_PAYER), or from
        # the day the seat's current state began if that is later (across the date line).
        on = POLICY.effective_on(tl, today) if approving else today
        fact = draft(
            req.seat, outcome, on, actor_text, reason=why, org=receiver.id,
            from_org=req.sender, request=req.id,
        )  # fmt: skip
        written = append_checked(services, ledger, req.seat, known, [fact])
        if isinstance(written, Failure):
            return Failure(written.failure())
        decided = _load_request(ledger, req.id).unwrap()
        sender = require_organisation(ledger, req.sender).unwrap()
        tell = (
            notifications.transfer_approved
            if outcome is FactKind.TRANSFER_APPROVED
            else notifications.transfer_rejected
        )
        at = written.unwrap()[0].recorded_at
        ledger.enqueue([tell(decided, sender, receiver, at)], at)
        action = Action.TRANSFER_APPROVE if approving else Action.TRANSFER_REJECT
        record_fact(
            ledger, written.unwrap()[0], who, permitted.unwrap(), action,
            org=receiver.id, other_org=req.sender,
        )  # fmt: skip
        services.uow.commit()
        return Success(decided)


def approve(
    services: Services,
    pins: PinHasher,
    request: str,
    *,
    admin: str,
    pin: str,
    actor: str,
    reason: str | None = None,
) -> Result[TransferRequest, LedgerError]:
    """The receiving organisation approves: it pays for the seat from today on.

    Today is the receiver's date, or the day the seat's current state began
    if that is later (``TransferPolicy.effective_on``).
    """
    return _decide(
        services, pins, request, FactKind.TRANSFER_APPROVED,
        admin=admin, pin=pin, actor=actor, reason=reason,
    )  # fmt: skip


def reject(
    services: Services,
    pins: PinHasher,
    request: str,
    *,
    admin: str,
    pin: str,
    actor: str,
    reason: str | None = None,
) -> Result[TransferRequest, LedgerError]:
    """The receiving organisation declines: the sender keeps paying."""
    return _decide(
        services, pins, request, FactKind.TRANSFER_REJECTED,
        admin=admin, pin=pin, actor=actor, reason=reason,
    )  # fmt: skip


def withdraw(
    services: Services, request: str, *, actor: str, reason: str | None = None
) -> Result[TransferRequest, LedgerError]:
    """The sending organisation takes its pending request back."""
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    with services.uow.transaction(write=True) as ledger:
        loaded_request = _load_request(ledger, request)
        if isinstance(loaded_request, Failure):
            return loaded_request
        req = loaded_request.unwrap()
        sender = require_organisation(ledger, req.sender).unwrap()
        permitted = ACCESS.check_withdraw(standing(ledger, who, sender.id), sender.id)
        if isinstance(permitted, Failure):
            return Failure(permitted.failure())
        today = sender.today(services.clock.today)
        known = ledger.seat_facts(req.seat)
        decidable = POLICY.check_decision(req, current_timeline(req.seat, known), today)
        if isinstance(decidable, Failure):
            return decidable
        fact = draft(
            req.seat, FactKind.TRANSFER_WITHDRAWN, today, who, reason=why,
            org=req.receiver, from_org=req.sender, request=req.id,
        )  # fmt: skip
        written = append_checked(services, ledger, req.seat, known, [fact])
        if isinstance(written, Failure):
            return Failure(written.failure())
        withdrawn = _load_request(ledger, req.id).unwrap()
        receiver = require_organisation(ledger, req.receiver).unwrap()
        at = written.unwrap()[0].recorded_at
        ledger.enqueue([notifications.transfer_withdrawn(withdrawn, sender, receiver, at)], at)
        record_fact(
            ledger, written.unwrap()[0], who, permitted.unwrap(), Action.TRANSFER_WITHDRAW,
            org=sender.id, other_org=receiver.id,
        )  # fmt: skip
        services.uow.commit()
        return Success(withdrawn)


def expire_due(services: Services, *, actor: str) -> Result[Sequence[TransferRequest], LedgerError]:
    """Record an expiry for every pending request whose approval window has passed.

    Running it again the same day records nothing new.
    """
    people = check_actor_and_reason(actor, None)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, _ = people.unwrap()
    expired: list[TransferRequest] = []
    with services.uow.transaction(write=True) as ledger:
        permitted = ACCESS.check_operator_task(standing(ledger, who), Action.TRANSFER_EXPIRE)
        if isinstance(permitted, Failure):
            return Failure(permitted.failure())
        orgs = {o.id: o for o in ledger.list_organisations()}
        for req in transfer_requests(ledger.transfer_facts(None)):
            if req.status is not RequestStatus.PENDING or req.expires_on is None:
                continue
            today = orgs[req.sender].today(services.clock.today)
            if today <= req.expires_on:
                continue
            known = ledger.seat_facts(req.seat)
            fact = draft(
                req.seat, FactKind.TRANSFER_EXPIRED, today, who,
                reason=f"not decided by {req.expires_on.isoformat()}",
                org=req.receiver, from_org=req.sender, request=req.id,
            )  # fmt: skip
            written = append_checked(services, ledger, req.seat, known, [fact])
            if isinstance(written, Failure):
                return Failure(written.failure())
            now_expired = _load_request(ledger, req.id).unwrap()
            at = written.unwrap()[0].recorded_at
            message = notifications.transfer_expired(
                now_expired, orgs[req.sender], orgs[req.receiver], at
            )
            ledger.enqueue([message], at)
            record_fact(
                ledger, written.unwrap()[0], who, permitted.unwrap(), Action.TRANSFER_EXPIRE,
                org=req.sender, other_org=req.receiver,
            )  # fmt: skip
            expired.append(now_expired)
        if expired:
            services.uow.commit()
    return Success(expired)


def take_over(
    services: Services,
    pins: PinHasher,
    seat: str,
    by: str,
    *,
    admin: str,
    pin: str,
    actor: str,
    reason: str | None = None,
) -> Result[SeatFact, LedgerError]:
    """An admin of ``by`` takes over the seat's billing at once, on their own consent.

    Refused if ``by`` has no billing relationship or already pays, if the
    seat is not active, or while a transfer request for the seat is pending
    (decide or withdraw that first).
    """
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    wait_before_pin(services, by, admin)
    with services.uow.transaction(write=True) as ledger:
        loaded = load_existing_seat(ledger, seat)
        if isinstance(loaded, Failure):
            return Failure(loaded.failure())
        sid, known, tl = loaded.unwrap()
        found = require_organisation(ledger, by)
        if isinstance(found, Failure):
            return Failure(found.failure())
        taker: Organisation = found.unwrap()
        permitted = ACCESS.check_take_over(standing(ledger, who, taker.id), taker.id)
        if isinstance(permitted, Failure):
            return Failure(permitted.failure())
        today = taker.today(services.clock.today)
        pending = pending_request(known, today)
        if pending is not None:
            return Failure(TransferAlreadyPending(sid, pending.id, pending.receiver))
        # As for an approval: never before the seat's current state began.
        on = POLICY.effective_on(tl, today)
        allowed = POLICY.check_request(tl, known, taker, on)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        payer = tl.current_payer()
        assert payer is not None  # check_request refused a seat that is not active (INV-1)
        signed = authenticate(ledger, pins, taker.id, admin, pin)
        if isinstance(signed, Failure):
            wrong = signed.failure()
            if isinstance(wrong, WrongPin):  # keep the counted attempt and its entry only
                keep_wrong_pin(services, ledger, wrong, who, permitted.unwrap())
            return Failure(signed.failure())
        fact = draft(
            sid, FactKind.TAKEN_OVER, on, f"{who} (admin {admin} of {taker.id})",
            reason=why, org=taker.id, from_org=payer,
        )  # fmt: skip
        written = append_checked(services, ledger, sid, known, [fact])
        if isinstance(written, Failure):
            return Failure(written.failure())
        taken = written.unwrap()[-1]
        previous = require_organisation(ledger, payer).unwrap()
        message = notifications.taken_over(taken, previous, taker, taken.recorded_at)
        ledger.enqueue([message], taken.recorded_at)
        record_fact(
            ledger, taken, who, permitted.unwrap(), Action.TRANSFER_TAKE_OVER,
            org=taker.id, other_org=payer,
        )  # fmt: skip
        services.uow.commit()
        return Success(taken)


def list_requests(
    services: Services,
    org: str | None = None,
    *,
    pending_only: bool = False,
) -> Result[Sequence[RequestView], LedgerError]:
    """Requests sent or received by ``org`` (all if None), with their status today.

    A pending request carries its deadline: the sender's next count date
    (monthly: its reference rule; annual: the count date before its year
    starts; no contract: month end).
    """
    with services.uow.transaction(write=False) as ledger:
        org_id: OrgId | None = None
        if org is not None:
            found = require_organisation(ledger, org)
            if isinstance(found, Failure):
                return Failure(found.failure())
            org_id = found.unwrap().id
        orgs = {o.id: o for o in ledger.list_organisations()}
        views: list[RequestView] = []
        for req in transfer_requests(ledger.transfer_facts(org_id)):
            today = orgs[req.sender].today(services.clock.today)
            status = req.status_on(today)
            if pending_only and status is not RequestStatus.PENDING:
                continue
            deadline = (
                deadline_for(ledger, req.sender, today) if status is RequestStatus.PENDING else None
            )
            views.append(RequestView(req, status, deadline))
        return Success(views)
