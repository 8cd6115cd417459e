"""Use cases of operators and the audit trail: register an operator, list them, ask who did what.

Registering the first operator closes the ledger for good: from then on
every write is checked against ``authorisation.Authorisation`` (there is no
removal of operators, so a closed ledger never opens again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from returns.result import Failure, Result, Success

from seatledger.domain.audit import AuditEntry, AuditFilter, day_bounds
from seatledger.domain.authorisation import Action, Operator, valid_passphrase
from seatledger.domain.errors import LedgerError, RangeReversed
from seatledger.domain.identifiers import OrgId, seat_id, valid_text
from seatledger.domain.ports import PinHasher
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.services.access import POLICY, SYSTEM_ACTOR, may_read, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation


def add_operator(
    services: Services,
    name: str,
    *,
    actor: str = SYSTEM_ACTOR,
    passphrase: str | None = None,
    pins: PinHasher | None = None,
) -> Result[Operator, LedgerError]:
    """Register ``name`` as an operator; the first one closes the ledger.

    In a closed ledger only an operator may add another. Adding a name that
    is an operator already changes nothing and returns it. With a
    ``passphrase`` (hashed by ``pins``, never stored as given) the operator
    can prove who they are, as unlocking an admin without a PIN needs.
    """
    credential: str | None = None
    if passphrase is not None:
        checked_pass = valid_passphrase(passphrase)
        if isinstance(checked_pass, Failure):
            return Failure(checked_pass.failure())
        if pins is None:
            raise ValueError("a passphrase needs a hasher (pins)")
        credential = pins.hash(checked_pass.unwrap())
    checked = valid_text("operator", name)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    checked_actor = valid_text("actor", actor)
    if isinstance(checked_actor, Failure):
        return Failure(checked_actor.failure())
    who, new_name = checked_actor.unwrap(), checked.unwrap()
    with services.uow.transaction(write=True) as store:
        allowed = POLICY.check_operator_task(standing(store, who), Action.OPERATOR_ADD)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        existing = next((o for o in store.operators() if o.name == new_name), None)
        if existing is not None:
            return Success(existing)
        closes = not store.operators()
        recorded = assign_recorded_at(services.clock, store.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        operator = Operator(new_name, recorded.unwrap(), who, credential)
        store.add_operator(operator)
        record(
            store, recorded.unwrap(), who, allowed.unwrap(), Action.OPERATOR_ADD,
            subject=new_name,
            text=f"operator {new_name} added"
            + (" with a passphrase" if credential else "")
            + ("; the ledger is now closed" if closes else ""),
        )  # fmt: skip
        services.uow.commit()
        return Success(operator)


def list_operators(services: Services) -> Sequence[Operator]:
    """Every operator, in the order they were added (none: the ledger is open)."""
    with services.uow.transaction(write=False) as store:
        return list(store.operators())


def audit_trail(
    services: Services,
    *,
    org: str | None = None,
    seat: str | None = None,
    first: date | None = None,
    last: date | None = None,
    reader: str | None = None,
) -> Result[Sequence[AuditEntry], LedgerError]:
    """Who did what and when: entries of ``org`` (either side of a transfer) and/or ``seat``,
    recorded on the days ``first`` to ``last`` (both included; in ``org``'s time zone, else UTC).
    """
    if first is not None and last is not None and first > last:
        return Failure(RangeReversed(first, last))
    chosen_seat = None
    if seat is not None:
        checked_seat = seat_id(seat)
        if isinstance(checked_seat, Failure):
            return Failure(checked_seat.failure())
        chosen_seat = checked_seat.unwrap()
    with services.uow.transaction(write=False) as store:
        # A seat's trail: an admin of any organisation the seat has belonged to.
        orgs = [OrgId(org)] if org is not None else []
        if org is None and chosen_seat is not None:
            orgs = sorted({f.org for f in store.seat_facts(chosen_seat) if f.org is not None})
        allowed = may_read(store, reader, "the audit trail", *orgs)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        since, until = day_bounds(first, last, "UTC")
        chosen_org: OrgId | None = None
        if org is not None:
            found = require_organisation(store, org)
            if isinstance(found, Failure):
                return Failure(found.failure())
            organisation = found.unwrap()
            chosen_org = organisation.id
            # Each day in the zone the organisation had that day (decision 0022).
            if first is not None:
                since = day_bounds(first, None, organisation.zone_on(first))[0]
            if last is not None:
                until = day_bounds(None, last, organisation.zone_on(last))[1]
        return Success(list(store.audit(AuditFilter(chosen_org, chosen_seat, since, until))))
