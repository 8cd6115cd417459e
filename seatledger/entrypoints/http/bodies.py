"""The JSON bodies the HTTP API accepts: one frozen attrs class per write.

Their keys are the command line's option names as JSON keys (HTTP.md).
Dates and instants arrive as text and are parsed by the domain's own
parsers at the edge, so a bad date is refused with the command line's code
(``invalid-date``) rather than a generic validation error. A body that is
not JSON, or misses a required key or has one of the wrong type, is 400
(``invalid-request``); keys not listed here are ignored.
"""

from __future__ import annotations

from attrs import frozen


@frozen
class NewOrganisation:
    org: str
    name: str
    timezone: str = "Europe/Amsterdam"
    currency: str = "EUR"
    billing_relationship: bool = True


@frozen
class OrganisationChange:
    """The fields of ``org set``; a key left out keeps its value."""

    name: str | None = None
    timezone: str | None = None
    timezone_from: str | None = None
    billing_relationship: bool | None = None


@frozen
class ContractBody:
    """The options of ``contract set`` as JSON keys; a key left out keeps its value."""

    plan: str | None = None
    cadence: str | None = None
    reference: str | None = None
    year_start: str | None = None
    count_days_before: int | None = None
    licensed: int | None = None
    overage_price: str | None = None
    vat: str | None = None
    trial_until: str | None = None
    payment_method: str | None = None
    discount: str | None = None
    effective_from: str | None = None
    annual_start: str | None = None
    leave_annual: str | None = None
    transfer_coverage: str | None = None
    negative_balance: str | None = None
    overage_invoice: str | None = None
    remove: list[str] | None = None


@frozen
class NewAdmin:
    admin: str
    pin: str


@frozen
class UsageBody:
    kind: str
    quantity: int = 1
    on: str | None = None


@frozen
class Activation:
    org: str
    on: str | None = None
    kind: str = "regular"
    holder: str = ""
    addons: list[str] | None = None
    reason: str | None = None


@frozen
class SeatChange:
    """Deactivate, complete or reactivate a seat."""

    on: str | None = None
    reason: str | None = None


@frozen
class NewTransfer:
    seat: str
    to: str
    expires_in_days: int | None = None
    reason: str | None = None


@frozen
class Decision:
    """Approve or reject a transfer: an admin of the receiving organisation and their PIN."""

    admin: str
    pin: str
    reason: str | None = None


@frozen
class Withdrawal:
    reason: str | None = None


@frozen
class NewTakeover:
    seat: str
    by: str
    admin: str
    pin: str
    reason: str | None = None


@frozen
class BillingRun:
    period: str
    org: str | None = None
    dry_run: bool = False
