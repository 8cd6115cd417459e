"""Commands as data: one frozen value per write, built at the edge, run by one dispatcher.

The command line, the embedding API and the HTTP API each turn their input
into one of these values and hand it to ``dispatch.handle``; none of them
calls a write's use case itself. A command's ``NAME`` and its fields are
its idempotency fingerprint (decision 0010, a stored contract):
``arguments()`` gives exactly the mapping the fingerprint is taken of, so a
key stored before commands were values still matches its retry.

Field metadata says how a field enters the fingerprint:

* ``SECRET``: left out (a PIN; a hash of four digits could be guessed back);
* ``GIVEN``: only whether it was given (a webhook secret);
* ``AS_SET``: as a set, so the order a caller listed add-ons in does not matter;
* ``ADDED``: a field added after keys were first stored counts only when it
  differs from its default, so older fingerprints stay the same.

Secrets are also left out of ``repr``, so a command can be logged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar, Final, Generic, TypeVar

import attrs
from attrs import frozen

from seatledger.domain.admins import Admin
from seatledger.domain.contracts import Contract
from seatledger.domain.notifications import Contact
from seatledger.domain.organisation import Organisation
from seatledger.domain.seat import SeatFact, SeatKind
from seatledger.domain.services.apikeys import ApiKeyView, NewApiKey
from seatledger.domain.services.contracts import ContractTerms
from seatledger.domain.services.imports import ImportRow, ImportSummary
from seatledger.domain.transfers import TransferRequest
from seatledger.domain.usage import UsageEntry, UsageRecord

T = TypeVar("T")

SECRET: Final = {"secret": True}
GIVEN: Final = {"given": True}
AS_SET: Final = {"as_set": True}
ADDED: Final = {"added": True}


def _names(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError("add-ons are a list of names, not one string")
    return tuple(values)


def _rows(values: Iterable[ImportRow]) -> tuple[ImportRow, ...]:
    return tuple(values)


@frozen
class Command(Generic[T]):
    """A write asked for: its name (``NAME``) and its arguments; ``T`` is what it returns."""

    NAME: ClassVar[str]

    def arguments(self) -> Mapping[str, object]:
        """The mapping the idempotency fingerprint is taken of (secrets left out)."""
        found: dict[str, object] = {}
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if field.metadata.get("secret"):
                continue
            if field.metadata.get("added") and value == field.default:
                continue
            if field.metadata.get("given"):
                value = value is not None
            elif field.metadata.get("as_set") and value is not None:
                value = frozenset(value)
            found[field.name] = value
        return found


# --- organisations -----------------------------------------------------------------------
@frozen
class AddOrganisation(Command[Organisation]):
    NAME: ClassVar[str] = "org.add"
    org: str
    name: str
    timezone: str
    currency: str
    billing_relationship: bool
    actor: str


@frozen
class SetOrganisation(Command[Organisation]):
    NAME: ClassVar[str] = "org.set"
    org: str
    name: str | None
    timezone: str | None
    timezone_from: date | None
    billing_relationship: bool | None
    actor: str
    # The buyer's details (invoice documents), each only when given.
    legal_name: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)
    vat_id: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)
    address: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)
    city: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)
    postcode: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)
    country: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)
    peppol_id: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)
    buyer_reference: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)
    sepa_mandate: str | None = attrs.field(default=None, kw_only=True, metadata=ADDED)


@frozen
class SetContact(Command[Contact]):
    NAME: ClassVar[str] = "org.contact"
    org: str
    emails: list[str] | None
    webhook_url: str | None
    webhook_secret: str | None = attrs.field(repr=False, metadata=GIVEN)
    actor: str = attrs.field(kw_only=True)
    rotate_secret: bool = attrs.field(default=False, kw_only=True, metadata=ADDED)
    end_rotation: bool = attrs.field(default=False, kw_only=True, metadata=ADDED)


# --- admins ----------------------------------------------------------------------------------
@frozen
class AddAdmin(Command[Admin]):
    NAME: ClassVar[str] = "admin.add"
    org: str
    admin: str
    pin: str = attrs.field(repr=False, metadata=SECRET)
    actor: str = attrs.field(kw_only=True)


@frozen
class UnlockAdmin(Command[Admin]):
    NAME: ClassVar[str] = "admin.unlock"
    org: str
    admin: str
    by: str | None
    pin: str | None = attrs.field(repr=False, metadata=SECRET)
    actor: str = attrs.field(kw_only=True)
    passphrase: str | None = attrs.field(default=None, kw_only=True, repr=False, metadata=SECRET)


# --- a seat's life ---------------------------------------------------------------------------
@frozen
class ActivateSeat(Command[SeatFact]):
    NAME: ClassVar[str] = "seat.activate"
    seat: str
    org: str
    actor: str
    on: date | None
    kind: SeatKind
    holder: str
    addons: tuple[str, ...] = attrs.field(converter=_names, metadata=AS_SET)
    reason: str | None = None


@frozen
class DeactivateSeat(Command[SeatFact]):
    NAME: ClassVar[str] = "seat.deactivate"
    seat: str
    actor: str
    on: date | None
    reason: str | None


@frozen
class CompleteSeat(Command[SeatFact]):
    NAME: ClassVar[str] = "seat.complete"
    seat: str
    actor: str
    on: date | None
    reason: str | None


@frozen
class ReactivateSeat(Command[SeatFact]):
    NAME: ClassVar[str] = "seat.reactivate"
    seat: str
    actor: str
    on: date | None
    reason: str | None
    kind: SeatKind | None = None
    holder: str | None = None
    addons: tuple[str, ...] | None = attrs.field(default=None, metadata=AS_SET)


@frozen
class CorrectFact(Command[SeatFact]):
    NAME: ClassVar[str] = "seat.correct"
    seat: str
    seq: int
    on: date
    actor: str
    reason: str | None


@frozen
class RetractFact(Command[SeatFact]):
    NAME: ClassVar[str] = "seat.retract"
    seat: str
    seq: int
    actor: str
    reason: str | None


@frozen
class AddAddon(Command[SeatFact]):
    NAME: ClassVar[str] = "seat.addon-add"
    seat: str
    addon: str
    actor: str
    on: date | None
    reason: str | None


@frozen
class RemoveAddon(Command[SeatFact]):
    NAME: ClassVar[str] = "seat.addon-remove"
    seat: str
    addon: str
    actor: str
    on: date | None
    reason: str | None


@frozen
class ImportSeats(Command[ImportSummary]):
    NAME: ClassVar[str] = "seat.import"
    rows: tuple[ImportRow, ...] = attrs.field(converter=_rows)
    source: str
    actor: str


# --- transfers -------------------------------------------------------------------------------
@frozen
class RequestTransfer(Command[TransferRequest]):
    NAME: ClassVar[str] = "transfer.request"
    seat: str
    to: str
    actor: str
    expires_in_days: int | None = None
    reason: str | None = None


@frozen
class ApproveTransfer(Command[TransferRequest]):
    NAME: ClassVar[str] = "transfer.approve"
    request: str
    admin: str
    pin: str = attrs.field(repr=False, metadata=SECRET)
    actor: str = attrs.field(kw_only=True)
    reason: str | None = attrs.field(default=None, kw_only=True)


@frozen
class RejectTransfer(Command[TransferRequest]):
    NAME: ClassVar[str] = "transfer.reject"
    request: str
    admin: str
    pin: str = attrs.field(repr=False, metadata=SECRET)
    actor: str = attrs.field(kw_only=True)
    reason: str | None = attrs.field(default=None, kw_only=True)


@frozen
class WithdrawTransfer(Command[TransferRequest]):
    NAME: ClassVar[str] = "transfer.withdraw"
    request: str
    actor: str
    reason: str | None = None


@frozen
class ExpireTransfers(Command[Sequence[TransferRequest]]):
    NAME: ClassVar[str] = "transfer.expire"
    actor: str


@frozen
class TakeOver(Command[SeatFact]):
    NAME: ClassVar[str] = "takeover"
    seat: str
    by: str
    admin: str
    pin: str = attrs.field(repr=False, metadata=SECRET)
    actor: str = attrs.field(kw_only=True)
    reason: str | None = attrs.field(default=None, kw_only=True)


# --- contracts and usage ---------------------------------------------------------------------
@frozen
class SetContract(Command[Contract]):
    NAME: ClassVar[str] = "contract.set"
    org: str
    terms: ContractTerms
    actor: str


@frozen
class RecordUsage(Command[UsageRecord]):
    NAME: ClassVar[str] = "usage.record"
    org: str
    kind: str
    quantity: int
    on: date | None
    actor: str


@frozen
class CorrectUsage(Command[UsageEntry]):
    NAME: ClassVar[str] = "usage.correct"
    record: int
    quantity: int
    on: date | None
    reason: str | None
    actor: str


@frozen
class RetractUsage(Command[UsageEntry]):
    NAME: ClassVar[str] = "usage.retract"
    record: int
    reason: str | None
    actor: str


# --- API keys (the HTTP API's callers) ---------------------------------------------------------
@frozen
class CreateApiKey(Command[NewApiKey]):
    NAME: ClassVar[str] = "apikey.create"
    name: str
    org: str | None
    actor: str


@frozen
class RevokeApiKey(Command[ApiKeyView]):
    NAME: ClassVar[str] = "apikey.revoke"
    name: str
    actor: str


#: Every command, for tests and the documentation of keyed writes.
ALL: Final[tuple[type[Command[Any]], ...]] = (
    AddOrganisation,
    SetOrganisation,
    SetContact,
    AddAdmin,
    UnlockAdmin,
    ActivateSeat,
    DeactivateSeat,
    CompleteSeat,
    ReactivateSeat,
    CorrectFact,
    RetractFact,
    AddAddon,
    RemoveAddon,
    ImportSeats,
    RequestTransfer,
    ApproveTransfer,
    RejectTransfer,
    WithdrawTransfer,
    ExpireTransfers,
    TakeOver,
    SetContract,
    RecordUsage,
    CorrectUsage,
    RetractUsage,
    CreateApiKey,
    RevokeApiKey,
)
