"""Use cases for the parties of invoice documents: the seller, and each organisation as a buyer."""

from __future__ import annotations

import attrs
from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import Action
from seatledger.domain.errors import InvalidPartyField, LedgerError, NothingToChange
from seatledger.domain.identifiers import valid_text
from seatledger.domain.organisation import Organisation
from seatledger.domain.parties import (
    BuyerDetails,
    PartyDetails,
    Seller,
    checked_party,
    valid_iban,
    valid_payment_days,
    valid_series,
)
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.services.access import POLICY, SYSTEM_ACTOR, record, standing
from seatledger.domain.services.context import Services

# What the first ``seller set`` must give: a document cannot name its seller without them.
SELLER_REQUIRED = ("legal_name", "vat_id", "address", "city", "postcode", "country")


@frozen
class PartyChanges:
    """The party fields to change (None: unchanged), as given."""

    legal_name: str | None = None
    vat_id: str | None = None
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    peppol_id: str | None = None

    def as_changes(self) -> dict[str, str | None]:
        return attrs.asdict(self)


def _described(before: object, after: object, fields: tuple[str, ...]) -> list[str]:
    return [
        f"{field.replace('_', ' ')} {getattr(before, field)!r} -> {getattr(after, field)!r}"
        for field in fields
        if getattr(before, field) != getattr(after, field)
    ]


_PARTY = tuple(a.name for a in attrs.fields(PartyDetails))


def set_seller(
    services: Services,
    changes: PartyChanges,
    *,
    iban: str | None = None,
    invoice_series: str | None = None,
    payment_days: int | None = None,
    actor: str = SYSTEM_ACTOR,
) -> Result[Seller, LedgerError]:
    """Set the vendor's details as the seller on every document issued from now on.

    Every field is checked (VAT id by its country's rule, IBAN, Peppol id,
    country); the first call needs the legal name, VAT id and postal address.
    Documents already issued keep the seller they froze.
    """
    with services.uow.transaction(write=True) as ledger:
        allowed = POLICY.check_operator_task(standing(ledger, actor), Action.SELLER_SET)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        old = ledger.seller()
        base = old or Seller(PartyDetails())
        party = checked_party(base.party, changes.as_changes())
        if isinstance(party, Failure):
            return Failure(party.failure())
        new = attrs.evolve(base, party=party.unwrap())
        if old is None:
            missing = [f for f in SELLER_REQUIRED if getattr(new.party, f) is None]
            if missing:
                options = ", ".join(
                    "--" + ("name" if f == "legal_name" else f.replace("_", "-")) for f in missing
                )
                return Failure(
                    InvalidPartyField("seller", "-", f"the first 'seller set' needs {options}")
                )
        if iban is not None:
            checked_iban = valid_iban(iban)
            if isinstance(checked_iban, Failure):
                return Failure(checked_iban.failure())
            new = attrs.evolve(new, iban=checked_iban.unwrap())
        if invoice_series is not None:
            series = valid_series(invoice_series)
            if isinstance(series, Failure):
                return Failure(series.failure())
            new = attrs.evolve(new, invoice_series=series.unwrap())
        if payment_days is not None:
            days = valid_payment_days(payment_days)
            if isinstance(days, Failure):
                return Failure(days.failure())
            new = attrs.evolve(new, payment_days=days.unwrap())
        if new == old:
            return Failure(NothingToChange("nothing to change: the seller is set so already"))
        described = _described(base.party, new.party, _PARTY) + _described(
            base, new, ("iban", "invoice_series", "payment_days")
        )
        recorded = assign_recorded_at(services.clock, ledger.head())
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        ledger.save_seller(new, recorded.unwrap())
        record(
            ledger, recorded.unwrap(), actor, allowed.unwrap(), Action.SELLER_SET,
            subject="seller", text="; ".join(described)[:480] or "seller set",
        )  # fmt: skip
        services.uow.commit()
    return Success(new)


def get_seller(services: Services) -> Seller | None:
    with services.uow.transaction(write=False) as ledger:
        return ledger.seller()


def buyer_details_changed(
    organisation: Organisation,
    changes: PartyChanges,
    buyer_reference: str | None,
    sepa_mandate: str | None = None,
) -> Result[tuple[BuyerDetails, list[str]], LedgerError]:
    """The organisation's buyer details with ``changes``, each checked, and what changed."""
    party = checked_party(organisation.details.party, changes.as_changes())
    if isinstance(party, Failure):
        return Failure(party.failure())
    new = attrs.evolve(organisation.details, party=party.unwrap())
    if buyer_reference is not None:
        reference = valid_text("buyer reference", buyer_reference)
        if isinstance(reference, Failure):
            return Failure(reference.failure())
        new = attrs.evolve(new, buyer_reference=reference.unwrap())
    if sepa_mandate is not None:
        mandate = valid_text("SEPA mandate", sepa_mandate)
        if isinstance(mandate, Failure):
            return Failure(mandate.failure())
        new = attrs.evolve(new, sepa_mandate=mandate.unwrap())
    described = _described(organisation.details.party, new.party, _PARTY) + _described(
        organisation.details, new, ("buyer_reference", "sepa_mandate")
    )
    return Success((new, described))
