"""Results kept with an idempotency key, as JSON text, and read back exactly.

A replayed write returns the value its first run returned, so each codec
round-trips a domain value to an equal one: instants keep their
microseconds, decimals their exact text. One private cattrs ``Converter``.

Secrets are never stored twice: a stored admin has no PIN hash and a stored
contact no webhook secret, only the mark ``REDACTED`` in their place (a
replay shows the secret as set, as the first run did).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, get_origin

import attrs
from cattrs import Converter

from seatledger.domain.admins import Admin
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period
from seatledger.domain.idempotency import ResultCodec
from seatledger.domain.notifications import Contact
from seatledger.domain.organisation import Organisation
from seatledger.domain.parties import Seller
from seatledger.domain.reference_dates import YearStart
from seatledger.domain.rosters import RosterReport
from seatledger.domain.seat import SeatFact
from seatledger.domain.services.apikeys import ApiKeyView, NewApiKey
from seatledger.domain.services.imports import ImportSummary
from seatledger.domain.transfers import TransferRequest
from seatledger.domain.usage import UsageEntry, UsageRecord

T = TypeVar("T")

REDACTED: Final = "(redacted)"


def _is_frozenset(type_: Any) -> bool:
    return type_ is frozenset or get_origin(type_) is frozenset


def _converter() -> Converter:
    converter = Converter()
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, lambda text, _: datetime.fromisoformat(text))
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(date, lambda text, _: date.fromisoformat(text))
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, lambda text, _: Decimal(text))
    converter.register_unstructure_hook(Period, str)
    converter.register_structure_hook(Period, lambda text, _: Period.parse(text).unwrap())
    converter.register_unstructure_hook_func(_is_frozenset, lambda values: sorted(values))
    converter.register_unstructure_hook(YearStart, str)
    converter.register_structure_hook(YearStart, lambda text, _: YearStart.parse(text).unwrap())
    return converter


_CONVERTER: Final = _converter()


def _codec(type_: type[T]) -> ResultCodec[T]:
    def encode(value: T) -> str:
        return json.dumps(_CONVERTER.unstructure(value, type_), sort_keys=True)

    def decode(text: str) -> T:
        return _CONVERTER.structure(json.loads(text), type_)

    return ResultCodec(encode, decode)


def _redacting(type_: type[T], *secrets: str) -> ResultCodec[T]:
    """A codec that stores ``REDACTED`` instead of each field of ``secrets`` that is set."""
    plain = _codec(type_)

    def encode(value: T) -> str:
        for secret in secrets:
            if getattr(value, secret) is not None:
                value = attrs.evolve(value, **{secret: REDACTED})  # type: ignore[misc]
        return plain.encode(value)

    return ResultCodec(encode, plain.decode)


def _sequence_of(type_: type[T]) -> ResultCodec[Sequence[T]]:
    def encode(values: Sequence[T]) -> str:
        return json.dumps([_CONVERTER.unstructure(v, type_) for v in values], sort_keys=True)

    def decode(text: str) -> Sequence[T]:
        raw: list[Any] = json.loads(text)
        return [_CONVERTER.structure(v, type_) for v in raw]

    return ResultCodec(encode, decode)


ORGANISATION: Final = _codec(Organisation)
SEAT_FACT: Final = _codec(SeatFact)
IMPORT_SUMMARY: Final = _codec(ImportSummary)
ADMIN: Final = _redacting(Admin, "pin_hash")
TRANSFER_REQUEST: Final = _codec(TransferRequest)
TRANSFER_REQUESTS: Final = _sequence_of(TransferRequest)
CONTRACT: Final = _codec(Contract)
USAGE_RECORD: Final = _codec(UsageRecord)
USAGE_ENTRY: Final = _codec(UsageEntry)
CONTACT: Final = _redacting(Contact, "webhook_secret", "previous_secret")
ROSTER_REPORT: Final = _codec(RosterReport)
SELLER: Final = _codec(Seller)
NEW_API_KEY: Final = _redacting(NewApiKey, "secret")
API_KEY: Final = _codec(ApiKeyView)
