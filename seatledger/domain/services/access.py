"""Authorising a command and recording it in the audit trail, inside the command's transaction.

Each use case asks ``standing`` what the ledger knows of its actor, asks the
one policy (``POLICY``, an ``Authorisation``) whether that actor may do it,
and, once the change is made, appends its audit entries with ``record`` in
the same transaction: a refused command writes nothing, an allowed one
writes its change and its audit entry together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from returns.result import Failure, Result, Success

from seatledger.domain.audit import AuditEntry, summary
from seatledger.domain.authorisation import Action, Authorisation, Operator, Role, Standing
from seatledger.domain.errors import NotAuthenticated, NotAuthorised
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.ports import PinHasher, Store
from seatledger.domain.seat import ADDON_CHANGES, SeatFact

POLICY: Final = Authorisation()

# The actor of a use case called without one (it may do everything only in an open ledger).
SYSTEM_ACTOR: Final = "seatledger"
WRONG_PASSPHRASE: Final = "wrong passphrase"


def may_read(
    store: Store, reader: str | None, what: str, *orgs: OrgId | None
) -> Result[None, NotAuthorised]:
    """A read in a closed ledger: an operator, or an admin of one of ``orgs`` (decision 0011).

    With no organisation concerned (all of them), only an operator. An open
    ledger stays open, and ``reader`` None (an internal caller) is not checked.
    """
    if reader is None:
        return Success(None)
    concerned = [org for org in orgs if org is not None]
    who = standing(store, reader, *concerned)
    if not who.closed or who.operator or who.admin_of:
        return Success(None)
    return Failure(
        NotAuthorised(
            reader,
            f"read {what}",
            concerned[0] if len(concerned) == 1 else None,
            "only an operator or an admin of the organisation may"
            if concerned
            else "only an operator may (an admin reads their own organisation's)",
        )
    )


def standing(store: Store, actor: str, *orgs: OrgId | None) -> Standing:
    """The actor's roles, as far as the organisations ``orgs`` are concerned."""
    operators = store.operators()
    if not operators:
        return Standing.open(actor)
    return Standing(
        actor,
        closed=True,
        operator=any(o.name == actor for o in operators),
        admin_of=frozenset(
            org for org in orgs if org is not None and store.get_admin(org, actor) is not None
        ),
    )


def authenticated_operator(
    store: Store, pins: PinHasher, actor: str, passphrase: str | None
) -> Result[Operator, NotAuthenticated]:
    """The operator ``actor``, if ``passphrase`` is theirs (checked in constant time).

    An operator registered without a passphrase cannot prove who they are.
    The message never says which part was wrong beyond what the caller knows.
    """
    found = next((o for o in store.operators() if o.name == actor), None)
    if found is None:
        return Failure(NotAuthenticated(actor, "no operator of that name is registered"))
    if found.credential_hash is None:
        return Failure(
            NotAuthenticated(actor, "registered without a passphrase; an operator must add one")
        )
    if passphrase is None:
        return Failure(NotAuthenticated(actor, "no passphrase given (SEATLEDGER_PASSPHRASE)"))
    if not pins.verify(passphrase, found.credential_hash):
        return Failure(NotAuthenticated(actor, WRONG_PASSPHRASE))
    return Success(found)


def record(
    store: Store,
    at: datetime,
    actor: str,
    role: Role,
    action: Action,
    *,
    org: OrgId | None = None,
    other_org: OrgId | None = None,
    seat: SeatId | None = None,
    subject: str | None = None,
    text: str = "",
) -> None:
    """Append one audit entry (call it inside the write transaction, before the commit)."""
    store.add_audit(
        [
            AuditEntry(
                recorded_at=at,
                actor=actor,
                role=role,
                action=action,
                org=org,
                other_org=other_org,
                seat=seat,
                subject=subject,
                summary=summary(text),
            )
        ]
    )


def fact_entry(
    fact: SeatFact,
    actor: str,
    role: Role,
    action: Action,
    *,
    org: OrgId | None,
    other_org: OrgId | None = None,
) -> AuditEntry:
    """The audit entry of a seat fact (its subject is the fact's number)."""
    return AuditEntry(
        recorded_at=fact.recorded_at,
        actor=actor,
        role=role,
        action=action,
        org=org,
        other_org=other_org,
        seat=fact.seat,
        subject=fact.request or f"fact #{fact.seq}",
        summary=summary(fact_summary(fact)),
    )


def record_fact(
    store: Store,
    fact: SeatFact,
    actor: str,
    role: Role,
    action: Action,
    *,
    org: OrgId | None,
    other_org: OrgId | None = None,
) -> None:
    store.add_audit([fact_entry(fact, actor, role, action, org=org, other_org=other_org)])


def fact_summary(fact: SeatFact) -> str:
    """A seat fact in a few words: its kind, its date, what it supersedes, and why."""
    words = f"{fact.kind.value} on {fact.effective_on.isoformat()}"
    if fact.kind in ADDON_CHANGES:
        words += f": {', '.join(sorted(fact.addons))}"
    if fact.supersedes is not None:
        words += f", superseding fact #{fact.supersedes}"
    if fact.org is not None and fact.from_org is not None:
        words += f", from {fact.from_org} to {fact.org}"
    elif fact.org is not None:
        words += f", for {fact.org}"
    if fact.reason:
        words += f"; reason: {fact.reason}"
    return words
