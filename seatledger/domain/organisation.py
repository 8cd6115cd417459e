"""Organisations: the clients a vendor bills, each in its own time zone and currency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import attrs
from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.dates import zone
from seatledger.domain.errors import InvalidCurrency, LedgerError
from seatledger.domain.identifiers import OrgId, org_id, valid_text
from seatledger.domain.parties import BuyerDetails

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
class ZoneChange:
    """From ``on`` on, the organisation's business dates are days in ``timezone``."""

    on: date
    timezone: str
    recorded_at: datetime
    actor: str


@frozen
class Organisation:
    """A client organisation.

    ``billing_relationship`` says whether the vendor invoices it: only such an
    organisation can receive the billing of a seat.

    ``timezone`` is the zone it was added with; ``zone_changes`` the later
    zones, each from a date on, in date order (decision 0022). Ask
    ``today`` and ``zone_on`` rather than reading ``timezone``.

    ``details`` are what its invoices say of it as the buyer (legal name,
    VAT id, address, Peppol id, reference); documents freeze them when issued.
    """

    id: OrgId
    name: str
    timezone: str = "Europe/Amsterdam"
    currency: str = "EUR"
    billing_relationship: bool = True
    zone_changes: tuple[ZoneChange, ...] = ()
    details: BuyerDetails = attrs.field(factory=BuyerDetails)

    def zone_on(self, day: date) -> str:
        """The time zone of the business date ``day``."""
        zone_name = self.timezone
        for change in self.zone_changes:
            if change.on > day:
                break
            zone_name = change.timezone
        return zone_name

    def today(self, today_in: Callable[[str], date]) -> date:
        """Today's business date, given the date it is in any zone (``Clock.today``).

        Before a change's date it is the old zone's date. The change's date
        begins as it begins in the old zone and lasts until it has begun in
        the new one too (a change to a zone behind makes that day longer); from
        then on it is the new zone's date. So today never goes back, and never
        skips a day that the old zone had not reached.
        """
        day = today_in(self.timezone)
        for change in self.zone_changes:
            if day < change.on:
                break
            in_new_zone = today_in(change.timezone)
            if in_new_zone < change.on:
                return change.on
            day = in_new_zone
        return day


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
