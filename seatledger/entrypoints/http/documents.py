"""The JSON answers of the HTTP API, as types: the OpenAPI document's response schemas.

They name the stable keys of the command line's JSON shapes (CLI.md); the
answers carry more keys than these (more are welcome, HTTP.md). Schemathesis
checks every live answer against them.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

Json = dict[str, Any]


class Health(TypedDict):
    status: str
    schema_revision: str | None


class OrganisationDocument(TypedDict):
    org: str
    name: str
    timezone: str
    currency: str
    billing_relationship: bool


class OrganisationsPage(TypedDict):
    data: list[OrganisationDocument]
    has_more: bool
    next_cursor: str | None


class SeatRowDocument(TypedDict):
    seat: str
    holder: str
    kind: str
    activated_on: str
    deactivated_on: str | None
    paying_org: str


SeatsPage = TypedDict(
    "SeatsPage",
    {
        "org": str,
        "on": NotRequired[str | None],
        "from": NotRequired[str | None],
        "to": NotRequired[str | None],
        "mode": NotRequired[str | None],
        "as_known_at": str | None,
        "count": int,
        "seats": list[SeatRowDocument],
        "has_more": bool,
        "next_cursor": str | None,
    },
)


class FactDocument(TypedDict):
    seq: int
    seat: str
    kind: str
    effective_on: str
    recorded_at: str
    actor: str
    reason: str | None


TransferDocument = TypedDict(
    "TransferDocument",
    {"request": str, "seat": str, "from": str, "to": str, "status": str,
     "deadline": str | None},
)  # fmt: skip


class TransfersPage(TypedDict):
    data: list[TransferDocument]
    has_more: bool
    next_cursor: str | None


class InvoiceLineDocument(TypedDict):
    kind: str
    description: str
    quantity: int
    unit_price: str
    amount: str


class InvoiceDocument(TypedDict):
    invoice: str
    org: str
    period: str
    reference_date: str | None
    status: str
    currency: str
    lines: list[InvoiceLineDocument]
    subtotal: str
    vat_rate: str
    vat: str
    total: str
    evidence_hash: str | None


class InvoicesPage(TypedDict):
    data: list[InvoiceDocument]
    has_more: bool
    next_cursor: str | None


class RunDocument(TypedDict):
    period: str
    dry_run: bool
    invoices: list[InvoiceDocument]


class VerifyDocument(TypedDict):
    invoice: str
    verified: bool
    problems: list[str]
