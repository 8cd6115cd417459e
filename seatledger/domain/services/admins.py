"""Admins and their PINs: adding, authenticating with lockout, unlocking.

A PIN reaches the domain only to be hashed or checked by the ``PinHasher``
port; it is never stored, logged or returned. After
``MAX_FAILED_ATTEMPTS`` wrong PINs in a row an admin is locked; a correct
PIN before that resets the count. Only another admin of the same
organisation, with their own PIN, unlocks a locked admin.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from returns.result import Failure, Result, Success

from seatledger.domain.admins import MAX_FAILED_ATTEMPTS, Admin, valid_pin
from seatledger.domain.authorisation import Action
from seatledger.domain.errors import (
    AdminExists,
    AdminLocked,
    CannotUnlockSelf,
    LedgerError,
    UnknownAdmin,
    WrongPin,
)
from seatledger.domain.identifiers import OrgId, valid_id, valid_text
from seatledger.domain.ports import LedgerRepository, PinHasher
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.services.access import (
    POLICY,
    SYSTEM_ACTOR,
    WRONG_PASSPHRASE,
    authenticated_operator,
    may_read,
    record,
    standing,
)
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation
from seatledger.domain.services.throttle import (
    keep_wrong_passphrase,
    keep_wrong_pin,
    wait_before_passphrase,
    wait_before_pin,
)


def add_admin(
    services: Services,
    pins: PinHasher,
    org: str,
    admin: str,
    pin: str,
    *,
    actor: str = SYSTEM_ACTOR,
) -> Result[Admin, LedgerError]:
    """Give ``org`` an admin with a personal PIN (stored only as a slow, salted hash).

    In a closed ledger only an operator may (``actor``).
    """
    checked_actor = valid_text("actor", actor)
    if isinstance(checked_actor, Failure):
        return Failure(checked_actor.failure())
    who = checked_actor.unwrap()
    checked_id = valid_id("admin", admin)
    if isinstance(checked_id, Failure):
        return Failure(checked_id.failure())
    checked_pin = valid_pin(pin)
    if isinstance(checked_pin, Failure):
        return Failure(checked_pin.failure())
    with services.uow.transaction(write=True) as ledger:
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        organisation = found.unwrap()
        allowed = POLICY.check_operator_task(
            standing(ledger, who), Action.ADMIN_ADD, organisation.id
        )
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        if ledger.get_admin(organisation.id, admin) is not None:
            return Failure(AdminExists(organisation.id, admin))
        recorded = assign_recorded_at(services.clock, ledger.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        new = Admin(organisation.id, checked_id.unwrap(), pins.hash(checked_pin.unwrap()))
        ledger.add_admin(new)
        record(
            ledger, recorded.unwrap(), who, allowed.unwrap(), Action.ADMIN_ADD,
            org=organisation.id, subject=new.id, text=f"admin {new.id} added",
        )  # fmt: skip
        services.uow.commit()
        return Success(new)


def list_admins(
    services: Services, org: str, *, reader: str | None = None
) -> Result[Sequence[Admin], LedgerError]:
    with services.uow.transaction(write=False) as ledger:
        allowed = may_read(ledger, reader, "the admins", OrgId(org))
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        return Success(list(ledger.list_admins(found.unwrap().id)))


def authenticate(
    ledger: LedgerRepository, pins: PinHasher, org: OrgId, admin: str, pin: str
) -> Result[Admin, LedgerError]:
    """Check an admin's PIN inside the caller's write transaction.

    A wrong PIN is counted in ``ledger`` and returned as ``WrongPin``: the
    caller commits the count (and nothing else) before refusing the command.
    """
    found = ledger.get_admin(org, admin)
    if found is None:
        return Failure(UnknownAdmin(org, admin))
    if found.locked:
        return Failure(AdminLocked(org, admin))
    if not pins.verify(pin, found.pin_hash):
        attempts = found.failed_attempts + 1
        locked = attempts >= MAX_FAILED_ATTEMPTS
        ledger.save_admin(attrs.evolve(found, failed_attempts=attempts, locked=locked))
        return Failure(WrongPin(org, admin, max(0, MAX_FAILED_ATTEMPTS - attempts)))
    if found.failed_attempts:
        found = attrs.evolve(found, failed_attempts=0)
        ledger.save_admin(found)
    return Success(found)


def unlock_admin(
    services: Services,
    pins: PinHasher,
    org: str,
    admin: str,
    *,
    by: str | None,
    pin: str | None,
    actor: str = SYSTEM_ACTOR,
    passphrase: str | None = None,
) -> Result[Admin, LedgerError]:
    """Another admin of the same organisation (``by``) unlocks a locked admin with their own
    PIN; in a closed ledger an operator who proves who they are with their ``passphrase``
    may also unlock without one (``by`` None). An open ledger always needs the PIN."""
    checked_actor = valid_text("actor", actor)
    if isinstance(checked_actor, Failure):
        return Failure(checked_actor.failure())
    who = checked_actor.unwrap()
    if by is not None and pin is not None:
        wait_before_pin(services, org, by)
    elif passphrase is not None:
        wait_before_passphrase(services, who)
    with services.uow.transaction(write=True) as ledger:
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        org_id = found.unwrap().id
        target = ledger.get_admin(org_id, admin)
        if target is None:
            return Failure(UnknownAdmin(org_id, admin))
        with_pin = by is not None and pin is not None
        allowed = POLICY.check_unlock(standing(ledger, who, org_id), org_id, with_pin=with_pin)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        if by == admin:
            return Failure(CannotUnlockSelf(org_id, admin))
        if not with_pin:
            proved = authenticated_operator(ledger, pins, who, passphrase)
            if isinstance(proved, Failure):
                if proved.failure().why == WRONG_PASSPHRASE:
                    keep_wrong_passphrase(services, ledger, who, allowed.unwrap())
                return Failure(proved.failure())
        if by is not None and pin is not None:
            unlocker = authenticate(ledger, pins, org_id, by, pin)
            if isinstance(unlocker, Failure):
                wrong = unlocker.failure()
                if isinstance(wrong, WrongPin):
                    keep_wrong_pin(services, ledger, wrong, who, allowed.unwrap())
                return Failure(unlocker.failure())
        recorded = assign_recorded_at(services.clock, ledger.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        unlocked = attrs.evolve(target, failed_attempts=0, locked=False)
        ledger.save_admin(unlocked)
        record(
            ledger, recorded.unwrap(), who, allowed.unwrap(), Action.ADMIN_UNLOCK,
            org=org_id, subject=admin,
            text=f"admin {admin} unlocked"
            + (f" with the PIN of {by}" if with_pin else " by an authenticated operator"),
        )  # fmt: skip
        services.uow.commit()
        return Success(unlocked)
