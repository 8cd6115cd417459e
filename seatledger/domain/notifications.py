"""Notifications: what seatledger tells an organisation's billing administrators, and how.

A :class:`Message` is a value built from domain values by one builder per
event (a transfer requested, approved, …; an invoice issued) or by the
reminder policy (``reminders.py``). Every message has a stable ``id`` that
names the event, not the attempt (``transfer-requested:TR-42``,
``review-seats:north:2025-10-01``): building it again yields the same id, so
an outbox and every receiver can deduplicate on it. Delivery is
at-least-once.

A :class:`Notifier` (the port) delivers a message to a :class:`Contact` over
one :class:`Channel` and answers with a :class:`DeliveryResult` value:
``Delivered``, ``RetryLater`` (try again later) or ``Undeliverable`` (trying
again will not help). Adapters live in ``seatledger.adapters.notify``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Protocol, TypeAlias

from attrs import field, frozen

from seatledger.domain.dates import iso_instant
from seatledger.domain.deadlines import next_count_date
from seatledger.domain.identifiers import OrgId
from seatledger.domain.invoice import Invoice, InvoiceStatus, LineKind
from seatledger.domain.money import money_text
from seatledger.domain.organisation import Organisation
from seatledger.domain.seat import FactKind, SeatFact
from seatledger.domain.transfers import RequestStatus, TransferRequest

# What a webhook receiver gets in ``data``: JSON scalars (no floats: money is a
# decimal string), lists and string-keyed objects of them.
JsonValue: TypeAlias = str | int | bool | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None


class MessageKind(enum.Enum):
    """What a message is about; the first part of its id."""

    TRANSFER_REQUESTED = "transfer-requested"
    TRANSFER_APPROVED = "transfer-approved"
    TRANSFER_REJECTED = "transfer-rejected"
    TRANSFER_WITHDRAWN = "transfer-withdrawn"
    TRANSFER_EXPIRED = "transfer-expired"
    TAKEN_OVER = "taken-over"
    INVOICE_ISSUED = "invoice-issued"
    ADJUSTMENT_ISSUED = "adjustment-issued"
    # Reminders (``reminders.ReminderPolicy``)
    REVIEW_SEATS = "review-seats"  # the start of the month: review the active seats
    PENDING_TRANSFERS = "pending-transfers"  # before a reference date: requests not approved
    LICENCE_LIMIT = "licence-limit"  # at or above the licensed count
    TRIAL_ENDING = "trial-ending"


def _freeze(value: object, where: str) -> JsonValue:
    """A JSON-able value, made immutable: lists become tuples, objects read-only mappings.

    Anything else (a float, a ``Decimal``, a date) is a bug in a builder and
    raises: money and dates travel as strings.
    """
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Mapping):
        frozen_items: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"message data {where}: key {key!r} is not a string")
            frozen_items[key] = _freeze(item, f"{where}.{key}")
        return MappingProxyType(frozen_items)
    if isinstance(value, list | tuple):
        return tuple(_freeze(item, f"{where}[{i}]") for i, item in enumerate(value))
    raise TypeError(
        f"message data {where}: {type(value).__name__} {value!r} is not JSON-able "
        "(use strings for money, dates and instants)"
    )


def _freeze_data(value: Mapping[str, object]) -> Mapping[str, JsonValue]:
    frozen_data = _freeze(value, "data")
    if not isinstance(frozen_data, Mapping):
        raise TypeError("message data must be a mapping")
    return frozen_data


def thaw(value: JsonValue) -> JsonValue:
    """Plain ``dict``/``list`` copies of frozen data, ready for ``json.dumps``."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(item) for item in value]
    return value


def _aware(_: object, attribute: object, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"a message's created_at must be timezone-aware, not {value!r}")


@frozen
class Message:
    """One notification to one organisation.

    ``id`` is stable per event (receivers deduplicate on it); ``body`` is plain
    text for a billing administrator; ``data`` is the same content for
    machines (JSON scalars, lists, objects; money as decimal strings, dates as
    ISO strings).
    """

    id: str
    kind: MessageKind
    org: OrgId
    subject: str
    body: str
    data: Mapping[str, JsonValue] = field(converter=_freeze_data, hash=False)
    created_at: datetime = field(validator=_aware)

    def payload(self) -> dict[str, JsonValue]:
        """The message as a JSON object (what a webhook posts)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "org": self.org,
            "subject": self.subject,
            "body": self.body,
            "data": thaw(self.data),
            "created_at": iso_instant(self.created_at),
        }


# --- where messages go, and what came of sending them -----------------------------------------


class Channel(enum.Enum):
    LOG = "log"
    EMAIL = "email"
    WEBHOOK = "webhook"


def _emails(value: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@frozen
class Contact:
    """Where an organisation's notifications go. The webhook secret is never shown in a repr."""

    org: OrgId
    emails: tuple[str, ...] = field(default=(), converter=_emails)
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    # The secret a rotation replaced: deliveries are signed with both until the next change.
    previous_secret: str | None = field(default=None, repr=False)
    # When the receiver answered 410 Gone: no webhook is sent until the contact is set again.
    webhook_disabled_at: datetime | None = None

    @property
    def signing_secrets(self) -> tuple[str, ...]:
        """The secrets a delivery is signed with, the current one first."""
        return tuple(s for s in (self.webhook_secret, self.previous_secret) if s)


@frozen
class Delivered:
    """The channel accepted the message. ``note`` says what was not perfect (e.g. one
    of several recipients refused)."""

    note: str | None = None


@frozen
class RetryLater:
    """Not delivered this time; trying again later may succeed (network, 4xx SMTP, 5xx HTTP).

    ``wait``: the seconds the receiver asked for (an HTTP ``Retry-After``), if it did.
    """

    reason: str
    wait: float | None = None


@frozen
class Undeliverable:
    """Not delivered, and trying again will not help until the contact or setup changes.

    ``gone``: the receiver said the endpoint is gone for good (HTTP 410): it is disabled.
    """

    reason: str
    gone: bool = False


DeliveryResult: TypeAlias = Delivered | RetryLater | Undeliverable


class Notifier(Protocol):
    """The port: delivers one message to one contact over one channel.

    ``send`` never raises for a delivery problem: it answers with a
    ``DeliveryResult``. It may be called again for the same message
    (at-least-once); receivers deduplicate on ``message.id``.
    """

    @property
    def channel(self) -> Channel: ...

    def send(self, message: Message, contact: Contact) -> DeliveryResult: ...


# --- the builders: one per event ------------------------------------------------------------


def _name(org: Organisation) -> str:
    return org.name if org.name == org.id else f"{org.name} ({org.id})"


def _request_data(request: TransferRequest) -> dict[str, JsonValue]:
    return {
        "request": request.id,
        "seat": request.seat,
        "sender": request.sender,
        "receiver": request.receiver,
        "requested_on": request.requested_on.isoformat(),
        "requested_by": request.requested_by,
        "expires_on": request.expires_on.isoformat() if request.expires_on else None,
    }


def _decision_data(request: TransferRequest) -> dict[str, JsonValue]:
    return {
        **_request_data(request),
        "status": request.status.value,
        "decided_on": request.decided_on.isoformat() if request.decided_on else None,
        "decided_by": request.decided_by,
    }


def _check_parties(request: TransferRequest, sender: Organisation, receiver: Organisation) -> None:
    if sender.id != request.sender or receiver.id != request.receiver:
        raise ValueError(
            f"request {request.id} is from {request.sender!r} to {request.receiver!r}, "
            f"not from {sender.id!r} to {receiver.id!r}"
        )


def _check_status(request: TransferRequest, status: RequestStatus) -> None:
    if request.status is not status:
        raise ValueError(
            f"request {request.id} is {request.status.value}, not {status.value}: "
            f"no transfer-{status.value} message for it"
        )


def transfer_requested(
    request: TransferRequest,
    sender: Organisation,
    receiver: Organisation,
    at: datetime,
    *,
    deadline: date | None = None,
) -> Message:
    """To the RECEIVER: a request awaits your approval.

    ``deadline`` is the sender's next count date (``deadlines.sender_deadline``);
    approved after it, the sender still pays for that period. Without one,
    the count date of an organisation without a contract is assumed.
    """
    _check_parties(request, sender, receiver)
    due = deadline or next_count_date(None, request.requested_on)
    if request.expires_on is not None and request.expires_on < due:
        expiry = (
            f"\nThe request expires after {request.expires_on.isoformat()}: it cannot be "
            "approved after that day.\n"
        )
    elif request.expires_on is not None:
        expiry = f"\nThe request expires after {request.expires_on.isoformat()}.\n"
    else:
        expiry = ""
    body = (
        f"A transfer request awaits your approval.\n"
        f"\n"
        f"{_name(sender)} asks {_name(receiver)} to take over the billing of seat "
        f"{request.seat}.\n"
        f"Request: {request.id}, sent on {request.requested_on.isoformat()} by "
        f"{request.requested_by}.\n"
        f"\n"
        f"An admin of {receiver.name} approves or rejects it with their personal PIN. "
        f"Once approved, {receiver.name} pays for seat {request.seat} from the day of "
        f"approval on.\n"
        f"\n"
        f"Approve it on or before {due.isoformat()} ({sender.name}'s next reference date) "
        f"for the transfer to count for that date. Approved later, {sender.name} still "
        f"pays for that period.\n"
        f"{expiry}"
    )
    return Message(
        id=f"{MessageKind.TRANSFER_REQUESTED.value}:{request.id}",
        kind=MessageKind.TRANSFER_REQUESTED,
        org=receiver.id,
        subject=(
            f"Approval needed: {sender.name} asks you to take over billing of seat "
            f"{request.seat} ({request.id}, by {due.isoformat()})"
        ),
        body=body,
        data={**_request_data(request), "deadline": due.isoformat()},
        created_at=at,
    )


def transfer_approved(
    request: TransferRequest, sender: Organisation, receiver: Organisation, at: datetime
) -> Message:
    """To the SENDER: the receiver approved; it pays from the day of approval."""
    _check_parties(request, sender, receiver)
    _check_status(request, RequestStatus.APPROVED)
    on = request.decided_on.isoformat() if request.decided_on else "the day of approval"
    by = f" by {request.decided_by}" if request.decided_by else ""
    body = (
        f"{_name(receiver)} approved transfer request {request.id} for seat {request.seat} "
        f"on {on}{by}.\n"
        f"\n"
        f"From {on} on, seat {request.seat} is billed to {receiver.name}: a reference date "
        f"on or after {on} counts it for {receiver.name}. Reference dates before {on} still "
        f"count it for {sender.name}.\n"
    )
    return Message(
        id=f"{MessageKind.TRANSFER_APPROVED.value}:{request.id}",
        kind=MessageKind.TRANSFER_APPROVED,
        org=sender.id,
        subject=f"Transfer {request.id} approved: seat {request.seat} is now billed to "
        f"{receiver.name}",
        body=body,
        data=_decision_data(request),
        created_at=at,
    )


def transfer_rejected(
    request: TransferRequest, sender: Organisation, receiver: Organisation, at: datetime
) -> Message:
    """To the SENDER: the receiver rejected; the seat stays billed to the sender."""
    _check_parties(request, sender, receiver)
    _check_status(request, RequestStatus.REJECTED)
    on = request.decided_on.isoformat() if request.decided_on else "?"
    by = f" by {request.decided_by}" if request.decided_by else ""
    body = (
        f"{_name(receiver)} rejected transfer request {request.id} for seat {request.seat} "
        f"on {on}{by}.\n"
        f"\n"
        f"Seat {request.seat} is still billed to {sender.name}. If the seat is no longer "
        f"used by {sender.name}, agree with {receiver.name} and send a new request, or "
        f"deactivate the seat before the next reference date so it is not billed.\n"
    )
    return Message(
        id=f"{MessageKind.TRANSFER_REJECTED.value}:{request.id}",
        kind=MessageKind.TRANSFER_REJECTED,
        org=sender.id,
        subject=f"Transfer {request.id} rejected: seat {request.seat} stays billed to you",
        body=body,
        data=_decision_data(request),
        created_at=at,
    )


def transfer_withdrawn(
    request: TransferRequest, sender: Organisation, receiver: Organisation, at: datetime
) -> Message:
    """To the SENDER: the request was withdrawn (confirmation for the other admins)."""
    _check_parties(request, sender, receiver)
    _check_status(request, RequestStatus.WITHDRAWN)
    on = request.decided_on.isoformat() if request.decided_on else "?"
    by = f" by {request.decided_by}" if request.decided_by else ""
    body = (
        f"Transfer request {request.id} for seat {request.seat} to {_name(receiver)} was "
        f"withdrawn on {on}{by}.\n"
        f"\n"
        f"Seat {request.seat} is still billed to {sender.name}.\n"
    )
    return Message(
        id=f"{MessageKind.TRANSFER_WITHDRAWN.value}:{request.id}",
        kind=MessageKind.TRANSFER_WITHDRAWN,
        org=sender.id,
        subject=f"Transfer {request.id} withdrawn: seat {request.seat} stays billed to you",
        body=body,
        data=_decision_data(request),
        created_at=at,
    )


def transfer_expired(
    request: TransferRequest, sender: Organisation, receiver: Organisation, at: datetime
) -> Message:
    """To the SENDER: the request was not approved by its last day.

    Accepts a request recorded as expired, or one still recorded as pending
    whose last day has passed (``status_on`` a later day says expired).
    """
    _check_parties(request, sender, receiver)
    if request.status is not RequestStatus.EXPIRED and not (
        request.status is RequestStatus.PENDING and request.expires_on is not None
    ):
        raise ValueError(f"request {request.id} is {request.status.value}, it did not expire")
    last = request.expires_on.isoformat() if request.expires_on else "its last day"
    body = (
        f"Transfer request {request.id} for seat {request.seat} to {_name(receiver)} was not "
        f"approved by {last}, and has expired.\n"
        f"\n"
        f"Seat {request.seat} is still billed to {sender.name}. Send a new request if the "
        f"transfer is still wanted, or deactivate the seat before the next reference date "
        f"so it is not billed; {receiver.name} can then reactivate it or take over its "
        f"billing.\n"
    )
    return Message(
        id=f"{MessageKind.TRANSFER_EXPIRED.value}:{request.id}",
        kind=MessageKind.TRANSFER_EXPIRED,
        org=sender.id,
        subject=f"Transfer {request.id} expired: seat {request.seat} stays billed to you",
        body=body,
        data={**_decision_data(request), "status": RequestStatus.EXPIRED.value},
        created_at=at,
    )


def taken_over(
    fact: SeatFact, previous_payer: Organisation, taker: Organisation, at: datetime
) -> Message:
    """To the PREVIOUS PAYER: another organisation took over a seat's billing (its own consent)."""
    if fact.kind is not FactKind.TAKEN_OVER:
        raise ValueError(f"fact {fact.seq} is {fact.kind.value}, not taken-over")
    if fact.org != taker.id or fact.from_org != previous_payer.id:
        raise ValueError(
            f"fact {fact.seq} moves seat {fact.seat} from {fact.from_org!r} to {fact.org!r}, "
            f"not from {previous_payer.id!r} to {taker.id!r}"
        )
    on = fact.effective_on.isoformat()
    reason = f"Reason given: {fact.reason}\n" if fact.reason else ""
    body = (
        f"{_name(taker)} took over the billing of seat {fact.seat} on {on} "
        f"({fact.actor}).\n"
        f"{reason}"
        f"\n"
        f"From {on} on, seat {fact.seat} is billed to {taker.name}, no longer to "
        f"{previous_payer.name}. Reference dates before {on} still count it for "
        f"{previous_payer.name}. If this is a mistake, contact {taker.name} or the vendor.\n"
    )
    return Message(
        id=f"{MessageKind.TAKEN_OVER.value}:{fact.seat}:{fact.seq}",
        kind=MessageKind.TAKEN_OVER,
        org=previous_payer.id,
        subject=f"Seat {fact.seat} taken over by {taker.name} from {on}",
        body=body,
        data={
            "seat": fact.seat,
            "fact": fact.seq,
            "previous_payer": previous_payer.id,
            "taker": taker.id,
            "effective_on": on,
            "actor": fact.actor,
            "reason": fact.reason,
        },
        created_at=at,
    )


def _money(amount: Decimal, currency: str) -> str:
    return money_text(amount, currency)


def _require_issued(invoice: Invoice) -> None:
    if invoice.status is not InvoiceStatus.ISSUED:
        raise ValueError(f"invoice {invoice.id} is a {invoice.status.value}, not issued")


def invoice_issued(invoice: Invoice, at: datetime) -> Message:
    """To the BILLED ORGANISATION: an invoice was issued (amounts as decimal strings)."""
    _require_issued(invoice)
    cur = invoice.currency
    lines = "\n".join(
        f"  - {line.description}: {cur} {_money(line.amount, cur)}" for line in invoice.lines
    )
    reference = invoice.evidence.reference_date
    counted = (
        f"Seats were counted on {reference.isoformat()}: {len(invoice.evidence.seats)} seat(s).\n"
        if reference is not None
        else ""
    )
    body = (
        f"Invoice {invoice.id} for {invoice.period} has been issued to {invoice.org}.\n"
        f"\n"
        f"{lines or '  (no lines)'}\n"
        f"\n"
        f"  Subtotal (excl. VAT): {cur} {_money(invoice.subtotal, cur)}\n"
        f"  VAT {invoice.vat_rate.normalize():f}%: {cur} {_money(invoice.vat, cur)}\n"
        f"  Total: {cur} {_money(invoice.total, cur)}\n"
        f"\n"
        f"{counted}"
        f"Every seat counted is listed in the invoice's evidence, with its activation and "
        f"deactivation dates.\n"
    )
    return Message(
        id=f"{MessageKind.INVOICE_ISSUED.value}:{invoice.id}",
        kind=MessageKind.INVOICE_ISSUED,
        org=invoice.org,
        subject=f"Invoice {invoice.id} for {invoice.period}: {cur} {_money(invoice.total, cur)}",
        body=body,
        data={
            "invoice": invoice.id,
            "period": str(invoice.period),
            "currency": cur,
            "subtotal": _money(invoice.subtotal, cur),
            "vat_rate": format(invoice.vat_rate, "f"),
            "vat": _money(invoice.vat, cur),
            "total": _money(invoice.total, cur),
            "reference_date": reference.isoformat() if reference else None,
            "seats_counted": len(invoice.evidence.seats),
            "lines": [
                {
                    "kind": line.kind.value,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": format(line.unit_price, "f"),
                    "amount": _money(line.amount, cur),
                    "refers_to": line.refers_to,
                }
                for line in invoice.lines
            ],
            "evidence_hash": invoice.evidence_hash,
        },
        created_at=at,
    )


def adjustment_issued(invoice: Invoice, at: datetime) -> Message:
    """To the BILLED ORGANISATION: the invoice corrects earlier invoices (adjustment lines).

    Only for an invoice with adjustment lines; see ``invoice_messages``.
    """
    _require_issued(invoice)
    adjustments = invoice.lines_of(LineKind.ADJUSTMENT)
    if not adjustments:
        raise ValueError(f"invoice {invoice.id} has no adjustment lines")
    cur = invoice.currency
    described = "\n".join(
        f"  {line.refers_to or '?'}: {_money(line.amount, cur)} "
        f"({'credit' if line.amount < 0 else 'debit'})"
        + (f", seats: {', '.join(line.seats)}" if line.seats else "")
        + f"\n    {line.description}"
        for line in adjustments
    )
    net = sum((line.amount for line in adjustments), Decimal("0"))
    originals = sorted({line.refers_to for line in adjustments if line.refers_to})
    body = (
        f"Invoice {invoice.id} for {invoice.period} corrects earlier invoices: the seat "
        f"history of their periods changed after they were issued (for example a seat "
        f"deactivated with an earlier date).\n"
        f"\n"
        f"{described}\n"
        f"\n"
        f"  Net adjustment (excl. VAT): {cur} {_money(net, cur)}\n"
        f"\n"
        f"The original invoices are not changed; each adjustment line names the invoice it "
        f"corrects and the seats now counted or no longer counted.\n"
    )
    return Message(
        id=f"{MessageKind.ADJUSTMENT_ISSUED.value}:{invoice.id}",
        kind=MessageKind.ADJUSTMENT_ISSUED,
        org=invoice.org,
        subject=(
            f"Adjustment on invoice {invoice.id}: {cur} {_money(net, cur)} for "
            f"{', '.join(originals) or 'earlier invoices'}"
        ),
        body=body,
        data={
            "invoice": invoice.id,
            "period": str(invoice.period),
            "currency": cur,
            "net": _money(net, cur),
            "adjustments": [
                {
                    "refers_to": line.refers_to,
                    "amount": _money(line.amount, cur),
                    "description": line.description,
                    "seats": list(line.seats),
                }
                for line in adjustments
            ],
        },
        created_at=at,
    )


def invoice_messages(invoice: Invoice, at: datetime) -> list[Message]:
    """The messages an issued invoice gives: ``invoice-issued``, plus ``adjustment-issued``
    when it carries adjustment lines."""
    messages = [invoice_issued(invoice, at)]
    if invoice.lines_of(LineKind.ADJUSTMENT):
        messages.append(adjustment_issued(invoice, at))
    return messages
