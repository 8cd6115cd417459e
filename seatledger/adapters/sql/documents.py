"""The JSON document that stores an invoice's lines and evidence (all but its seats).

An issued invoice is stored as a row of ``invoices`` (its figures as columns),
rows of ``invoice_evidence_seats`` (the seats counted) and this document for
the rest: the lines, the price sheet, the usage billed, the adjustments'
bases and the evidence dates. It must come back ``==`` to what was stored,
so that the content hash recomputes to the very same value. A private
cattrs converter with explicit hooks does the work:

* ``Decimal`` as its exact text (``str``): ``117.00`` keeps its scale, which
  the content hash prints, and ``Decimal(str(d))`` is always ``d`` exactly;
* dates as ISO ``YYYY-MM-DD``; instants as integer microseconds since the
  epoch (UTC), like every instant column; periods as ``YYYY-MM``;
* enums by value; tuples and lists as JSON arrays, structured back into
  tuples; frozensets as sorted arrays; mappings keyed by an enum by its value.

The document carries a ``format`` number so a later change can still read
old invoices.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, get_args

from attrs import frozen
from cattrs import Converter

from seatledger.adapters.sql.tables import decimal_text, from_micros, to_micros
from seatledger.domain.dates import Period
from seatledger.domain.invoice import AdjustmentBasis, ChargeBasis, InvoiceLine, PriceSheet
from seatledger.domain.numbering import DocumentIssue
from seatledger.domain.usage import UsageRecord

# 2: invoices issued under billed coverage carry the coverage rules' decisions (``basis``).
# 3: issued documents carry their legal number, dates and frozen parties (``issue``).
FORMAT = 3
FORMATS = (1, 2, 3)


@frozen
class InvoiceDocument:
    """What an invoice row keeps as JSON: everything but its columns and its seats."""

    format: int
    lines: tuple[InvoiceLine, ...]
    reference_date: date | None
    usage_from: date | None
    usage_until: date | None
    prices: PriceSheet
    usage: tuple[UsageRecord, ...]
    adjustments: tuple[AdjustmentBasis, ...]
    basis: ChargeBasis | None = None
    issue: DocumentIssue | None = None


def _structure_decimal(value: Any, _: Any) -> Decimal:
    if not isinstance(value, str):
        raise TypeError(f"a stored amount must be decimal text, not {value!r}")
    return Decimal(value)


def _structure_date(value: Any, _: Any) -> date:
    return date.fromisoformat(value)


def _structure_instant(value: Any, _: Any) -> datetime:
    if not isinstance(value, int):
        raise TypeError(f"a stored instant must be integer microseconds, not {value!r}")
    return from_micros(value)


def _structure_period(value: Any, _: Any) -> Period:
    return Period.parse(value).unwrap()


def _is_enum_keyed_mapping(kind: Any) -> bool:
    origin = getattr(kind, "__origin__", None)
    args = get_args(kind)
    return (
        origin is not None
        and isinstance(origin, type)
        and issubclass(origin, Mapping)
        and len(args) == 2
        and isinstance(args[0], type)
        and issubclass(args[0], enum.Enum)
    )


def make_converter() -> Converter:
    converter = Converter()
    converter.register_unstructure_hook(Decimal, decimal_text)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_unstructure_hook(datetime, to_micros)
    converter.register_structure_hook(datetime, _structure_instant)
    # ``datetime`` is a ``date``: hooks dispatch on the most specific class, so both stand.
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(Period, str)
    converter.register_structure_hook(Period, _structure_period)
    converter.register_unstructure_hook_func(
        lambda kind: kind is frozenset or getattr(kind, "__origin__", None) is frozenset,
        lambda values: sorted(converter.unstructure(v) for v in values),
    )

    def unstructure_enum_mapping(kind: Any) -> Any:
        _, value_type = get_args(kind)
        return lambda mapping: {
            k.value: converter.unstructure(v, value_type) for k, v in mapping.items()
        }

    def structure_enum_mapping(kind: Any) -> Any:
        key_type, value_type = get_args(kind)
        return lambda data, _: {
            key_type(k): converter.structure(v, value_type) for k, v in data.items()
        }

    converter.register_unstructure_hook_factory(_is_enum_keyed_mapping, unstructure_enum_mapping)
    converter.register_structure_hook_factory(_is_enum_keyed_mapping, structure_enum_mapping)
    return converter


CONVERTER = make_converter()


def document_text(document: InvoiceDocument) -> str:
    """The document as compact JSON text (keys sorted, so equal documents are equal text)."""
    return json.dumps(
        CONVERTER.unstructure(document, InvoiceDocument),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def document_of(text: str) -> InvoiceDocument:
    data = json.loads(text)
    if data.get("format") not in FORMATS:
        raise ValueError(f"unknown invoice document format {data.get('format')!r}")
    return CONVERTER.structure(data, InvoiceDocument)
