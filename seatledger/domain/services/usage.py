"""Use cases of recorded usage: list it, correct a record, retract one.

Recording usage is ``contracts.record_usage``. A correction appends a new
record and a supersession naming the old one; a retraction appends a
supersession alone. Nothing is changed or deleted, so usage "as known at"
an earlier instant answers as it did (INV-2), and the next billing run,
which recomputes earlier invoices with today's knowledge, settles the
difference as an adjustment.
"""

from __future__ import annotations

from datetime import date, datetime

from returns.result import Failure, Result, Success

from seatledger.domain import usage as usage_rules
from seatledger.domain.authorisation import Action
from seatledger.domain.dates import check_range, iso_instant
from seatledger.domain.errors import (
    FutureDate,
    InvalidQuantity,
    LedgerError,
    ReasonRequired,
    UnknownUsageRecord,
    UsageNotCorrectable,
)
from seatledger.domain.identifiers import OrgId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead, Store
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.services.access import POLICY, may_read, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.contracts import MAX_USAGE_QUANTITY
from seatledger.domain.services.organisations import require_organisation
from seatledger.domain.services.seats import check_actor_and_reason
from seatledger.domain.usage import UsageEntry, UsageListing, UsageRecord, UsageSupersession


def list_usage(
    services: Services,
    org: str,
    *,
    first: date | None = None,
    last: date | None = None,
    known_at: datetime | None = None,
    reader: str | None = None,
) -> Result[UsageListing, LedgerError]:
    """Every usage record of ``org`` dated within ``[first, last]``, as known at ``known_at``
    (None: now, stated as the last recorded instant), each with its correction or retraction."""
    if first is not None and last is not None:
        checked = check_range(first, last)
        if isinstance(checked, Failure):
            return Failure(checked.failure())
    with services.uow.transaction(write=False) as store:
        allowed = may_read(store, reader, "the usage", OrgId(org))
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        found = require_organisation(store, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        organisation = found.unwrap()
        cut = known_at if known_at is not None else store.head().last_recorded_at
        records = store.usage_history(organisation.id, first, last, cut)
        withdrawn = store.usage_supersessions(organisation.id, cut)
        return Success(
            UsageListing(
                organisation.id, first, last, cut, usage_rules.entries(records, withdrawn, cut)
            )
        )


def correct_usage(
    services: Services,
    seq: int,
    *,
    quantity: int,
    on: date | None = None,
    reason: str | None,
    actor: str,
) -> Result[UsageEntry, LedgerError]:
    """Record that usage record ``seq`` really was ``quantity`` uses on ``on`` (default: its
    own date): a new record supersedes it; it stays listed, marked corrected."""
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    if not why:
        return Failure(ReasonRequired("a usage correction"))
    if not 1 <= quantity <= MAX_USAGE_QUANTITY:
        return Failure(InvalidQuantity(str(quantity)))
    with services.uow.transaction(write=True) as store:
        target = _withdrawable(store, seq)
        if isinstance(target, Failure):
            return Failure(target.failure())
        old, organisation = target.unwrap()
        allowed = POLICY.check_usage(
            standing(store, who, organisation.id), organisation.id, Action.USAGE_CORRECT
        )
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        today = organisation.today(services.clock.today)
        day = on or old.on
        if day > today:
            return Failure(FutureDate(day, today))
        if (quantity, day) == (old.quantity, old.on):
            return Failure(
                UsageNotCorrectable(seq, f"it already says {quantity} on {day.isoformat()}")
            )
        head = store.head()
        recorded = assign_recorded_at(services.clock, head)
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        at = recorded.unwrap()
        new = UsageRecord(head.last_seq + 1, old.org, old.kind, quantity, day, at, who)
        withdrawal = UsageSupersession(old.seq, old.org, new.seq, why, at, who)
        store.add_usage(new, LedgerHead(new.seq, at))
        store.add_usage_supersession(withdrawal, LedgerHead(new.seq, at))
        record(
            store, at, who, allowed.unwrap(), Action.USAGE_CORRECT,
            org=organisation.id, subject=f"usage #{new.seq}",
            text=f"corrects usage #{old.seq} ({old.quantity} x {old.kind} on "
            f"{old.on.isoformat()}) to {new.quantity} on {new.on.isoformat()}; reason: {why}",
        )  # fmt: skip
        services.uow.commit()
        return Success(UsageEntry(new, corrects=withdrawal))


def retract_usage(
    services: Services, seq: int, *, reason: str | None, actor: str
) -> Result[UsageEntry, LedgerError]:
    """Record that usage record ``seq`` never happened: it stays listed, marked retracted,
    and is billed no more from now on."""
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    if not why:
        return Failure(ReasonRequired("a usage retraction"))
    with services.uow.transaction(write=True) as store:
        target = _withdrawable(store, seq)
        if isinstance(target, Failure):
            return Failure(target.failure())
        old, organisation = target.unwrap()
        allowed = POLICY.check_usage(
            standing(store, who, organisation.id), organisation.id, Action.USAGE_RETRACT
        )
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        head = store.head()
        recorded = assign_recorded_at(services.clock, head)
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        at = recorded.unwrap()
        withdrawal = UsageSupersession(old.seq, old.org, None, why, at, who)
        store.add_usage_supersession(withdrawal, LedgerHead(head.last_seq, at))
        record(
            store, at, who, allowed.unwrap(), Action.USAGE_RETRACT,
            org=organisation.id, subject=f"usage #{old.seq}",
            text=f"retracts usage #{old.seq} ({old.quantity} x {old.kind} on "
            f"{old.on.isoformat()}); reason: {why}",
        )  # fmt: skip
        services.uow.commit()
        return Success(UsageEntry(old, superseded=withdrawal))


def _withdrawable(store: Store, seq: int) -> Result[tuple[UsageRecord, Organisation], LedgerError]:
    """A usage record nothing has superseded yet, with its organisation."""
    found = store.usage_record(seq)
    if found is None:
        return Failure(UnknownUsageRecord(str(seq)))
    earlier = store.usage_supersession(seq)
    if earlier is not None:
        how = (
            "it was already retracted"
            if earlier.retraction
            else f"it was already corrected by usage record #{earlier.replaced_by}"
        )
        return Failure(UsageNotCorrectable(seq, f"{how} at {iso_instant(earlier.recorded_at)}"))
    organisation = store.get_organisation(found.org)
    if organisation is None:
        raise AssertionError(f"usage record #{seq} names an unknown organisation")
    return Success((found, organisation))
