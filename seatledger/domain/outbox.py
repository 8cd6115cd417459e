"""The outbox: messages written with the facts that cause them, delivered later, at least once.

A message is enqueued in the same transaction as the fact that causes it, so
a change that is rolled back sends nothing. Delivery claims due messages
for a lease, sends them outside any transaction, and records the outcome;
a deliverer that dies mid-way leaves its messages to be claimed again when
the lease runs out. A message may therefore arrive twice, never zero times:
receivers deduplicate on its id.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs
from attrs import frozen

from seatledger.domain.notifications import (
    Channel,
    Contact,
    Delivered,
    DeliveryResult,
    Message,
    RetryLater,
    Undeliverable,
)


class DeliveryStatus(enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"


@frozen
class OutboxEntry:
    """A message and how far its delivery has come."""

    message: Message
    enqueued_at: datetime
    next_attempt_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    delivered_channels: frozenset[Channel] = frozenset()
    last_error: str | None = None
    delivered_at: datetime | None = None


@frozen
class RetrySchedule:
    """When to try a message again after a failed attempt, and when to give up.

    ``lease`` is how long a claimed message is left to its deliverer before
    another may claim it (a deliverer that died).
    """

    delays: tuple[timedelta, ...] = (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    )
    lease: timedelta = timedelta(minutes=5)

    def delay_after(self, attempts: int) -> timedelta | None:
        """The wait after ``attempts`` failed attempts; None when it is time to give up."""
        if attempts > len(self.delays):
            return None
        return self.delays[attempts - 1]


def channels_for(contact: Contact, available: frozenset[Channel]) -> frozenset[Channel]:
    """The channels a message to this contact goes out on: the log always, if there is
    one; e-mail if the contact has addresses; a webhook if it has a URL and the receiver
    has not answered 410 Gone since the contact was last set."""
    wanted = {Channel.LOG}
    if contact.emails:
        wanted.add(Channel.EMAIL)
    if contact.webhook_url and contact.webhook_disabled_at is None:
        wanted.add(Channel.WEBHOOK)
    return frozenset(wanted) & available


def after_attempt(
    entry: OutboxEntry,
    results: Mapping[Channel, DeliveryResult],
    now: datetime,
    schedule: RetrySchedule,
) -> OutboxEntry:
    """The entry after one delivery attempt on some channels.

    Channels that delivered are remembered and not used again. If any
    channel asks to retry, the message waits for the schedule's next delay
    (or is given up once the schedule is exhausted); otherwise it is
    delivered if any channel took it, else undeliverable.
    """
    delivered = entry.delivered_channels | {
        ch for ch, result in results.items() if isinstance(result, Delivered)
    }
    errors = [
        f"{ch.value}: {result.reason}"
        for ch, result in sorted(results.items(), key=lambda item: item[0].value)
        if isinstance(result, RetryLater | Undeliverable)
    ]
    attempts = entry.attempts + 1
    retry = any(isinstance(result, RetryLater) for result in results.values())
    if retry:
        delay = schedule.delay_after(attempts)
        asked = max(
            (r.wait for r in results.values() if isinstance(r, RetryLater) and r.wait), default=0
        )
        if delay is not None and asked:
            # The receiver's Retry-After, when it asks for longer than the schedule would wait.
            delay = max(delay, timedelta(seconds=asked))
        if delay is not None:
            return attrs.evolve(
                entry,
                attempts=attempts,
                delivered_channels=delivered,
                next_attempt_at=now + delay,
                last_error="; ".join(errors),
            )
        errors.append(f"gave up after {attempts} attempts")
    if delivered:
        return attrs.evolve(
            entry,
            status=DeliveryStatus.DELIVERED,
            attempts=attempts,
            delivered_channels=delivered,
            delivered_at=now,
            last_error="; ".join(errors) or None,
        )
    return attrs.evolve(
        entry,
        status=DeliveryStatus.UNDELIVERABLE,
        attempts=attempts,
        last_error="; ".join(errors) or "no channel to deliver on",
    )
