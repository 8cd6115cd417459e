"""Business failures as values.

Every refusal seatledger can give is one of these classes. Each carries the
facts that broke the rule, a stable ``code`` that scripts can match on, and a
``message`` that names the offending value. Use cases return them inside a
``returns.result.Failure``; entrypoints map them to exit codes and text in
one place each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import ClassVar

from attrs import frozen


@frozen
class LedgerError:
    """Base of every business failure: a stable code and a human message."""

    code: ClassVar[str] = "ledger-error"

    @property
    def message(self) -> str:
        return self.code


# --- input that is not well-formed -------------------------------------------------


@frozen
class InvalidDate(LedgerError):
    """A date string that is not an ISO calendar date, or an impossible date."""

    code: ClassVar[str] = "invalid-date"
    text: str
    problem: str = "expected an ISO date YYYY-MM-DD"

    @property
    def message(self) -> str:
        return f"{self.text!r} is not a valid date: {self.problem}"


@frozen
class InvalidInstant(LedgerError):
    """An instant string that is not ISO 8601."""

    code: ClassVar[str] = "invalid-instant"
    text: str

    @property
    def message(self) -> str:
        return (
            f"{self.text!r} is not a valid instant: expected ISO 8601 with a time zone, "
            "e.g. 2025-09-01T12:00:00Z or 2025-09-01T14:00:00+02:00"
        )


@frozen
class NaiveInstant(LedgerError):
    """An instant without a time zone: ambiguous, so refused."""

    code: ClassVar[str] = "naive-instant"
    text: str

    @property
    def message(self) -> str:
        return (
            f"{self.text!r} has no time zone, so it could mean different instants; "
            "add an offset such as Z or +02:00"
        )


@frozen
class InvalidPeriod(LedgerError):
    """A billing period that is not YYYY-MM."""

    code: ClassVar[str] = "invalid-period"
    text: str

    @property
    def message(self) -> str:
        return f"{self.text!r} is not a valid period: expected YYYY-MM, e.g. 2025-09"


@frozen
class RangeReversed(LedgerError):
    """A date range whose start lies after its end."""

    code: ClassVar[str] = "range-reversed"
    start: date
    end: date

    @property
    def message(self) -> str:
        return (
            f"the range starts on {self.start.isoformat()}, after its end "
            f"{self.end.isoformat()}; give --from on or before --to"
        )


@frozen
class InvalidIdentifier(LedgerError):
    """An organisation, seat or admin id that is empty, too long or has odd characters."""

    code: ClassVar[str] = "invalid-identifier"
    what: str
    text: str

    @property
    def message(self) -> str:
        return (
            f"{self.text!r} is not a valid {self.what} id: use 1 to 64 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )


@frozen
class InvalidTimezone(LedgerError):
    """A time zone name that is not an IANA zone."""

    code: ClassVar[str] = "invalid-timezone"
    text: str

    @property
    def message(self) -> str:
        return f"{self.text!r} is not an IANA time zone (e.g. Europe/Amsterdam)"


@frozen
class InvalidCurrency(LedgerError):
    """A currency that is not a supported ISO 4217 code."""

    code: ClassVar[str] = "invalid-currency"
    text: str

    @property
    def message(self) -> str:
        return f"{self.text!r} is not a supported ISO 4217 currency code (e.g. EUR)"


@frozen
class InvalidReferenceRule(LedgerError):
    """A reference rule that is not month-end, month-start or day:N."""

    code: ClassVar[str] = "invalid-reference-rule"
    text: str
    problem: str = "expected month-end, month-start or day:N with N from 1 to 31"

    @property
    def message(self) -> str:
        return f"{self.text!r} is not a reference rule: {self.problem}"


@frozen
class InvalidYearStart(LedgerError):
    """A year start that is not MM-DD."""

    code: ClassVar[str] = "invalid-year-start"
    text: str

    @property
    def message(self) -> str:
        return f"{self.text!r} is not a year start: expected MM-DD, e.g. 09-01"


@frozen
class InvalidSeatKind(LedgerError):
    """A seat kind other than regular or student."""

    code: ClassVar[str] = "invalid-seat-kind"
    text: str

    @property
    def message(self) -> str:
        return f"{self.text!r} is not a seat kind: expected regular or student"


@frozen
class InvalidText(LedgerError):
    """A free-text field (name, holder, reason, actor) that is empty or too long."""

    code: ClassVar[str] = "invalid-text"
    field: str
    problem: str

    @property
    def message(self) -> str:
        return f"{self.field}: {self.problem}"


# --- references to things that do not exist, or exist already -----------------------


@frozen
class UnknownOrganisation(LedgerError):
    code: ClassVar[str] = "unknown-organisation"
    org: str

    @property
    def message(self) -> str:
        return f"there is no organisation {self.org!r}"


@frozen
class OrganisationExists(LedgerError):
    code: ClassVar[str] = "organisation-exists"
    org: str

    @property
    def message(self) -> str:
        return f"organisation {self.org!r} exists already"


@frozen
class UnknownSeat(LedgerError):
    code: ClassVar[str] = "unknown-seat"
    seat: str

    @property
    def message(self) -> str:
        return f"there is no seat {self.seat!r}; activate it first"


@frozen
class SeatExists(LedgerError):
    """A first activation for a seat that already has a history."""

    code: ClassVar[str] = "seat-exists"
    seat: str

    @property
    def message(self) -> str:
        return (
            f"seat {self.seat!r} exists already; use 'seat reactivate' to open a new "
            "active interval"
        )


@frozen
class UnknownFact(LedgerError):
    code: ClassVar[str] = "unknown-fact"
    seat: str
    seq: int

    @property
    def message(self) -> str:
        return f"seat {self.seat!r} has no fact #{self.seq} (see 'seat history {self.seat}')"


# --- seat life cycle -----------------------------------------------------------------


@frozen
class SeatAlreadyActive(LedgerError):
    code: ClassVar[str] = "seat-already-active"
    seat: str
    on: date

    @property
    def message(self) -> str:
        return f"seat {self.seat!r} is already active on {self.on.isoformat()}"


@frozen
class SeatNotActive(LedgerError):
    code: ClassVar[str] = "seat-not-active"
    seat: str
    on: date

    @property
    def message(self) -> str:
        return f"seat {self.seat!r} is not active on {self.on.isoformat()}"


@frozen
class DeactivationBeforeActivation(LedgerError):
    code: ClassVar[str] = "deactivation-before-activation"
    seat: str
    on: date
    activated_on: date

    @property
    def message(self) -> str:
        return (
            f"seat {self.seat!r} cannot end on {self.on.isoformat()}: it was activated on "
            f"{self.activated_on.isoformat()}, which is later"
        )


@frozen
class OwnershipBeforeActivation(LedgerError):
    code: ClassVar[str] = "ownership-before-activation"
    seat: str
    on: date
    activated_on: date

    @property
    def message(self) -> str:
        return (
            f"seat {self.seat!r} cannot change paying organisation on {self.on.isoformat()}: "
            f"it was first activated on {self.activated_on.isoformat()}"
        )


@frozen
class HistoryConflict(LedgerError):
    """A backdated fact that would make a later fact of the seat impossible."""

    code: ClassVar[str] = "history-conflict"
    seat: str
    on: date
    conflicting_seq: int
    conflicting_on: date
    problem: str

    @property
    def message(self) -> str:
        return (
            f"a fact for seat {self.seat!r} on {self.on.isoformat()} conflicts with fact "
            f"#{self.conflicting_seq} on {self.conflicting_on.isoformat()} ({self.problem}); "
            f"correct or retract fact #{self.conflicting_seq} first"
        )


@frozen
class BackdatedWithoutReason(LedgerError):
    code: ClassVar[str] = "backdated-without-reason"
    seat: str
    on: date
    today: date

    @property
    def message(self) -> str:
        return (
            f"{self.on.isoformat()} lies before today ({self.today.isoformat()}): a backdated "
            f"fact for seat {self.seat!r} needs --reason"
        )


@frozen
class FutureDate(LedgerError):
    code: ClassVar[str] = "future-date"
    on: date
    today: date

    @property
    def message(self) -> str:
        return (
            f"{self.on.isoformat()} lies after today ({self.today.isoformat()}): seatledger "
            "records what has happened, not what is planned"
        )


@frozen
class ReasonRequired(LedgerError):
    code: ClassVar[str] = "reason-required"
    action: str

    @property
    def message(self) -> str:
        return f"{self.action} needs --reason: say why, for the audit trail"


@frozen
class FactNotCorrectable(LedgerError):
    code: ClassVar[str] = "fact-not-correctable"
    seat: str
    seq: int
    problem: str

    @property
    def message(self) -> str:
        return f"fact #{self.seq} of seat {self.seat!r} cannot be corrected: {self.problem}"


@frozen
class AddonAlreadyHeld(LedgerError):
    """Adding an add-on that the seat already holds on that date."""

    code: ClassVar[str] = "addon-already-held"
    seat: str
    addon: str
    on: date

    @property
    def message(self) -> str:
        return f"seat {self.seat!r} already holds add-on {self.addon!r} on {self.on.isoformat()}"


@frozen
class AddonNotHeld(LedgerError):
    """Removing an add-on that the seat does not hold on that date."""

    code: ClassVar[str] = "addon-not-held"
    seat: str
    addon: str
    on: date
    held: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        holds = ", ".join(self.held) if self.held else "none"
        return (
            f"seat {self.seat!r} does not hold add-on {self.addon!r} on {self.on.isoformat()} "
            f"(add-ons held that day: {holds})"
        )


# --- usage records ----------------------------------------------------------------------


@frozen
class UnknownUsageRecord(LedgerError):
    code: ClassVar[str] = "unknown-usage-record"
    text: str

    @property
    def message(self) -> str:
        return f"no usage record #{self.text}"


@frozen
class UsageNotCorrectable(LedgerError):
    """Correcting or retracting a usage record that is already superseded, or a no-op."""

    code: ClassVar[str] = "usage-not-correctable"
    seq: int
    problem: str

    @property
    def message(self) -> str:
        return f"usage record #{self.seq} cannot be changed: {self.problem}"


# --- organisations ------------------------------------------------------------------------


@frozen
class InvalidZoneChange(LedgerError):
    """A time-zone change dated in the past, or not after the organisation's last change."""

    code: ClassVar[str] = "invalid-zone-change"
    org: str
    on: date
    problem: str

    @property
    def message(self) -> str:
        return (
            f"the time zone of {self.org!r} cannot change from {self.on.isoformat()}: "
            f"{self.problem}"
        )


@frozen
class NothingToChange(LedgerError):
    """A settings command that names nothing new."""

    code: ClassVar[str] = "nothing-to-change"
    what: str

    @property
    def message(self) -> str:
        return self.what


# --- time -------------------------------------------------------------------------------


@frozen
class ClockWentBackwards(LedgerError):
    code: ClassVar[str] = "clock-went-backwards"
    now: datetime
    last_recorded: datetime

    @property
    def message(self) -> str:
        return (
            f"the clock says {self.now.isoformat()}, but the ledger already holds a fact "
            f"recorded at {self.last_recorded.isoformat()}; recorded order must stay "
            "monotonic (check --today / SEATLEDGER_TODAY)"
        )


# --- bulk import -----------------------------------------------------------------------


@frozen
class RowProblem:
    """One problem in one cell of an input file (line numbers count the header as 1)."""

    line: int
    column: str
    problem: str

    def describe(self) -> str:
        return f"line {self.line}, column {self.column}: {self.problem}"


@frozen
class ImportRejected(LedgerError):
    """An import file with at least one bad row: nothing was imported."""

    code: ClassVar[str] = "import-rejected"
    source: str
    problems: Sequence[RowProblem]

    @property
    def message(self) -> str:
        shown = [p.describe() for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        return (
            f"{self.source}: {len(self.problems)} problem(s), nothing was imported:\n  "
            + "\n  ".join(shown)
            + tail
        )


# --- transfers of billing ----------------------------------------------------------------


@frozen
class NoBillingRelationship(LedgerError):
    code: ClassVar[str] = "no-billing-relationship"
    org: str

    @property
    def message(self) -> str:
        return (
            f"organisation {self.org!r} has no billing relationship with the vendor, so it "
            "cannot be billed for a seat; agree between the organisations who pays"
        )


@frozen
class SameOrganisation(LedgerError):
    code: ClassVar[str] = "same-organisation"
    seat: str
    org: str

    @property
    def message(self) -> str:
        return f"seat {self.seat!r} is already billed to {self.org!r}"


@frozen
class TransferAlreadyPending(LedgerError):
    code: ClassVar[str] = "transfer-already-pending"
    seat: str
    request: str
    to: str

    @property
    def message(self) -> str:
        return (
            f"seat {self.seat!r} already has a pending transfer request {self.request} to "
            f"{self.to!r}; it must be approved, rejected or withdrawn first"
        )


@frozen
class UnknownRequest(LedgerError):
    code: ClassVar[str] = "unknown-request"
    request: str

    @property
    def message(self) -> str:
        return f"there is no transfer request {self.request!r} (see 'transfer list')"


@frozen
class RequestNotPending(LedgerError):
    code: ClassVar[str] = "request-not-pending"
    request: str
    status: str

    @property
    def message(self) -> str:
        return f"transfer request {self.request} is {self.status}, no longer pending"


@frozen
class RequestExpired(LedgerError):
    code: ClassVar[str] = "request-expired"
    request: str
    expires_on: date

    @property
    def message(self) -> str:
        return (
            f"transfer request {self.request} expired after {self.expires_on.isoformat()}; "
            "ask the paying organisation for a new request"
        )


@frozen
class PayerChanged(LedgerError):
    """A request whose sender no longer pays for the seat."""

    code: ClassVar[str] = "payer-changed"
    request: str
    sender: str
    payer: str

    @property
    def message(self) -> str:
        return (
            f"transfer request {self.request} was sent by {self.sender!r}, but the seat is "
            f"now billed to {self.payer!r}"
        )


@frozen
class InvalidExpiry(LedgerError):
    code: ClassVar[str] = "invalid-expiry"
    days: int

    @property
    def message(self) -> str:
        if self.days > 0:
            return "a request expires after at most 3650 days (ten years): give 1 to 3650"
        return f"a request cannot expire after {self.days} days: give 1 day or more"


# --- admins and PINs -----------------------------------------------------------------------


@frozen
class UnknownAdmin(LedgerError):
    code: ClassVar[str] = "unknown-admin"
    org: str
    admin: str

    @property
    def message(self) -> str:
        return f"organisation {self.org!r} has no admin {self.admin!r}"


@frozen
class AdminExists(LedgerError):
    code: ClassVar[str] = "admin-exists"
    org: str
    admin: str

    @property
    def message(self) -> str:
        return f"organisation {self.org!r} already has an admin {self.admin!r}"


@frozen
class WrongPin(LedgerError):
    code: ClassVar[str] = "wrong-pin"
    org: str
    admin: str
    attempts_left: int

    @property
    def message(self) -> str:
        if self.attempts_left == 0:
            return (
                f"wrong PIN for admin {self.admin!r} of {self.org!r}; the admin is now locked "
                "until another admin of the organisation unlocks them"
            )
        return (
            f"wrong PIN for admin {self.admin!r} of {self.org!r}; {self.attempts_left} "
            "attempt(s) left before the admin is locked"
        )


@frozen
class AdminLocked(LedgerError):
    code: ClassVar[str] = "admin-locked"
    org: str
    admin: str

    @property
    def message(self) -> str:
        return (
            f"admin {self.admin!r} of {self.org!r} is locked after too many wrong PINs; "
            "another admin of the organisation must unlock them ('admin unlock')"
        )


@frozen
class CannotUnlockSelf(LedgerError):
    code: ClassVar[str] = "cannot-unlock-self"
    org: str
    admin: str

    @property
    def message(self) -> str:
        return f"admin {self.admin!r} of {self.org!r} must be unlocked by another admin"


# --- money, catalogs, contracts, billing ----------------------------------------------------


@frozen
class InvalidAmount(LedgerError):
    code: ClassVar[str] = "invalid-amount"
    field: str
    text: str
    problem: str

    @property
    def message(self) -> str:
        return f"{self.field}: {self.text!r} is not a valid amount: {self.problem}"


@frozen
class InvalidCatalog(LedgerError):
    """A plan catalog that cannot be used; ``problems`` name each key and what is wrong."""

    code: ClassVar[str] = "invalid-catalog"
    source: str
    problems: Sequence[str]

    @property
    def message(self) -> str:
        return f"catalog {self.source}: " + "; ".join(self.problems)


@frozen
class UnknownPlan(LedgerError):
    code: ClassVar[str] = "unknown-plan"
    plan: str
    known: Sequence[str]

    @property
    def message(self) -> str:
        return f"there is no plan {self.plan!r} in the catalog (plans: {', '.join(self.known)})"


@frozen
class UnknownAddon(LedgerError):
    """An add-on name the plan catalog does not sell (it would be billed at nothing)."""

    code: ClassVar[str] = "unknown-addon"
    addon: str
    known: Sequence[str]

    @property
    def message(self) -> str:
        offered = (
            f"the catalog has: {', '.join(self.known)}"
            if self.known
            else ("the catalog has no add-ons")
        )
        return f"unknown add-on {self.addon!r}: {offered}"


@frozen
class CadenceNotOffered(LedgerError):
    code: ClassVar[str] = "cadence-not-offered"
    plan: str
    cadence: str

    @property
    def message(self) -> str:
        return f"plan {self.plan!r} is not offered with {self.cadence} billing"


@frozen
class InvalidContract(LedgerError):
    code: ClassVar[str] = "invalid-contract"
    field: str
    problem: str

    @property
    def message(self) -> str:
        return f"contract {self.field}: {self.problem}"


@frozen
class PaymentMethodRequired(LedgerError):
    code: ClassVar[str] = "payment-method-required"
    org: str
    plan: str

    @property
    def message(self) -> str:
        return (
            f"changing {self.org!r} to plan {self.plan!r} needs an automatic payment method "
            "on file: --payment-method card or sepa"
        )


@frozen
class UnknownDiscountCode(LedgerError):
    code: ClassVar[str] = "unknown-discount-code"
    discount: str

    @property
    def message(self) -> str:
        return f"there is no discount code {self.discount!r} in the catalog"


@frozen
class UnknownUsageKind(LedgerError):
    code: ClassVar[str] = "unknown-usage-kind"
    kind: str
    known: Sequence[str]

    @property
    def message(self) -> str:
        return f"there is no usage kind {self.kind!r} (kinds: {', '.join(self.known)})"


@frozen
class InvalidQuantity(LedgerError):
    code: ClassVar[str] = "invalid-quantity"
    text: str

    @property
    def message(self) -> str:
        return f"{self.text!r} is not a valid quantity: give a whole number from 1 to 1000000"


@frozen
class NoContract(LedgerError):
    code: ClassVar[str] = "no-active-subscription"
    org: str

    @property
    def message(self) -> str:
        return f"organisation {self.org!r} has no active subscription (no contract with a plan)"


@frozen
class ReferenceDateNotReached(LedgerError):
    """The period's count date has not ended in every time zone yet (the closing rule)."""

    code: ClassVar[str] = "reference-date-not-reached"
    org: str
    period: str
    reference_date: date
    today: date
    closes_at: datetime

    @property
    def message(self) -> str:
        return (
            f"{self.org!r} is counted for {self.period} on {self.reference_date.isoformat()}, "
            f"which has not ended in every time zone yet (today is {self.today.isoformat()}): "
            f"it can be billed from {self.closes_at:%Y-%m-%d %H:%M} UTC; use --dry-run to "
            "forecast"
        )


@frozen
class UnknownInvoice(LedgerError):
    code: ClassVar[str] = "unknown-invoice"
    invoice: str

    @property
    def message(self) -> str:
        return f"there is no invoice {self.invoice!r} (see 'invoice list')"


@frozen
class NoSigningKey(LedgerError):
    """A seal was asked for, but no signing key is configured."""

    code: ClassVar[str] = "no-signing-key"

    @property
    def message(self) -> str:
        return (
            "no signing key is configured: set SEATLEDGER_SIGNING_KEY to the file of an Ed25519 "
            "private key (PEM), kept outside the database (see docs/verify.md)"
        )


@frozen
class InvalidKey(LedgerError):
    """A signing or verification key file could not be read as an Ed25519 key."""

    code: ClassVar[str] = "invalid-key"
    source: str
    why: str

    @property
    def message(self) -> str:
        return f"{self.source} is not a usable Ed25519 key: {self.why}"


@frozen
class CurrencyMismatch(LedgerError):
    code: ClassVar[str] = "currency-mismatch"
    org: str
    currency: str
    catalog_currency: str

    @property
    def message(self) -> str:
        return (
            f"{self.org!r} is billed in {self.currency}, but the catalog prices in "
            f"{self.catalog_currency}; bill it with a catalog in {self.currency}"
        )


# --- idempotency keys ----------------------------------------------------------------


@frozen
class InvalidIdempotencyKey(LedgerError):
    """An idempotency key that is empty, too long, or has spaces or other characters."""

    code: ClassVar[str] = "invalid-idempotency-key"
    text: str

    @property
    def message(self) -> str:
        return (
            f"{self.text[:80]!r} is not a valid idempotency key: use 1 to 200 printable ASCII "
            "characters without spaces, e.g. a UUID"
        )


@frozen
class IdempotencyKeyReused(LedgerError):
    """A key already used for a command with other arguments: the new command is refused."""

    code: ClassVar[str] = "idempotency-key-reused"
    key: str
    command: str

    @property
    def message(self) -> str:
        return (
            f"idempotency key {self.key!r} was first used for {self.command!r} with other "
            "arguments; a key may be reused only to retry the same command with the same "
            "arguments: use a new key for a new command"
        )


# --- authorisation -------------------------------------------------------------------------


@frozen
class NotAuthorised(LedgerError):
    """The actor may not do this in a closed ledger (see ``authorisation.Authorisation``)."""

    code: ClassVar[str] = "not-authorised"
    actor: str
    action: str
    org: str | None
    allowed: str

    @property
    def message(self) -> str:
        where = f" for organisation {self.org!r}" if self.org is not None else ""
        return f"{self.actor!r} may not {self.action}{where}: {self.allowed}"


@frozen
class NotAuthenticated(LedgerError):
    """An operator did not prove who they are: no passphrase, a wrong one, or none registered."""

    code: ClassVar[str] = "not-authenticated"
    actor: str
    why: str

    @property
    def message(self) -> str:
        return f"operator {self.actor!r} is not authenticated: {self.why}"


# --- roster import ---------------------------------------------------------------------------


@frozen
class RosterProblem:
    """One refused row of a roster export: the file, its line (the header is line 1), why."""

    file: str
    line: int
    reason: str

    def describe(self) -> str:
        where = f"{self.file} line {self.line}" if self.line > 0 else self.file
        return f"{where}: {self.reason}"


@frozen
class RosterWrongFormat(LedgerError):
    """A roster that is not the format it claims: refused before any row is read."""

    code: ClassVar[str] = "roster-wrong-format"
    source: str
    expected: str
    problem: str

    @property
    def message(self) -> str:
        return f"{self.source} is not a {self.expected} roster: {self.problem}"


@frozen
class RosterRejected(LedgerError):
    """A roster with at least one refused row: nothing was imported."""

    code: ClassVar[str] = "roster-rejected"
    source: str
    problems: Sequence[RosterProblem]

    @property
    def message(self) -> str:
        shown = [p.describe() for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        return (
            f"{self.source}: {len(self.problems)} row(s) refused, nothing was imported:\n  "
            + "\n  ".join(shown)
            + tail
        )


@frozen
class RosterChangeThreshold(LedgerError):
    """A bulk roster that would deactivate more of an organisation's seats than allowed."""

    code: ClassVar[str] = "roster-change-threshold"
    org: str
    deactivating: int
    seats: int
    threshold: int

    @property
    def message(self) -> str:
        return (
            f"the roster would deactivate {self.deactivating} of the {self.seats} active seats "
            f"of {self.org!r}, more than {self.threshold} %; nothing was imported. Check the "
            "export (a missing school or class deactivates its seats), then import it again "
            "with --force if the change is real"
        )


@frozen
class InvalidBillableRoles(LedgerError):
    """A ``--billable-roles`` list that names no role, or a seat kind seatledger has not."""

    code: ClassVar[str] = "invalid-billable-roles"
    text: str
    problem: str

    @property
    def message(self) -> str:
        return (
            f"{self.text!r} is not a list of billable roles: {self.problem} "
            "(expected ROLE or ROLE:KIND separated by commas, e.g. student,teacher:regular)"
        )


# --- the store's infrastructure (mapped at the entrypoints; decision 0030) -------------------


@frozen
class StoreFailure(LedgerError):
    """The database could not do what was asked; nothing was changed (it rolled back)."""

    code: ClassVar[str] = "database-error"
    detail: str

    @property
    def message(self) -> str:
        return f"{self.detail}; nothing was changed"


@frozen
class SecretKeyUnusable(StoreFailure):
    """The key of webhook secrets cannot be read, or does not open a stored secret."""

    code: ClassVar[str] = "invalid-secret-key"


@frozen
class DatabaseUnavailable(StoreFailure):
    """The server is unreachable, refused the connection, or ended it mid-command."""

    code: ClassVar[str] = "database-unavailable"


@frozen
class DiskFull(StoreFailure):
    """The disk (or the file-size limit, ``ulimit -f``) has no room for the write."""

    code: ClassVar[str] = "disk-full"


@frozen
class ReadOnlyStore(StoreFailure):
    """The database file, its folder or its filesystem may not be written."""

    code: ClassVar[str] = "read-only"


@frozen
class DatabaseNotFound(StoreFailure):
    """The database named does not exist (a missing folder, or no such server database)."""

    code: ClassVar[str] = "database-not-found"


@frozen
class NotADatabase(StoreFailure):
    """The file named is not a SQLite database (a directory, or some other file)."""

    code: ClassVar[str] = "not-a-database"


@frozen
class ValueOutOfRange(StoreFailure):
    """A value the database cannot hold (too long, too large) slipped past the checks."""

    code: ClassVar[str] = "value-out-of-range"


# --- invoice documents: parties, numbers, exports ---------------------------------------


@frozen
class InvalidVatId(LedgerError):
    """A VAT identification number that fails its country's format or check digits."""

    code: ClassVar[str] = "invalid-vat-id"
    text: str
    rule: str
    problem: str

    @property
    def message(self) -> str:
        return (
            f"{self.text!r} is not a valid VAT identification number: {self.rule}; {self.problem}"
        )


@frozen
class InvalidPartyField(LedgerError):
    """A seller or buyer field that is malformed: a country, an IBAN, a Peppol id, a term."""

    code: ClassVar[str] = "invalid-party-field"
    field: str
    text: str
    problem: str

    @property
    def message(self) -> str:
        return f"{self.field} {self.text!r} is not valid: {self.problem}"


@frozen
class DocumentIncomplete(LedgerError):
    """A document cannot be exported in a format because a party lacks a field it requires."""

    code: ClassVar[str] = "document-incomplete"
    invoice: str
    format: str
    missing: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"{self.invoice} cannot be exported as {self.format}: " + "; ".join(self.missing)


@frozen
class UnreadableDocument(LedgerError):
    """A file given to ``invoice verify --document`` that is not an exported document."""

    code: ClassVar[str] = "unreadable-document"
    problem: str

    @property
    def message(self) -> str:
        return (
            f"the document cannot be read as an exported UBL invoice or credit note: {self.problem}"
        )


# --- API keys (the HTTP API) -----------------------------------------------------------


@frozen
class ApiKeyExists(LedgerError):
    code: ClassVar[str] = "api-key-exists"
    name: str

    @property
    def message(self) -> str:
        return f"an API key named {self.name!r} exists already; choose another name"


@frozen
class UnknownApiKey(LedgerError):
    code: ClassVar[str] = "unknown-api-key"
    name: str

    @property
    def message(self) -> str:
        return f"no API key is named {self.name!r} (see 'seatledger apikey list')"


@frozen
class ApiKeyRevoked(LedgerError):
    code: ClassVar[str] = "api-key-revoked"
    name: str

    @property
    def message(self) -> str:
        return f"the API key {self.name!r} is revoked already"
