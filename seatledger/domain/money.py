"""Money: ``Decimal`` amounts, never floats, rounded by a named policy."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import InvalidAmount
from seatledger.domain.organisation import CURRENCY_MINOR_UNITS

_AMOUNT = re.compile(r"\d{1,12}(\.\d{1,4})?", re.ASCII)
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def parse_amount(
    text: str, *, field: str = "amount", max_places: int = 2
) -> Result[Decimal, InvalidAmount]:
    """A non-negative decimal amount such as ``39.00``; refuses floats' cousins (NaN, 1e3, -5)."""
    cleaned = text.strip()
    shown = text if len(text) <= 40 else text[:40] + "..."
    if len(cleaned) > 40:
        return Failure(InvalidAmount(field, shown, "at most 40 characters"))
    if not _AMOUNT.fullmatch(cleaned):
        return Failure(InvalidAmount(field, shown, "expected a non-negative decimal such as 39.00"))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return Failure(InvalidAmount(field, text, "not a decimal number"))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max_places:
        return Failure(InvalidAmount(field, text, f"at most {max_places} decimal places"))
    return Success(value)


def minor_unit(currency: str) -> Decimal:
    """The smallest unit of a currency as a quantum: 0.01 for EUR, 1 for JPY."""
    return Decimal(1).scaleb(-CURRENCY_MINOR_UNITS[currency])


@frozen
class HalfUpPerInvoice:
    """The default rounding policy, stored on every invoice by name.

    Line amounts are exact (quantity times a unit price) except percentage
    discounts, which are rounded half-up to the currency's minor unit. VAT
    is computed once per invoice per rate on the subtotal and rounded
    half-up to the minor unit; the total is the subtotal plus VAT.
    """

    name: str = "half-up-per-invoice"

    def round(self, amount: Decimal, currency: str) -> Decimal:
        return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)

    def vat(self, subtotal: Decimal, rate_percent: Decimal, currency: str) -> Decimal:
        return self.round(subtotal * rate_percent / HUNDRED, currency)


ROUNDING_POLICIES = {HalfUpPerInvoice().name: HalfUpPerInvoice()}


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as a decimal string with the currency's minor units: ``141.57``."""
    return str(amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP))
