"""Use cases of notifications: contacts, reminders due today, and delivering the outbox."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import date, datetime

import attrs
from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import Action, Role
from seatledger.domain.contracts import contract_in_force
from seatledger.domain.dates import Period
from seatledger.domain.deadlines import sender_deadline
from seatledger.domain.errors import InvalidText, LedgerError
from seatledger.domain.identifiers import OrgId
from seatledger.domain.notifications import Channel, Contact, Message, Notifier, Undeliverable
from seatledger.domain.outbox import (
    DeliveryStatus,
    OutboxEntry,
    RetrySchedule,
    after_attempt,
    channels_for,
)
from seatledger.domain.ports import Store
from seatledger.domain.reminders import OrganisationView, ReminderPolicy
from seatledger.domain.services.access import POLICY, SYSTEM_ACTOR, may_read, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation
from seatledger.domain.transfers import transfer_requests
from seatledger.domain.webhook_urls import check_webhook_url

_EMAIL_SHAPE = "@"
MAX_SECRET = 500  # the column's width on PostgreSQL
DEFAULT_POLICY = ReminderPolicy()
DEFAULT_SCHEDULE = RetrySchedule()


def set_contact(
    services: Services,
    org: str,
    *,
    emails: Sequence[str] | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    rotate_secret: bool = False,
    end_rotation: bool = False,
    actor: str = SYSTEM_ACTOR,
) -> Result[Contact, LedgerError]:
    """Set where an organisation's notifications go; options left out keep their values.

    ``rotate_secret``: ``webhook_secret`` replaces the current one, which is kept
    as the previous secret (deliveries carry both signatures) until the next
    secret is set or ``end_rotation``. Setting a URL or a secret again enables
    a webhook disabled by a 410 Gone.
    """
    if rotate_secret and webhook_secret is None:
        return Failure(InvalidText("webhook secret", "a rotation needs the new secret"))
    if (
        webhook_secret is not None
        and webhook_secret.startswith(WHSEC)
        and not _is_base64(webhook_secret[len(WHSEC) :])
    ):
        return Failure(
            InvalidText("webhook secret", "a whsec_ secret is base64 (16 bytes or more) after it")
        )
    for address in emails or ():
        if _EMAIL_SHAPE not in address or len(address) > 254 or any(c.isspace() for c in address):
            return Failure(InvalidText("e-mail", f"{address!r} is not an e-mail address"))
    if webhook_url is not None:
        checked_url = check_webhook_url(webhook_url, services.webhook_hosts)
        if isinstance(checked_url, Failure):
            return Failure(checked_url.failure())
    if webhook_secret is not None and len(webhook_secret) < 16:
        return Failure(InvalidText("webhook secret", "must be at least 16 characters"))
    if webhook_secret is not None and len(webhook_secret) > MAX_SECRET:
        return Failure(InvalidText("webhook secret", f"must be at most {MAX_SECRET} characters"))
    with services.uow.transaction(write=True) as store:
        found = require_organisation(store, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        allowed = POLICY.check_contact(standing(store, actor, found.unwrap().id), found.unwrap().id)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        current = store.get_contact(found.unwrap().id) or Contact(found.unwrap().id)
        updated = attrs.evolve(
            current,
            emails=tuple(emails) if emails is not None else current.emails,
            webhook_url=webhook_url if webhook_url is not None else current.webhook_url,
            webhook_secret=webhook_secret if webhook_secret is not None else current.webhook_secret,
            previous_secret=(
                current.webhook_secret
                if rotate_secret
                else None
                if webhook_secret is not None or end_rotation
                else current.previous_secret
            ),
            webhook_disabled_at=(
                None
                if webhook_url is not None or webhook_secret is not None
                else current.webhook_disabled_at
            ),
        )
        if updated.webhook_url and not updated.webhook_secret:
            return Failure(
                InvalidText("webhook secret", "a webhook URL needs a secret to sign with")
            )
        store.set_contact(updated)
        # Secrets never reach the trail: only which channels are set.
        record(
            store, services.clock.now(), actor, allowed.unwrap(), Action.ORG_CONTACT,
            org=updated.org,
            text=f"{len(updated.emails)} e-mail address(es), webhook "
            + ("set" if updated.webhook_url else "none"),
        )  # fmt: skip
        services.uow.commit()
        return Success(updated)


WHSEC = "whsec_"


def _is_base64(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) >= 16
    except binascii.Error:
        return False


def get_contact(
    services: Services, org: str, *, reader: str | None = None
) -> Result[Contact, LedgerError]:
    with services.uow.transaction(write=False) as store:
        allowed = may_read(store, reader, "the contact", OrgId(org))
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        found = require_organisation(store, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        return Success(store.get_contact(found.unwrap().id) or Contact(found.unwrap().id))


def organisation_view(store: Store, org: OrgId, today: date) -> OrganisationView:
    """What the reminder policy needs to know about ``org`` on ``today``."""
    organisation = store.get_organisation(org)
    assert organisation is not None
    contract = contract_in_force(store.contracts(org), Period.containing(today))
    pending = [
        r
        for r in transfer_requests(store.transfer_facts(org))
        if r.sender == org and r.is_pending_on(today)
    ]
    return OrganisationView.of(
        organisation,
        today,
        active_seats=store.count_billable(org, today, None),
        contract=contract,
        outgoing_pending=pending,
    )


def deadline_for(store: Store, org: OrgId, today: date) -> date:
    """The next date ``org``'s seats are counted on: a request it sent must be approved by then."""
    return sender_deadline(store.contracts(org), today)


@frozen
class ReminderReport:
    due: tuple[Message, ...]
    new: int


def remind(
    services: Services, policy: ReminderPolicy = DEFAULT_POLICY, *, actor: str = SYSTEM_ACTOR
) -> Result[ReminderReport, LedgerError]:
    """Enqueue today's reminders for every organisation.

    Reminder ids name their day, so running this again the same day enqueues
    nothing new, and nothing is sent twice.
    """
    with services.uow.transaction(write=True) as store:
        allowed = POLICY.check_operator_task(standing(store, actor), Action.REMIND)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        due: list[Message] = []
        for organisation in store.list_organisations():
            today = organisation.today(services.clock.today)
            due += policy.due(today, organisation_view(store, organisation.id, today))
        new = store.enqueue(due, services.clock.now()) if due else 0
        if new:
            record(
                store, services.clock.now(), actor, allowed.unwrap(), Action.REMIND,
                text=f"{new} reminder(s) enqueued",
            )  # fmt: skip
        services.uow.commit()
        return Success(ReminderReport(tuple(due), new))


@frozen
class DeliveryReport:
    attempted: int
    delivered: int
    waiting: int
    undeliverable: int
    entries: tuple[OutboxEntry, ...]


def deliver_due(
    services: Services,
    notifiers: Sequence[Notifier],
    *,
    limit: int = 100,
    schedule: RetrySchedule = DEFAULT_SCHEDULE,
) -> DeliveryReport:
    """``deliver`` in an open ledger (a closed one refuses its system actor: use ``deliver``)."""
    return deliver(services, notifiers, limit=limit, schedule=schedule).unwrap()


def deliver(
    services: Services,
    notifiers: Sequence[Notifier],
    *,
    limit: int = 100,
    schedule: RetrySchedule = DEFAULT_SCHEDULE,
    actor: str = SYSTEM_ACTOR,
) -> Result[DeliveryReport, LedgerError]:
    """Deliver the messages due now, each over the channels its organisation has.

    Messages are claimed for a lease in one short transaction and sent
    outside it; each outcome is recorded in its own transaction, so a crash
    loses at most the record of an attempt, and the message is sent again
    once its lease has run out (at-least-once).
    """
    # Due is everything up to the latest instant the clock stands for: on a simulated
    # day, messages recorded after its midnight are due that same day.
    due_by = services.clock.latest()
    by_channel = {n.channel: n for n in notifiers}
    with services.uow.transaction(write=True) as store:
        allowed = POLICY.check_operator_task(standing(store, actor), Action.DELIVER)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        claimed = list(store.claim_due(due_by, due_by + schedule.lease, limit))
        if claimed:
            record(
                store, services.clock.now(), actor, allowed.unwrap(), Action.DELIVER,
                text=f"{len(claimed)} message(s) claimed for delivery",
            )  # fmt: skip
        services.uow.commit()
    finished: list[OutboxEntry] = []
    for entry in claimed:
        with services.uow.transaction(write=False) as store:
            contact = store.get_contact(entry.message.org) or Contact(entry.message.org)
        channels = channels_for(contact, frozenset(by_channel)) - entry.delivered_channels
        results = {ch: by_channel[ch].send(entry.message, contact) for ch in sorted(
            channels, key=lambda c: c.value)}  # fmt: skip
        updated = after_attempt(entry, results, services.clock.now(), schedule)
        gone = results.get(Channel.WEBHOOK)
        with services.uow.transaction(write=True) as store:
            store.save_entry(updated)
            if isinstance(gone, Undeliverable) and gone.gone:
                _disable_webhook(store, services.clock.now(), actor, allowed.unwrap(), entry)
            services.uow.commit()
        finished.append(updated)
    return Success(DeliveryReport(
        attempted=len(finished),
        delivered=sum(1 for e in finished if e.status is DeliveryStatus.DELIVERED),
        waiting=sum(1 for e in finished if e.status is DeliveryStatus.PENDING),
        undeliverable=sum(1 for e in finished if e.status is DeliveryStatus.UNDELIVERABLE),
        entries=tuple(finished),
    ))  # fmt: skip


def _disable_webhook(
    store: Store, at: datetime, actor: str, role: Role, entry: OutboxEntry
) -> None:
    """The receiver answered 410 Gone: send it nothing more until the contact is set again."""
    current = store.get_contact(entry.message.org)
    if current is None or current.webhook_disabled_at is not None:
        return
    store.set_contact(attrs.evolve(current, webhook_disabled_at=at))
    record(
        store, at, actor, role, Action.ORG_CONTACT, org=current.org,
        text=f"webhook disabled: the receiver answered 410 Gone to {entry.message.id}",
    )  # fmt: skip


def outbox(
    services: Services, status: DeliveryStatus | None = None, limit: int = 100
) -> Sequence[OutboxEntry]:
    with services.uow.transaction(write=False) as store:
        return list(store.outbox(status, limit))
