"""Guessing a PIN or a passphrase is slowed down: a wait that grows with each wrong one.

Before a secret is checked, the use case waits ``delay_after(failures)``
seconds, ``failures`` being the wrong ones so far: an admin's counted wrong
PINs (reset by a right one), an operator's wrong passphrases in the past day
(read from the audit trail, where each is written). The wait comes before the
check and outside any write transaction, so it holds no lock, and a caller
who gives up early learns nothing: the secret has not been checked yet
(decision 0038). Every wrong secret is audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from seatledger.domain.audit import AuditFilter
from seatledger.domain.authorisation import Action, Role
from seatledger.domain.errors import WrongPin
from seatledger.domain.identifiers import OrgId
from seatledger.domain.ports import Store
from seatledger.domain.services.access import record
from seatledger.domain.services.context import Services

BASE_DELAY: Final = 0.25  # seconds, after the first wrong secret
MAX_DELAY: Final = 30.0
PASSPHRASE_WINDOW: Final = timedelta(days=1)


def delay_after(failures: int) -> float:
    """0 with no wrong secret so far, then 0.25 s doubling with each, at most 30 s."""
    if failures <= 0:
        return 0.0
    return float(min(MAX_DELAY, BASE_DELAY * 2.0 ** min(failures - 1, 16)))


def _wait(services: Services, failures: int) -> None:
    delay = delay_after(failures)
    if delay and services.pause is not None:
        services.pause(delay)


def wait_before_pin(services: Services, org: str, admin: str) -> None:
    """Wait as long as the admin's wrong PINs so far ask, before their PIN is checked."""
    if services.pause is None:
        return
    with services.uow.transaction(write=False) as store:
        found = store.get_admin(OrgId(org), admin)
        failures = found.failed_attempts if found is not None else 0
    _wait(services, failures)


def wrong_passphrases(store: Store, operator: str, services: Services) -> int:
    since = services.clock.now() - PASSPHRASE_WINDOW
    return sum(
        1
        for e in store.audit(AuditFilter(since=since))
        if e.action is Action.OPERATOR_WRONG_PASSPHRASE and e.subject == operator
    )


def wait_before_passphrase(services: Services, operator: str) -> None:
    """Wait as long as the operator's wrong passphrases of the past day ask."""
    if services.pause is None:
        return
    with services.uow.transaction(write=False) as store:
        failures = wrong_passphrases(store, operator, services)
    _wait(services, failures)


def keep_wrong_pin(
    services: Services, store: Store, failure: WrongPin, actor: str, role: Role
) -> None:
    """Audit a wrong PIN and commit it with its counted attempt (and nothing else)."""
    record(
        store, services.clock.now(), actor, role, Action.ADMIN_WRONG_PIN,
        org=OrgId(failure.org), subject=failure.admin,
        text=f"wrong PIN for admin {failure.admin}; {failure.attempts_left} attempt(s) left",
    )  # fmt: skip
    services.uow.commit()


def keep_wrong_passphrase(services: Services, store: Store, operator: str, role: Role) -> None:
    """Audit a wrong passphrase (it counts towards the next wait) and commit only that."""
    record(
        store, services.clock.now(), operator, role, Action.OPERATOR_WRONG_PASSPHRASE,
        subject=operator, text=f"wrong passphrase for operator {operator}",
    )  # fmt: skip
    services.uow.commit()
