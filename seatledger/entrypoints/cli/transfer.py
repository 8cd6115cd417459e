"""``seatledger transfer`` and ``seatledger takeover``: moving a seat's billing.

The paying organisation requests; the receiving organisation approves or
rejects with an admin's PIN; the sender may withdraw. An approval moves
billing from the day it happens, never backdated: for a reference date D the
receiver pays only if it approved on or before D, which is why a pending
request is listed with its deadline (the sender's next reference date).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

import click
from returns.result import Result

from seatledger.adapters.serialisation import (
    request_view_document,
    to_json,
    transfer_document,
)
from seatledger.domain.dates import iso_instant
from seatledger.domain.errors import LedgerError
from seatledger.domain.ports import PinHasher
from seatledger.domain.services import commands as c
from seatledger.domain.services import transfers
from seatledger.domain.services.context import Services
from seatledger.domain.transfers import TransferRequest
from seatledger.entrypoints.cli.admin import PIN_NOTE
from seatledger.entrypoints.cli.app import App, accepts_idempotency_key, pass_app, read_pin
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say

REASON_HELP = "Why (recorded in the seat's history)."


class DecisionUseCase(Protocol):
    def __call__(
        self,
        services: Services,
        pins: PinHasher,
        request: str,
        *,
        admin: str,
        pin: str,
        actor: str,
        reason: str | None = None,
    ) -> Result[TransferRequest, LedgerError]: ...


@click.group()
def transfer() -> None:
    """Request, approve, reject, withdraw, list and expire transfers of billing.

    A seat's billing moves to another organisation (one with a billing
    relationship) only when an admin of that organisation approves with
    their PIN. Approval counts from the day it happens: approved after the
    sender's reference date, the sender still pays for that period.

    \b
    Example:
      seatledger transfer request p-17 --to south --reason "moved to South Clinic"
      seatledger transfer list --org south --pending
      seatledger transfer approve TR-42 --admin sam
    """


@accepts_idempotency_key
@transfer.command("request")
@click.argument("seat_id", metavar="SEAT")
@click.option("--to", "to", required=True, metavar="ORG", help="The organisation asked to pay.")
@click.option(
    "--expires-in",
    "expires_in",
    type=int,
    metavar="DAYS",
    help="Last day for approval is today + DAYS [default: the request never expires].",
)
@click.option("--reason", help=REASON_HELP)
@pass_app
def request(app: App, seat_id: str, to: str, expires_in: int | None, reason: str | None) -> None:
    """Ask ORG to take over billing of SEAT; prints the request id.

    Nothing changes for billing until ORG approves. Refused if ORG has no
    billing relationship, already pays, the seat is not active today, or a
    request for the seat is pending.

    \b
    Example:
      seatledger transfer request p-17 --to south
      seatledger --json transfer request p-17 --to south --expires-in 14 --reason "moved"
    """
    made = unwrap(app.execute(c.RequestTransfer(seat_id, to, app.actor, expires_in, reason)))
    deadline = _deadline(app, made)
    if app.as_json:
        emit_json(transfer_document(made, deadline=deadline))
        return
    say(made.id)
    expiry = f"; it expires after {made.expires_on.isoformat()}" if made.expires_on else ""
    say(
        f"requested: {made.receiver} to pay for seat {made.seat} instead of {made.sender}. "
        f"Approved on or before {deadline.isoformat() if deadline else '-'}, {made.receiver} "
        f"pays for that period; later, {made.sender} still does{expiry}.",
    )


def _deadline(app: App, made: TransferRequest) -> date | None:
    views = unwrap(transfers.list_requests(app.services(), made.sender))
    return next((v.deadline for v in views if v.request.id == made.id), None)


def _decision(
    name: str, command_class: type[c.ApproveTransfer | c.RejectTransfer], verb: str, doc: str
) -> None:
    @click.argument("request_id", metavar="REQUEST")
    @click.option(
        "--admin",
        "admin_id",
        required=True,
        metavar="ADMIN",
        help="An admin of the receiving organisation, who confirms with their PIN.",
    )
    @click.option("--reason", help=REASON_HELP)
    @pass_app
    def command(app: App, request_id: str, admin_id: str, reason: str | None) -> None:
        pin = read_pin(f"PIN of admin {admin_id}")
        decided = unwrap(
            app.execute(command_class(request_id, admin_id, pin, actor=app.actor, reason=reason))
        )
        report_decision(app, decided, verb)

    command.__doc__ = doc
    accepts_idempotency_key(transfer.command(name)(command))


def report_decision(app: App, decided: TransferRequest, verb: str) -> None:
    if app.as_json:
        emit_json(transfer_document(decided))
        return
    on = decided.decided_on.isoformat() if decided.decided_on else "-"
    say(
        f"{decided.id} {verb} on {on} by {decided.decided_by}: seat {decided.seat}, "
        f"{decided.sender} -> {decided.receiver}"
    )
    if decided.status.value == "approved":
        say(
            f"{decided.receiver} pays for {decided.seat} from {on} on; for reference dates "
            f"before {on}, {decided.sender} still pays."
        )


_decision(
    "approve",
    c.ApproveTransfer,
    "approved",
    f"""Approve REQUEST as an admin of the receiving organisation (PIN).

    The receiver pays for the seat from today on; for a reference date
    before today the sender still pays. {PIN_NOTE}

    \b
    Example:
      seatledger transfer approve TR-42 --admin sam
      SEATLEDGER_PIN=4821 seatledger --json transfer approve TR-42 --admin sam
    """,
)

_decision(
    "reject",
    c.RejectTransfer,
    "rejected",
    f"""Reject REQUEST as an admin of the receiving organisation (PIN).

    The sender keeps paying. {PIN_NOTE}

    \b
    Example:
      seatledger transfer reject TR-42 --admin sam --reason "not our client"
    """,
)


@accepts_idempotency_key
@transfer.command("withdraw")
@click.argument("request_id", metavar="REQUEST")
@click.option("--reason", help=REASON_HELP)
@pass_app
def withdraw(app: App, request_id: str, reason: str | None) -> None:
    """Take back the pending REQUEST (the sending organisation); it keeps paying.

    \b
    Example:
      seatledger transfer withdraw TR-42 --reason "sent by mistake"
    """
    done = unwrap(app.execute(c.WithdrawTransfer(request_id, app.actor, reason)))
    report_decision(app, done, "withdrawn")


@transfer.command("list")
@click.option("--org", "org_id", metavar="ORG", help="Only requests sent or received by ORG.")
@click.option("--pending", is_flag=True, help="Only requests still awaiting a decision.")
@pass_app
def list_(app: App, org_id: str | None, pending: bool) -> None:
    """List transfer requests with their status today and, if pending, their deadline.

    The deadline is the sender's next count date (a monthly contract's
    reference rule, an annual contract's count date before its year starts,
    or month end without a contract): approved after it, the sender still
    pays for that period.

    \b
    Example:
      seatledger transfer list --org south --pending
      seatledger --json transfer list
    """
    views = unwrap(transfers.list_requests(app.services(), org_id, pending_only=pending))
    if app.as_json:
        emit_json({"org": org_id, "requests": [request_view_document(v) for v in views]})
        return
    if not views:
        say("no transfer requests" + (" pending" if pending else ""))
        return
    print_table(
        ("request", "seat", "from", "to", "status", "requested", "deadline", "expires", "decided"),
        [
            (
                v.request.id,
                v.request.seat,
                v.request.sender,
                v.request.receiver,
                v.status.value,
                v.request.requested_on,
                v.deadline,
                v.request.expires_on,
                v.request.decided_on,
            )
            for v in views
        ],
    )


@accepts_idempotency_key
@transfer.command("expire")
@pass_app
def expire(app: App) -> None:
    """Record the expiry of every pending request whose last day for approval has passed.

    Running it again the same day records nothing new (run it daily).

    \b
    Example:
      seatledger transfer expire
    """
    expired = unwrap(app.execute(c.ExpireTransfers(app.actor)))
    if app.as_json:
        emit_json({"expired": [transfer_document(r, status="expired") for r in expired]})
        return
    if not expired:
        say("no requests due to expire")
        return
    for req in expired:
        when = req.expires_on.isoformat() if req.expires_on else "-"
        say(f"{req.id} expired (not decided by {when}): seat {req.seat} stays with {req.sender}")


@accepts_idempotency_key
@click.command()
@click.argument("seat_id", metavar="SEAT")
@click.option("--by", "by", required=True, metavar="ORG", help="The organisation taking over.")
@click.option(
    "--admin",
    "admin_id",
    required=True,
    metavar="ADMIN",
    help="An admin of ORG, who consents with their PIN.",
)
@click.option("--reason", help=REASON_HELP)
@pass_app
def takeover(app: App, seat_id: str, by: str, admin_id: str, reason: str | None) -> None:
    """ORG takes over billing of SEAT at once, with its own admin's consent (PIN).

    ORG pays from today on; refused while a transfer request for the seat
    is pending (decide or withdraw it first). The PIN is read from a
    hidden prompt, or from SEATLEDGER_PIN in scripts.

    \b
    Example:
      seatledger takeover p-17 --by south --admin sam --reason "joined South Clinic"
    """
    pin = read_pin(f"PIN of admin {admin_id} of {by}")
    fact = unwrap(
        app.execute(c.TakeOver(seat_id, by, admin_id, pin, actor=app.actor, reason=reason))
    )
    if app.as_json:
        emit_json(to_json(fact))
        return
    say(
        f"{fact.org} took over billing of seat {fact.seat} from {fact.from_org} on "
        f"{fact.effective_on.isoformat()} [fact #{fact.seq}, recorded "
        f"{iso_instant(fact.recorded_at)} by {fact.actor}]"
    )
