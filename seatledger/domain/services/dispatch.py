"""The one dispatcher: every write command value runs through ``handle``.

Each entrypoint (command line, embedding API, HTTP API) builds a command
(``commands.py``) and hands it here with its ``Tools``; the handler table
maps each command class to its use case. Keyed runs (idempotency) wrap
``handle`` at the edge, where the result codecs live.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar, cast

from attrs import frozen
from returns.result import Result

from seatledger.domain.catalog import Catalog
from seatledger.domain.errors import LedgerError
from seatledger.domain.ports import PinHasher
from seatledger.domain.services import (
    admins,
    apikeys,
    contracts,
    imports,
    notify,
    organisations,
    seats,
    transfers,
)
from seatledger.domain.services import commands as c
from seatledger.domain.services import usage as usage_cases
from seatledger.domain.services.context import Services
from seatledger.domain.services.parties import PartyChanges

T = TypeVar("T")


@frozen
class Tools:
    """What some handlers need beyond the unit of work and the clock, each asked for lazily.

    ``catalog`` is read only by a command that prices or names an add-on (an
    invalid catalog refuses just those); ``pins`` hashes and checks PINs;
    ``new_secret`` makes a random API key secret.
    """

    catalog: Callable[[], Catalog]
    pins: Callable[[], PinHasher]
    new_secret: Callable[[], str]


Handler = Callable[[Services, Any, Tools], Result[Any, LedgerError]]


def _party(cmd: c.SetOrganisation) -> PartyChanges | None:
    """The buyer details a ``SetOrganisation`` gives, or None when it gives none."""
    party = PartyChanges(
        legal_name=cmd.legal_name, vat_id=cmd.vat_id, address=cmd.address, city=cmd.city,
        postcode=cmd.postcode, country=cmd.country, peppol_id=cmd.peppol_id,
    )  # fmt: skip
    return party if any(v is not None for v in party.as_changes().values()) else None


def _activate(s: Services, cmd: c.ActivateSeat, t: Tools) -> Result[Any, LedgerError]:
    catalog = t.catalog() if cmd.addons else None
    return seats.activate(
        s, cmd.seat, cmd.org, actor=cmd.actor, on=cmd.on, kind=cmd.kind, holder=cmd.holder,
        addons=cmd.addons, reason=cmd.reason, catalog=catalog,
    )  # fmt: skip


def _reactivate(s: Services, cmd: c.ReactivateSeat, t: Tools) -> Result[Any, LedgerError]:
    catalog = t.catalog() if cmd.addons else None
    return seats.reactivate(
        s, cmd.seat, actor=cmd.actor, on=cmd.on, reason=cmd.reason, kind=cmd.kind,
        holder=cmd.holder, addons=cmd.addons, catalog=catalog,
    )  # fmt: skip


def _import(s: Services, cmd: c.ImportSeats, t: Tools) -> Result[Any, LedgerError]:
    catalog = t.catalog() if any(row.addons for row in cmd.rows) else None
    return imports.import_seats(
        s, list(cmd.rows), source=cmd.source, actor=cmd.actor, catalog=catalog
    )


HANDLERS: Final[Mapping[type[c.Command[Any]], Handler]] = {
    c.AddOrganisation: lambda s, cmd, t: organisations.add_organisation(
        s, cmd.org, cmd.name, cmd.timezone, cmd.currency, cmd.billing_relationship,
        actor=cmd.actor,
    ),
    c.SetOrganisation: lambda s, cmd, t: organisations.set_organisation(
        s, cmd.org, name=cmd.name, timezone=cmd.timezone, timezone_from=cmd.timezone_from,
        billing_relationship=cmd.billing_relationship, party=_party(cmd),
        buyer_reference=cmd.buyer_reference, sepa_mandate=cmd.sepa_mandate, actor=cmd.actor,
    ),
    c.SetContact: lambda s, cmd, t: notify.set_contact(
        s, cmd.org, emails=cmd.emails, webhook_url=cmd.webhook_url,
        webhook_secret=cmd.webhook_secret, rotate_secret=cmd.rotate_secret,
        end_rotation=cmd.end_rotation, actor=cmd.actor,
    ),
    c.AddAdmin: lambda s, cmd, t: admins.add_admin(
        s, t.pins(), cmd.org, cmd.admin, cmd.pin, actor=cmd.actor
    ),
    c.UnlockAdmin: lambda s, cmd, t: admins.unlock_admin(
        s, t.pins(), cmd.org, cmd.admin, by=cmd.by, pin=cmd.pin, actor=cmd.actor,
        passphrase=cmd.passphrase,
    ),
    c.ActivateSeat: _activate,
    c.DeactivateSeat: lambda s, cmd, t: seats.deactivate(
        s, cmd.seat, actor=cmd.actor, on=cmd.on, reason=cmd.reason
    ),
    c.CompleteSeat: lambda s, cmd, t: seats.complete(
        s, cmd.seat, actor=cmd.actor, on=cmd.on, reason=cmd.reason
    ),
    c.ReactivateSeat: _reactivate,
    c.CorrectFact: lambda s, cmd, t: seats.correct(
        s, cmd.seat, cmd.seq, on=cmd.on, actor=cmd.actor, reason=cmd.reason
    ),
    c.RetractFact: lambda s, cmd, t: seats.retract(
        s, cmd.seat, cmd.seq, actor=cmd.actor, reason=cmd.reason
    ),
    c.AddAddon: lambda s, cmd, t: seats.add_addon(
        s, cmd.seat, cmd.addon, actor=cmd.actor, on=cmd.on, reason=cmd.reason,
        catalog=t.catalog(),
    ),
    c.RemoveAddon: lambda s, cmd, t: seats.remove_addon(
        s, cmd.seat, cmd.addon, actor=cmd.actor, on=cmd.on, reason=cmd.reason
    ),
    c.ImportSeats: _import,
    c.RequestTransfer: lambda s, cmd, t: transfers.request_transfer(
        s, cmd.seat, cmd.to, actor=cmd.actor, expires_in_days=cmd.expires_in_days,
        reason=cmd.reason,
    ),
    c.ApproveTransfer: lambda s, cmd, t: transfers.approve(
        s, t.pins(), cmd.request, admin=cmd.admin, pin=cmd.pin, actor=cmd.actor,
        reason=cmd.reason,
    ),
    c.RejectTransfer: lambda s, cmd, t: transfers.reject(
        s, t.pins(), cmd.request, admin=cmd.admin, pin=cmd.pin, actor=cmd.actor,
        reason=cmd.reason,
    ),
    c.WithdrawTransfer: lambda s, cmd, t: transfers.withdraw(
        s, cmd.request, actor=cmd.actor, reason=cmd.reason
    ),
    c.ExpireTransfers: lambda s, cmd, t: transfers.expire_due(s, actor=cmd.actor),
    c.TakeOver: lambda s, cmd, t: transfers.take_over(
        s, t.pins(), cmd.seat, cmd.by, admin=cmd.admin, pin=cmd.pin, actor=cmd.actor,
        reason=cmd.reason,
    ),
    c.SetContract: lambda s, cmd, t: contracts.set_contract(
        s, t.catalog(), cmd.org, cmd.terms, actor=cmd.actor
    ),
    c.RecordUsage: lambda s, cmd, t: contracts.record_usage(
        s, t.catalog(), cmd.org, cmd.kind, quantity=cmd.quantity, on=cmd.on, actor=cmd.actor
    ),
    c.CorrectUsage: lambda s, cmd, t: usage_cases.correct_usage(
        s, cmd.record, quantity=cmd.quantity, on=cmd.on, reason=cmd.reason, actor=cmd.actor
    ),
    c.RetractUsage: lambda s, cmd, t: usage_cases.retract_usage(
        s, cmd.record, reason=cmd.reason, actor=cmd.actor
    ),
    c.CreateApiKey: lambda s, cmd, t: apikeys.create_api_key(
        s, cmd.name, cmd.org, actor=cmd.actor, new_secret=t.new_secret
    ),
    c.RevokeApiKey: lambda s, cmd, t: apikeys.revoke_api_key(s, cmd.name, actor=cmd.actor),
}  # fmt: skip


def handle(services: Services, command: c.Command[T], tools: Tools) -> Result[T, LedgerError]:
    """Run ``command``'s use case (one transaction; a refusal changes nothing)."""
    handler = HANDLERS[type(command)]
    return cast(Result[T, LedgerError], handler(services, command, tools))
