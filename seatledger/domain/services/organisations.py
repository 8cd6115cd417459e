"""Use cases for organisations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import attrs
from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import Action
from seatledger.domain.dates import zone
from seatledger.domain.errors import (
    InvalidZoneChange,
    LedgerError,
    NothingToChange,
    OrganisationExists,
    UnknownOrganisation,
)
from seatledger.domain.identifiers import OrgId, valid_text
from seatledger.domain.organisation import Organisation, ZoneChange, new_organisation
from seatledger.domain.ports import LedgerRepository
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.services.access import POLICY, SYSTEM_ACTOR, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.parties import PartyChanges, buyer_details_changed


def add_organisation(
    services: Services,
    org: str,
    name: str,
    timezone: str = "Europe/Amsterdam",
    currency: str = "EUR",
    billing_relationship: bool = True,
    *,
    actor: str = SYSTEM_ACTOR,
) -> Result[Organisation, LedgerError]:
    """Register a client organisation; refused if the id is taken or a field is invalid."""
    checked = new_organisation(org, name, timezone, currency, billing_relationship)
    if isinstance(checked, Failure):
        return checked
    organisation = checked.unwrap()
    with services.uow.transaction(write=True) as ledger:
        allowed = POLICY.check_operator_task(standing(ledger, actor), Action.ORG_ADD)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        if ledger.get_organisation(organisation.id) is not None:
            return Failure(OrganisationExists(organisation.id))
        recorded = assign_recorded_at(services.clock, ledger.head())
        if isinstance(recorded, Failure):
            return recorded
        ledger.add_organisation(organisation, recorded.unwrap())
        relationship = "with" if organisation.billing_relationship else "without"
        record(
            ledger, recorded.unwrap(), actor, allowed.unwrap(), Action.ORG_ADD,
            org=organisation.id, subject=organisation.id,
            text=f"{organisation.name} ({organisation.timezone}, {organisation.currency}), "
            f"{relationship} a billing relationship",
        )  # fmt: skip
        services.uow.commit()
    return Success(organisation)


def set_organisation(
    services: Services,
    org: str,
    *,
    name: str | None = None,
    timezone: str | None = None,
    timezone_from: date | None = None,
    billing_relationship: bool | None = None,
    party: PartyChanges | None = None,
    buyer_reference: str | None = None,
    sepa_mandate: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> Result[Organisation, LedgerError]:
    """Change an organisation's name, billing relationship, time zone or buyer details
    (legal name, VAT id, address, Peppol id, buyer reference; None: unchanged).

    Buyer details are checked as they are set (the VAT id by its country's
    rule); documents issued before keep the details they froze.

    A new time zone applies from ``timezone_from`` on (default: today in the
    zone in force), never from a day already begun: past days were lived,
    and their count dates closed, in the old zone (decision 0022). A change
    must come after the organisation's last one. Name and relationship are
    current settings; the audit trail keeps their earlier values.
    """
    if name is not None:
        checked_name = valid_text("name", name)
        if isinstance(checked_name, Failure):
            return Failure(checked_name.failure())
        name = checked_name.unwrap()
    if timezone is not None:
        checked_zone = zone(timezone)
        if isinstance(checked_zone, Failure):
            return Failure(checked_zone.failure())
        timezone = timezone.strip()
    with services.uow.transaction(write=True) as ledger:
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        old = found.unwrap()
        allowed = POLICY.check_operator_task(standing(ledger, actor), Action.ORG_SET, old.id)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        today = old.today(services.clock.today)
        if timezone is None and timezone_from is not None:
            return Failure(InvalidZoneChange(old.id, timezone_from, "no new time zone was given"))
        changes: list[str] = []
        new = old
        if name is not None and name != old.name:
            new = attrs.evolve(new, name=name)
            changes.append(f"name {old.name!r} -> {name!r}")
        if billing_relationship is not None and billing_relationship != old.billing_relationship:
            new = attrs.evolve(new, billing_relationship=billing_relationship)
            words = {True: "with", False: "without"}
            changes.append(
                f"{words[old.billing_relationship]} -> {words[billing_relationship]} "
                "a billing relationship"
            )
        details = buyer_details_changed(old, party or PartyChanges(), buyer_reference, sepa_mandate)
        if isinstance(details, Failure):
            return Failure(details.failure())
        new_details, details_changed = details.unwrap()
        changes += details_changed
        zone_change: ZoneChange | None = None
        if timezone is not None:
            since = timezone_from or today
            checked = _zone_change_allowed(old, since, today)
            if isinstance(checked, Failure):
                return Failure(checked.failure())
            if timezone != old.zone_on(since):
                zone_change = ZoneChange(since, timezone, services.clock.now(), actor)
                changes.append(
                    f"time zone {old.zone_on(since)} -> {timezone} from {since.isoformat()}"
                )
        if not changes:
            return Failure(NothingToChange(f"nothing to change: {old.id!r} is set so already"))
        recorded = assign_recorded_at(services.clock, ledger.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        at = recorded.unwrap()
        if new != old or (zone_change is None and not details_changed):
            ledger.save_organisation(new, at)
        if details_changed:
            ledger.save_buyer_details(old.id, new_details, at)
            new = attrs.evolve(new, details=new_details)
        if zone_change is not None:
            zone_change = attrs.evolve(zone_change, recorded_at=at)
            ledger.add_zone_change(old.id, zone_change, at)
            new = attrs.evolve(
                new,
                zone_changes=tuple(sorted((*new.zone_changes, zone_change), key=lambda c: c.on)),
            )
        record(
            ledger, at, actor, allowed.unwrap(), Action.ORG_SET,
            org=old.id, subject=old.id, text="; ".join(changes),
        )  # fmt: skip
        services.uow.commit()
    return Success(new)


def _zone_change_allowed(
    org: Organisation, since: date, today: date
) -> Result[date, InvalidZoneChange]:
    if since < today:
        return Failure(
            InvalidZoneChange(
                org.id, since,
                f"it lies before today ({today.isoformat()}): past days were lived, and "
                "their count dates closed, in the old zone",
            )
        )  # fmt: skip
    if org.zone_changes and since <= org.zone_changes[-1].on:
        last = org.zone_changes[-1]
        return Failure(
            InvalidZoneChange(
                org.id, since,
                f"its zone already changes to {last.timezone} from {last.on.isoformat()}; "
                "a new change must come after that",
            )
        )  # fmt: skip
    return Success(since)


def get_organisation(services: Services, org: str) -> Result[Organisation, UnknownOrganisation]:
    with services.uow.transaction(write=False) as ledger:
        return require_organisation(ledger, org)


def list_organisations(services: Services) -> Sequence[Organisation]:
    with services.uow.transaction(write=False) as ledger:
        return list(ledger.list_organisations())


def require_organisation(
    ledger: LedgerRepository, org: str
) -> Result[Organisation, UnknownOrganisation]:
    """The organisation with that id, or UnknownOrganisation."""
    found = ledger.get_organisation(OrgId(org))
    if found is None:
        return Failure(UnknownOrganisation(org))
    return Success(found)
