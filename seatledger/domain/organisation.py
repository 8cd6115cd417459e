"""Organisations: the clients a vendor bills, each in its own time zone and currency."""

from __future__ import annotations

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.dates import zone
from seatledger.domain.errors import InvalidCurrency, LedgerError
from seatledger.domain.identifiers import OrgId, org_id, valid_text

# ISO 4217 codes seatledger bills in, with their minor units (decimal places).
CURRENCY_MINOR_UNITS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "BGN": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "ZAR": 2,
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
}


@frozen
class Organisation:
    """A client organisation.

    ``billing_relationship`` says whether the vendor invoices it: only such an
    organisation can receive the billing of a seat.
    """

    id: OrgId
    name: str
    timezone: str = "Europe/Amsterdam"
    currency: str = "EUR"
    billing_relationship: bool = True


def valid_currency(text: str) -> Result[str, InvalidCurrency]:
    code = text.strip().upper()
    if code not in CURRENCY_MINOR_UNITS:
        return Failure(InvalidCurrency(text))
    return Success(code)


def new_organisation(
    id_text: str,
    name: str,
    timezone: str = "Europe/Amsterdam",
    currency: str = "EUR",
    billing_relationship: bool = True,
) -> Result[Organisation, LedgerError]:
    """Validate every field of a new organisation; the first problem found is returned."""
    checked_id = org_id(id_text)
    if isinstance(checked_id, Failure):
        return checked_id
    checked_name = valid_text("name", name)
    if isinstance(checked_name, Failure):
        return checked_name
    checked_zone = zone(timezone)
    if isinstance(checked_zone, Failure):
        return checked_zone
    checked_currency = valid_currency(currency)
    if isinstance(checked_currency, Failure):
        return checked_currency
    return Success(
        Organisation(
            id=checked_id.unwrap(),
            name=checked_name.unwrap(),
            timezone=timezone,
            currency=checked_currency.unwrap(),
            billing_relationship=billing_relationship,
        )
    )
