"""Invoices and their frozen evidence, with a content hash over a canonical form.

An issued invoice is immutable. It carries everything needed to prove it
later: each seat counted with its activation and deactivation dates and
paying organisation, the prices and rules used, the usage billed, the
"as known at" cut, and a SHA-256 hash over a canonical serialisation of all
of it (sorted keys, no whitespace, decimals and dates as strings).
"""

from __future__ import annotations

import enum
import hashlib
import json
import json.encoder
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

import attrs
from attrs import frozen

from seatledger.domain.dates import Period, iso_instant
from seatledger.domain.identifiers import OrgId
from seatledger.domain.numbering import DocumentIssue
from seatledger.domain.queries import SeatRow
from seatledger.domain.usage import UsageRecord

# Fields added after the first invoices were issued: left out of the canonical form while they
# hold their default, so every invoice issued before them keeps its content hash.
ADDED = {"added": True}


class LineKind(enum.Enum):
    SEAT = "seat"
    ADDON = "addon"
    USAGE = "usage"
    OVERAGE = "overage"
    DISCOUNT = "discount"
    ADJUSTMENT = "adjustment"


class InvoiceStatus(enum.Enum):
    ISSUED = "issued"
    FORECAST = "forecast"  # a dry run: computed, never stored


@frozen
class InvoiceLine:
    """One line; ``refers_to`` and ``seats`` tie an adjustment to what it corrects.

    A charge line records what it covers: the months ``service_from`` …
    (``service_months`` of them) counted on ``counted_on``. ``vat_percent``
    is the VAT rate of the line when it is not the invoice's: an adjustment
    carries the rate of the invoice it corrects.
    """

    kind: LineKind
    description: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    refers_to: str | None = None
    seats: tuple[str, ...] = ()
    service_from: Period | None = attrs.field(default=None, metadata=ADDED)
    service_months: int | None = attrs.field(default=None, metadata=ADDED)
    counted_on: date | None = attrs.field(default=None, metadata=ADDED)
    vat_percent: Decimal | None = attrs.field(default=None, metadata=ADDED)


@frozen
class PriceSheet:
    """The prices and rules an invoice was computed with, frozen into its evidence."""

    plan: str
    plan_name: str
    cadence: str
    reference_rule: str
    seat_price: Decimal
    student_price: Decimal
    addon_prices: Mapping[str, Decimal]
    usage_prices: Mapping[str, Decimal]
    licensed: int | None
    overage_price: Decimal | None
    vat_percent: Decimal
    currency: str
    rounding: str
    discount_code: str | None
    discount_kind: str | None
    discount_value: Decimal | None
    discount_applies: bool
    contract_version: int
    usage_plan: str | None = attrs.field(default=None, metadata=ADDED)
    policies: tuple[tuple[str, str], ...] | None = attrs.field(default=None, metadata=ADDED)
    # The UNCL 5305 category of the document's own lines ("Z", "E", "AE"); None: "S".
    vat_category: str | None = attrs.field(default=None, metadata=ADDED)


@frozen
class AdjustmentBasis:
    """Why an adjustment line exists: the original invoice and what changed since."""

    original: str
    billed_before: Decimal
    recomputed: Decimal
    seats_added: tuple[str, ...]
    seats_removed: tuple[str, ...]
    vat_percent: Decimal | None = attrs.field(default=None, metadata=ADDED)


@frozen
class ServiceTerm:
    """The service period an invoice's count covers: ``months`` from ``first``, counted on
    ``counted_on``; a seat owing ``n`` of them pays ``n / basis`` of the cadence price."""

    first: Period
    months: int
    basis: int
    counted_on: date


@frozen
class ArrivalCount:
    """Seats that arrived in an annual period after its count, counted in month ``month``
    on ``counted_on``, each owing the months of ``owed`` up to the period's end, at the
    annual period's prices."""

    month: Period
    basis: int
    counted_on: date
    seats: tuple[SeatRow, ...]
    owed: tuple[tuple[str, int], ...]
    # The annual period's own prices (the invoice's may be monthly by now).
    seat_price: Decimal | None = None
    student_price: Decimal | None = None


@frozen
class ChargeBasis:
    """What the coverage rules decided for an invoice (invoices issued since they exist).

    ``service`` is the period counted on the evidence's reference date;
    ``owed`` names the counted seats that owe fewer of its months (the rest
    were paid in advance by an earlier payer); ``covered_elsewhere`` the
    seats counted but owing nothing; ``arrivals`` the seats charged for
    arriving in an annual period; ``document`` which lines this document
    holds (``all``, ``no-overage`` or ``overage``).
    """

    service: ServiceTerm | None
    owed: tuple[tuple[str, int], ...]
    covered_elsewhere: tuple[str, ...]
    arrivals: ArrivalCount | None
    document: str = "all"


@frozen
class Evidence:
    """What the invoice was computed from, as known at ``as_known_at``.

    ``usage_from``/``usage_until`` bound the usage billed in arrears (both
    included); ``seats`` are those counted on ``reference_date`` (empty when
    no licence fees are due in the period).
    """

    as_known_at: datetime | None
    reference_date: date | None
    usage_from: date | None
    usage_until: date | None
    prices: PriceSheet
    seats: tuple[SeatRow, ...]
    usage: tuple[UsageRecord, ...]
    adjustments: tuple[AdjustmentBasis, ...]
    basis: ChargeBasis | None = attrs.field(default=None, metadata=ADDED)


@frozen
class Invoice:
    id: str
    org: OrgId
    period: Period
    kind: str
    status: InvoiceStatus
    currency: str
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    rounding: str
    evidence: Evidence
    evidence_hash: str
    issued_at: datetime | None
    # The legal number, dates and parties frozen when it was issued (None: a forecast, or an
    # invoice issued before documents were numbered).
    issue: DocumentIssue | None = None

    def lines_of(self, kind: LineKind) -> list[InvoiceLine]:
        return [line for line in self.lines if line.kind is kind]


@frozen
class IssuedSummary:
    """What a later billing run needs of an issued invoice, without its evidence seats.

    Its lines (adjustments so far, discount uses), its prices and its cut. A
    run reads one per earlier invoice of every organisation, and the full
    invoice (``Store.get_invoice``) only for the few it must recompute.
    """

    id: str
    org: OrgId
    period: Period
    kind: str
    lines: tuple[InvoiceLine, ...]
    prices: PriceSheet
    as_known_at: datetime | None


def summary_of(invoice: Invoice) -> IssuedSummary:
    return IssuedSummary(
        id=invoice.id,
        org=invoice.org,
        period=invoice.period,
        kind=invoice.kind,
        lines=tuple(invoice.lines),
        prices=invoice.evidence.prices,
        as_known_at=invoice.evidence.as_known_at,
    )


REGULAR = "regular"
OVERAGE = "overage"
CREDIT_NOTE = "credit-note"
_PREFIXES = {REGULAR: "INV", OVERAGE: "OVG", CREDIT_NOTE: "CN"}
KINDS = tuple(_PREFIXES)


def invoice_id(org: OrgId, period: Period, kind: str = REGULAR) -> str:
    """A document's stable id: ``INV-`` (an invoice), ``OVG-`` (an overage invoice) or ``CN-``
    (a credit note), then the period and the organisation."""
    return f"{_PREFIXES[kind]}-{period}-{org}"


_quoted: Callable[[str], str] = json.encoder.encode_basestring_ascii


def _date_json(value: date | None) -> str:
    return "null" if value is None else f'"{value.isoformat()}"'


@lru_cache(maxsize=1024)
def _addons_json(addons: frozenset[str]) -> str:
    return "[" + ",".join(_quoted(a) for a in sorted(addons)) + "]"


def _seat_json(row: SeatRow) -> str:
    """One evidence seat's canonical JSON, written out: an invoice hashes thousands of them.

    The text ``json.dumps`` gives for ``_text(row)`` with sorted keys, no
    spaces and ASCII only (a unit test holds the two equal).
    """
    return (
        f'{{"activated_on":"{row.activated_on.isoformat()}",'
        f'"addons":{_addons_json(row.addons)},'
        f'"billed_from":"{row.billed_from.isoformat()}",'
        f'"billed_until":{_date_json(row.billed_until)},'
        f'"deactivated_on":{_date_json(row.deactivated_on)},'
        f'"holder":{_quoted(row.holder)},'
        f'"kind":{_quoted(row.kind.value)},'
        f'"paying_org":{_quoted(row.paying_org)},'
        f'"seat":{_quoted(row.seat)}}}'
    )


def _text(value: object) -> object:
    """A value in canonical form: text for decimals, dates and instants; sorted collections."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _text(value.value)
    if isinstance(value, Period):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted(_text(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, Mapping):
        return {str(k.value if isinstance(k, enum.Enum) else k): _text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_text(v) for v in value]
    if hasattr(value, "__attrs_attrs__"):
        return {a.name: _text(getattr(value, a.name)) for a in _hashed(value)}
    return value


def _hashed(value: object) -> list[attrs.Attribute]:  # type: ignore[type-arg]
    """The attributes of ``value`` in its canonical form: all but added ones at their default."""
    return [
        a
        for a in value.__attrs_attrs__  # type: ignore[attr-defined]
        if not (a.metadata.get("added") and getattr(value, a.name) == a.default)
    ]


def canonical_content(invoice_fields: Mapping[str, object], evidence: Evidence) -> str:
    """The canonical JSON text the evidence hash is computed over.

    ``json.dumps`` of the invoice fields and the evidence in canonical form
    (``_text``), keys sorted, no spaces, ASCII only. The evidence seats are
    written by ``_seat_json`` and put where a marker stands; if the marker's
    text occurs anywhere else, everything goes through ``json.dumps``.
    """
    rendered = {
        a.name: _text(getattr(evidence, a.name)) for a in _hashed(evidence) if a.name != "seats"
    }
    rendered["seats"] = _SEATS_MARK
    content = {"invoice": _text(dict(invoice_fields)), "evidence": rendered}
    text = _canonical_json(content)
    mark = _quoted(_SEATS_MARK)
    if text.count(mark) == 1:
        return text.replace(mark, "[" + ",".join(map(_seat_json, evidence.seats)) + "]")
    rendered["seats"] = _text(evidence.seats)
    return _canonical_json(content)


# Stands for the evidence seats in the text before they are put in (see canonical_content).
_SEATS_MARK = "\x00evidence seats\x00"


def _canonical_json(content: object) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def hashed_fields(invoice: Invoice) -> dict[str, object]:
    """The invoice fields the hash covers: everything but the hash and the issue instant.

    The legal number, dates and parties (``issue``) are covered when the invoice has them, so
    an invoice issued before them keeps its hash.
    """
    fields: dict[str, object] = {
        "id": invoice.id,
        "org": invoice.org,
        "period": invoice.period,
        "kind": invoice.kind,
        "currency": invoice.currency,
        "lines": invoice.lines,
        "subtotal": invoice.subtotal,
        "vat_rate": invoice.vat_rate,
        "vat": invoice.vat,
        "total": invoice.total,
        "rounding": invoice.rounding,
    }
    if invoice.issue is not None:
        fields["issue"] = invoice.issue
    return fields


def hashed_invoice(
    *,
    org: OrgId,
    period: Period,
    kind: str,
    status: InvoiceStatus,
    sheet: PriceSheet,
    lines: Sequence[InvoiceLine],
    totals: tuple[Decimal, Decimal, Decimal],
    evidence: Evidence,
    issued_at: datetime | None,
) -> Invoice:
    """An invoice of ``lines`` and ``evidence`` with its content hash (``evidence_hash``)."""
    subtotal, vat, total = totals
    draft = Invoice(
        id=invoice_id(org, period, kind),
        org=org,
        period=period,
        kind=kind,
        status=status,
        currency=sheet.currency,
        lines=tuple(lines),
        subtotal=subtotal,
        vat_rate=sheet.vat_percent,
        vat=vat,
        total=total,
        rounding=sheet.rounding,
        evidence=evidence,
        evidence_hash="",
        issued_at=issued_at,
    )
    return attrs.evolve(draft, evidence_hash=evidence_hash(draft))


def evidence_hash(invoice: Invoice) -> str:
    """SHA-256 over the canonical form of the invoice and its evidence."""
    text = canonical_content(hashed_fields(invoice), invoice.evidence)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def all_lines_total(lines: Sequence[InvoiceLine]) -> Decimal:
    return sum((line.amount for line in lines), Decimal("0"))
