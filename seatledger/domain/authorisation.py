"""Who may change what: one pure policy for every state-changing command.

seatledger authorises, the host authenticates: the *actor* is the name the
host (or the command-line user) acts as, and seatledger decides whether that
name may do the command, from two roles kept in the ledger:

* **operators**: the vendor's billing staff, registered in the ledger;
* **organisation admins**: the admins of an organisation (the ones with PINs).

A ledger with no operator is **open**: every actor may do everything (a
single-user file, the demo, a quick start). Registering the first operator
**closes** it for good. In a closed ledger each action has one ``Rule``
(``RULES``): operators only, an admin of the organisation concerned only, or
either. The organisation concerned is the one that pays for the seat, sends
or receives the transfer, or whose contract, usage, contact or admin it is.
Decision record: ``docs/decisions/0011-authorisation-and-audit.md``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import InvalidText, NotAuthorised
from seatledger.domain.identifiers import OrgId


class Role(enum.Enum):
    """What allowed a command: an operator, an admin of the organisation, or an open ledger."""

    OPERATOR = "operator"
    ADMIN = "admin"
    OPEN = "open"


class Action(enum.Enum):
    """Every state-changing command, named as the audit trail names it."""

    ORG_ADD = "org.add"
    ORG_CONTACT = "org.contact"
    ORG_SET = "org.set"
    OPERATOR_ADD = "operator.add"
    ADMIN_ADD = "admin.add"
    ADMIN_UNLOCK = "admin.unlock"
    SEAT_ACTIVATE = "seat.activate"
    SEAT_DEACTIVATE = "seat.deactivate"
    SEAT_COMPLETE = "seat.complete"
    SEAT_REACTIVATE = "seat.reactivate"
    SEAT_CORRECT = "seat.correct"
    SEAT_RETRACT = "seat.retract"
    SEAT_IMPORT = "seat.import"
    SEAT_ADDON_ADD = "seat.addon-add"
    SEAT_ADDON_REMOVE = "seat.addon-remove"
    SEAT_OWNER_CHANGE = "seat.owner-change"
    TRANSFER_REQUEST = "transfer.request"
    TRANSFER_WITHDRAW = "transfer.withdraw"
    TRANSFER_REJECT = "transfer.reject"
    TRANSFER_APPROVE = "transfer.approve"
    TRANSFER_TAKE_OVER = "transfer.take-over"
    TRANSFER_EXPIRE = "transfer.expire"
    CONTRACT_SET = "contract.set"
    USAGE_RECORD = "usage.record"
    USAGE_CORRECT = "usage.correct"
    USAGE_RETRACT = "usage.retract"
    INVOICE_ISSUE = "invoice.issue"
    SELLER_SET = "seller.set"
    INVOICE_SEAL = "invoice.seal"
    ADMIN_WRONG_PIN = "admin.wrong-pin"
    OPERATOR_WRONG_PASSPHRASE = "operator.wrong-passphrase"
    REMIND = "notify.remind"
    DELIVER = "notify.deliver"
    APIKEY_CREATE = "apikey.create"
    APIKEY_REVOKE = "apikey.revoke"


class Rule(enum.Enum):
    """Who may do an action in a closed ledger (the value completes a refusal's message)."""

    OPERATOR = "only an operator may"
    ADMIN = "only an admin of the organisation may (operators may not act for a client here)"
    OPERATOR_OR_ADMIN = "only an operator or an admin of the organisation may"


# The policy table. Approve and take-over need the receiving organisation's own consent
# (with an admin's PIN, checked by the use case), so an operator cannot give it.
RULES: Final[Mapping[Action, Rule]] = MappingProxyType(
    {
        Action.ORG_ADD: Rule.OPERATOR,
        Action.ORG_CONTACT: Rule.OPERATOR_OR_ADMIN,
        Action.ORG_SET: Rule.OPERATOR,
        Action.SELLER_SET: Rule.OPERATOR,
        Action.OPERATOR_ADD: Rule.OPERATOR,
        Action.ADMIN_ADD: Rule.OPERATOR,
        Action.ADMIN_UNLOCK: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_ACTIVATE: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_DEACTIVATE: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_COMPLETE: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_REACTIVATE: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_CORRECT: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_RETRACT: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_IMPORT: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_ADDON_ADD: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_ADDON_REMOVE: Rule.OPERATOR_OR_ADMIN,
        Action.SEAT_OWNER_CHANGE: Rule.OPERATOR,
        Action.TRANSFER_REQUEST: Rule.OPERATOR_OR_ADMIN,
        Action.TRANSFER_WITHDRAW: Rule.OPERATOR_OR_ADMIN,
        Action.TRANSFER_REJECT: Rule.OPERATOR_OR_ADMIN,
        Action.TRANSFER_APPROVE: Rule.ADMIN,
        Action.TRANSFER_TAKE_OVER: Rule.ADMIN,
        Action.TRANSFER_EXPIRE: Rule.OPERATOR,
        Action.CONTRACT_SET: Rule.OPERATOR_OR_ADMIN,
        Action.USAGE_RECORD: Rule.OPERATOR_OR_ADMIN,
        Action.USAGE_CORRECT: Rule.OPERATOR_OR_ADMIN,
        Action.USAGE_RETRACT: Rule.OPERATOR_OR_ADMIN,
        Action.INVOICE_ISSUE: Rule.OPERATOR,
        Action.INVOICE_SEAL: Rule.OPERATOR,
        # Not commands: the audit trail's names for wrong secrets (never checked, decision 0038).
        Action.ADMIN_WRONG_PIN: Rule.OPERATOR_OR_ADMIN,
        Action.OPERATOR_WRONG_PASSPHRASE: Rule.OPERATOR_OR_ADMIN,
        Action.REMIND: Rule.OPERATOR,
        Action.DELIVER: Rule.OPERATOR,
        Action.APIKEY_CREATE: Rule.OPERATOR,
        Action.APIKEY_REVOKE: Rule.OPERATOR,
    }
)

VENDOR_TERMS: Final = (
    "licensed seats, overage price, VAT, trial, reference rule and year start are the "
    "vendor's terms: only an operator may set them"
)
DATES_OF_OTHERS: Final = (
    "it changes dates another organisation paid for: only an operator, or an admin of "
    "every organisation paying on the dates it changes, may (decision 0028)"
)
UNLOCK_WITHOUT_PIN: Final = (
    "without another admin's PIN (--by), only an operator who proves who they are "
    "(their passphrase) may unlock an admin"
)


@frozen
class Operator:
    """One of the vendor's billing staff, registered in the ledger by ``added_by``."""

    name: str
    added_at: datetime
    added_by: str
    # The hasher's self-describing hash of the operator's passphrase (None: registered
    # without one, so the operator cannot prove who they are; decision 0029).
    credential_hash: str | None = None


PASSPHRASE_LENGTH: Final = range(12, 1025)


def valid_passphrase(passphrase: str) -> Result[str, InvalidText]:
    """An operator's passphrase: 12 to 1024 characters, not all one character. Never echoed."""
    if len(passphrase) not in PASSPHRASE_LENGTH:
        return Failure(InvalidText("passphrase", "must be 12 to 1024 characters"))
    if len(set(passphrase)) == 1:
        return Failure(InvalidText("passphrase", "must not be one character repeated"))
    return Success(passphrase)


@frozen
class Standing:
    """What the ledger knows of an actor, for the organisations a command concerns.

    ``closed`` is False while the ledger has no operator; ``admin_of`` lists
    the organisations (among those concerned) that have an admin of that name.
    """

    actor: str
    closed: bool
    operator: bool = False
    admin_of: frozenset[OrgId] = frozenset()

    @classmethod
    def open(cls, actor: str) -> Standing:
        return cls(actor, closed=False)


@frozen
class Authorisation:
    """The policy: each check names the organisation concerned and returns the role allowing it.

    Every check returns ``Success(role)`` (recorded in the audit trail) or
    ``Failure(NotAuthorised)`` naming the actor, the action and the organisation.
    """

    rules: Mapping[Action, Rule] = RULES

    def check(
        self, who: Standing, action: Action, org: OrgId | None
    ) -> Result[Role, NotAuthorised]:
        """The rule of ``action`` from the table, for the organisation concerned."""
        return self._apply(who, action, self.rules[action], org, self.rules[action].value)

    # --- seats ------------------------------------------------------------------------
    def check_activation(self, who: Standing, org: OrgId) -> Result[Role, NotAuthorised]:
        """A new seat: an operator, or an admin of the organisation it is activated for."""
        return self.check(who, Action.SEAT_ACTIVATE, org)

    def check_seat_change(
        self, who: Standing, action: Action, payer: OrgId | None
    ) -> Result[Role, NotAuthorised]:
        """Deactivate, complete, reactivate, correct, retract: an operator, or an admin of
        the organisation paying for the seat now (None: no payer, operators only)."""
        return self.check(who, action, payer)

    def check_import(self, who: Standing, orgs: Iterable[OrgId]) -> Result[Role, NotAuthorised]:
        """An import: the actor must be allowed to activate for every organisation in it."""
        role = Role.OPEN if not who.closed else Role.OPERATOR
        for org in sorted(set(orgs)):
            allowed = self.check(who, Action.SEAT_IMPORT, org)
            if isinstance(allowed, Failure):
                return allowed
            role = allowed.unwrap()
        return Success(role)

    def check_consent(
        self, who: Standing, action: Action, orgs: Iterable[OrgId]
    ) -> Result[Role, NotAuthorised]:
        """A change of past dates: the consent of every organisation paying on them.

        ``orgs`` are the payers of the dates the change bills differently
        (``consent.payers_of_changed_dates``); each must allow the action, an
        operator allows it for all.
        """
        role = Role.OPEN if not who.closed else Role.OPERATOR
        for org in sorted(set(orgs)):
            allowed = self._apply(who, action, self.rules[action], org, DATES_OF_OTHERS)
            if isinstance(allowed, Failure):
                return allowed
            role = allowed.unwrap()
        return Success(role)

    # --- transfers ----------------------------------------------------------------------
    def check_request(self, who: Standing, sender: OrgId) -> Result[Role, NotAuthorised]:
        """A transfer request: an operator, or an admin of the paying (sending) organisation."""
        return self.check(who, Action.TRANSFER_REQUEST, sender)

    def check_withdraw(self, who: Standing, sender: OrgId) -> Result[Role, NotAuthorised]:
        """Withdrawing a request: an operator, or an admin of the sending organisation."""
        return self.check(who, Action.TRANSFER_WITHDRAW, sender)

    def check_reject(self, who: Standing, receiver: OrgId) -> Result[Role, NotAuthorised]:
        """Rejecting a request: an operator, or an admin of the receiving organisation."""
        return self.check(who, Action.TRANSFER_REJECT, receiver)

    def check_approve(self, who: Standing, receiver: OrgId) -> Result[Role, NotAuthorised]:
        """Approving: an admin of the receiving organisation only (and their PIN)."""
        return self.check(who, Action.TRANSFER_APPROVE, receiver)

    def check_take_over(self, who: Standing, taker: OrgId) -> Result[Role, NotAuthorised]:
        """Taking over: an admin of the organisation taking over only (and their PIN)."""
        return self.check(who, Action.TRANSFER_TAKE_OVER, taker)

    # --- an organisation's own settings --------------------------------------------------
    def check_contract(
        self, who: Standing, org: OrgId, *, vendor_terms: bool
    ) -> Result[Role, NotAuthorised]:
        """A contract version: an admin may choose the plan, cadence, payment method and
        discount code (the organisation's billing portal); the vendor's terms are operators'."""
        if vendor_terms:
            return self._apply(who, Action.CONTRACT_SET, Rule.OPERATOR, org, VENDOR_TERMS)
        return self.check(who, Action.CONTRACT_SET, org)

    def check_usage(
        self, who: Standing, org: OrgId, action: Action = Action.USAGE_RECORD
    ) -> Result[Role, NotAuthorised]:
        """Recording, correcting or retracting usage: an operator, or an admin of the org."""
        return self.check(who, action, org)

    def check_contact(self, who: Standing, org: OrgId) -> Result[Role, NotAuthorised]:
        return self.check(who, Action.ORG_CONTACT, org)

    def check_unlock(
        self, who: Standing, org: OrgId, *, with_pin: bool
    ) -> Result[Role, NotAuthorised]:
        """Unlocking an admin: another admin of the organisation with their PIN (checked by
        the use case), or an operator; without a PIN, an operator only."""
        if not with_pin:
            if not who.closed:
                # No operator exists to prove who they are: an open ledger needs a PIN too.
                return Failure(NotAuthorised(who.actor, Action.ADMIN_UNLOCK.value, org,
                                             UNLOCK_WITHOUT_PIN))  # fmt: skip
            return self._apply(who, Action.ADMIN_UNLOCK, Rule.OPERATOR, org, UNLOCK_WITHOUT_PIN)
        return self.check(who, Action.ADMIN_UNLOCK, org)

    # --- the vendor's own work --------------------------------------------------------------
    def check_operator_task(
        self, who: Standing, action: Action, org: OrgId | None = None
    ) -> Result[Role, NotAuthorised]:
        """Organisations, admins, operators, billing runs, reminders, delivery, expiry."""
        return self.check(who, action, org)

    def _apply(
        self, who: Standing, action: Action, rule: Rule, org: OrgId | None, why: str
    ) -> Result[Role, NotAuthorised]:
        if not who.closed:
            return Success(Role.OPEN)
        if rule is not Rule.ADMIN and who.operator:
            return Success(Role.OPERATOR)
        if rule is not Rule.OPERATOR and org is not None and org in who.admin_of:
            return Success(Role.ADMIN)
        return Failure(NotAuthorised(who.actor, action.value, org, why))
