"""Reminders: the two monthly moments of the portfolio-billing seed, as a pure policy.

The seed advises a billing administrator to check everything twice a month:

* **at the beginning of the month**: check which seats are active; transfer
  or stop the billing of those no longer active (``review-seats``);
* **before the reference date**: check whether transfer requests have been
  approved; if not, the seat will still be billed to the sender, who may
  deactivate it (``pending-transfers``). The overage-contract seed adds the
  licensed count (``licence-limit``), and the plans seed the end of a trial
  (``trial-ending``).

The rule, one for every reminder before a date: a reminder is due **on the
day exactly N days before the date, and on the date itself** (the last day
on which acting still counts: an approval on the reference date counts for
it, and a seat deactivated on the reference date is not counted on it).
Nothing else, so a daily run never nags. Every message id carries the
organisation and the day it is due (``pending-transfers:north:2025-10-28``):
running the policy twice on the same day gives the same ids, and the outbox
keeps one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from attrs import field, frozen

from seatledger.domain.contracts import Contract
from seatledger.domain.deadlines import next_count_date
from seatledger.domain.money import money_text
from seatledger.domain.notifications import JsonValue, Message, MessageKind
from seatledger.domain.organisation import Organisation
from seatledger.domain.transfers import TransferRequest

# Far enough: a monthly reference date is never more than 31 days ahead, so a
# reminder more days before it would fall before the previous reference date.
MAX_DAYS_BEFORE = 27


def _requests(value: Iterable[TransferRequest]) -> tuple[TransferRequest, ...]:
    return tuple(value)


@frozen
class OrganisationView:
    """What the reminder policy needs to know about one organisation, today.

    ``active_seats`` is the number of seats billed to it today;
    ``next_reference_date`` its next count date on or after today (see
    ``deadlines.next_count_date``); ``outgoing_pending`` the transfer requests it sent
    that are still pending; ``licensed`` the contract's licensed count (None:
    no limit).
    """

    organisation: Organisation
    active_seats: int
    contract: Contract | None
    next_reference_date: date
    outgoing_pending: tuple[TransferRequest, ...] = field(default=(), converter=_requests)
    licensed: int | None = None

    @staticmethod
    def of(
        organisation: Organisation,
        today: date,
        *,
        active_seats: int,
        contract: Contract | None,
        outgoing_pending: Sequence[TransferRequest] = (),
    ) -> OrganisationView:
        """The view, with the reference date and licensed count taken from the contract."""
        return OrganisationView(
            organisation=organisation,
            active_seats=active_seats,
            contract=contract,
            next_reference_date=next_count_date(contract, today),
            outgoing_pending=tuple(outgoing_pending),
            licensed=contract.licensed if contract is not None else None,
        )


def _not_negative(_: object, attribute: object, value: int) -> None:
    if value < 0:
        raise ValueError(f"a reminder cannot be due {value} days before a date")


def _within_month(_: object, attribute: object, value: int) -> None:
    _not_negative(_, attribute, value)
    if value > MAX_DAYS_BEFORE:
        raise ValueError(
            f"days_before_reference is {value}; at most {MAX_DAYS_BEFORE}, or the reminder "
            "would fall before the previous reference date"
        )


def _start_of(day: date, timezone: str) -> datetime:
    """Midnight at the start of ``day`` in the organisation's zone, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@frozen
class ReminderPolicy:
    """Which reminders are due for an organisation on a day.

    * ``review-seats``: on the 1st of every month, to an organisation with
      active seats.
    * ``pending-transfers``: on the day ``days_before_reference`` days
      before the next reference date, and on the reference date itself, to
      an organisation with outgoing requests still pending.
    * ``licence-limit``: on those same two days, when the active seats are
      at or above the licensed count.
    * ``trial-ending``: on the day ``trial_warning_days`` days before the
      trial's last day, and on its last day.

    Pure: the same day and view always give the same messages (ids, text and
    ``created_at``, the start of the day in the organisation's time zone).
    """

    days_before_reference: int = field(default=3, validator=_within_month)
    trial_warning_days: int = field(default=7, validator=_not_negative)

    def due(self, today: date, view: OrganisationView) -> list[Message]:
        org = view.organisation
        at = _start_of(today, org.zone_on(today))
        messages: list[Message] = []
        if today.day == 1 and view.active_seats > 0:
            messages.append(self._review_seats(today, view, at))
        reference = view.next_reference_date
        if today in (reference - timedelta(days=self.days_before_reference), reference):
            pending = [
                r for r in view.outgoing_pending if r.sender == org.id and r.is_pending_on(today)
            ]
            if pending:
                messages.append(self._pending_transfers(today, view, pending, at))
            if view.licensed is not None and view.active_seats >= view.licensed:
                messages.append(self._licence_limit(today, view, view.licensed, at))
        contract = view.contract
        if contract is not None and contract.trial_until is not None:
            last = contract.trial_until
            if today in (last - timedelta(days=self.trial_warning_days), last):
                messages.append(self._trial_ending(today, view, contract, last, at))
        return messages

    # --- the messages ---------------------------------------------------------------------

    @staticmethod
    def _id(kind: MessageKind, view: OrganisationView, today: date) -> str:
        return f"{kind.value}:{view.organisation.id}:{today.isoformat()}"

    def _review_seats(self, today: date, view: OrganisationView, at: datetime) -> Message:
        org = view.organisation
        reference = view.next_reference_date
        body = (
            f"It is the start of the month: time to review the seats billed to {org.name}.\n"
            f"\n"
            f"{view.active_seats} seat(s) are active and billed to {org.name} today. The next "
            f"reference date, on which seats are counted, is {reference.isoformat()}.\n"
            f"\n"
            f"* Check which seats are active.\n"
            f"* Seats that moved to another organisation: transfer their billing (the other "
            f"organisation must approve on or before {reference.isoformat()} for it to count).\n"
            f"* Seats no longer used, or paused: deactivate or complete them. A seat "
            f"deactivated on or before {reference.isoformat()} is not billed for that date.\n"
        )
        return Message(
            id=self._id(MessageKind.REVIEW_SEATS, view, today),
            kind=MessageKind.REVIEW_SEATS,
            org=org.id,
            subject=(
                f"Review your {view.active_seats} active seat(s) before {reference.isoformat()}"
            ),
            body=body,
            data={
                "date": today.isoformat(),
                "active_seats": view.active_seats,
                "reference_date": reference.isoformat(),
            },
            created_at=at,
        )

    def _pending_transfers(
        self,
        today: date,
        view: OrganisationView,
        pending: Sequence[TransferRequest],
        at: datetime,
    ) -> Message:
        org = view.organisation
        reference = view.next_reference_date
        days_left = (reference - today).days
        when = "today" if days_left == 0 else f"in {days_left} day(s)"
        listed = "\n".join(
            f"* {r.id}: seat {r.seat} to {r.receiver}, sent on {r.requested_on.isoformat()}"
            + (f", expires after {r.expires_on.isoformat()}" if r.expires_on else "")
            for r in pending
        )
        last_day = (
            "Today is the last day: an approval today still counts, and a seat deactivated "
            "today is not billed for it."
            if days_left == 0
            else "Approval on or before the reference date still counts."
        )
        body = (
            f"Seats are counted on {reference.isoformat()}, {when}. These transfer requests "
            f"sent by {org.name} have not been approved yet:\n"
            f"\n"
            f"{listed}\n"
            f"\n"
            f"If they are not approved by then, they will still be billed to you for this "
            f"period: withdraw the request, chase the receiving organisation to approve it, "
            f"or deactivate the seat (the receiving organisation can reactivate it later). "
            f"{last_day}\n"
        )
        return Message(
            id=self._id(MessageKind.PENDING_TRANSFERS, view, today),
            kind=MessageKind.PENDING_TRANSFERS,
            org=org.id,
            subject=(
                f"{len(pending)} transfer request(s) not yet approved: billed to you on "
                f"{reference.isoformat()} unless approved"
            ),
            body=body,
            data={
                "date": today.isoformat(),
                "reference_date": reference.isoformat(),
                "days_left": days_left,
                "requests": [
                    {
                        "request": r.id,
                        "seat": r.seat,
                        "receiver": r.receiver,
                        "requested_on": r.requested_on.isoformat(),
                        "expires_on": r.expires_on.isoformat() if r.expires_on else None,
                    }
                    for r in pending
                ],
            },
            created_at=at,
        )

    def _licence_limit(
        self, today: date, view: OrganisationView, licensed: int, at: datetime
    ) -> Message:
        org = view.organisation
        reference = view.next_reference_date
        over = view.active_seats - licensed
        contract = view.contract
        price = contract.overage_price if contract is not None else None
        currency = org.currency
        if over > 0:
            cost = (
                f" at {currency} {money_text(price, currency)} each "
                f"({currency} {money_text(price * over, currency)} excl. VAT)"
                if price is not None
                else ""
            )
            state = (
                f"{view.active_seats} seats are active, {over} more than the {licensed} "
                f"licensed. If that is still so on {reference.isoformat()}, the {over} extra "
                f"seat(s) are billed as overage{cost}."
            )
            subject = f"{over} seat(s) over your licensed {licensed}"
        else:
            each = f" at {currency} {money_text(price, currency)} each" if price is not None else ""
            state = (
                f"{view.active_seats} seats are active: exactly the {licensed} licensed. Any "
                f"seat added by {reference.isoformat()} is billed as overage{each}."
            )
            subject = f"At your licence limit: {view.active_seats} of {licensed} seats in use"
        body = (
            f"{state}\n"
            f"\n"
            f"Seats are counted on {reference.isoformat()}. Deactivate seats no longer used "
            f"before then, or ask the vendor to raise the licensed count.\n"
        )
        overage_price: JsonValue = money_text(price, currency) if price is not None else None
        return Message(
            id=self._id(MessageKind.LICENCE_LIMIT, view, today),
            kind=MessageKind.LICENCE_LIMIT,
            org=org.id,
            subject=subject,
            body=body,
            data={
                "date": today.isoformat(),
                "reference_date": reference.isoformat(),
                "active_seats": view.active_seats,
                "licensed": licensed,
                "over": max(over, 0),
                "overage_price": overage_price,
                "currency": currency,
            },
            created_at=at,
        )

    def _trial_ending(
        self,
        today: date,
        view: OrganisationView,
        contract: Contract,
        last: date,
        at: datetime,
    ) -> Message:
        org = view.organisation
        days_left = (last - today).days
        when = "today" if days_left == 0 else f"in {days_left} day(s), on {last.isoformat()}"
        after = last + timedelta(days=1)
        if contract.plan is None:
            what = (
                f"From {after.isoformat()}, {org.name} will have no active subscription until "
                f"a plan is chosen. Choose a plan (and an automatic payment method) to keep "
                f"using your seats without interruption."
            )
        else:
            what = (
                f"From {after.isoformat()}, {org.name} is invoiced on plan {contract.plan} "
                f"({contract.cadence.value})."
            )
        ends = "ends today" if days_left == 0 else f"ends {when}"
        return Message(
            id=self._id(MessageKind.TRIAL_ENDING, view, today),
            kind=MessageKind.TRIAL_ENDING,
            org=org.id,
            subject=f"Your trial {ends}",
            body=f"The trial of {org.name} {ends}.\n\n{what}\n",
            data={
                "date": today.isoformat(),
                "trial_until": last.isoformat(),
                "days_left": days_left,
                "plan": contract.plan,
            },
            created_at=at,
        )
