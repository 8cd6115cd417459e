"""Use cases for organisations."""

from __future__ import annotations

from collections.abc import Sequence

from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import Action
from seatledger.domain.errors import LedgerError, OrganisationExists, UnknownOrganisation
from seatledger.domain.identifiers import OrgId
from seatledger.domain.organisation import Organisation, new_organisation
from seatledger.domain.ports import LedgerRepository
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.services.access import POLICY, SYSTEM_ACTOR, record, standing
from seatledger.domain.services.context import Services


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
