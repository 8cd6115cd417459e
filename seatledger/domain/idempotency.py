"""Idempotency keys: a retried write with the same key and arguments happens once.

A caller names each write with a key of its own choosing. The first write
with a key is recorded with it, in the same transaction: the command's name,
a fingerprint of its arguments and its result. A retry with the same key and
the same arguments gets that result back and changes nothing; the same key
with other arguments is refused (``IdempotencyKeyReused``). A refused write
stores no key, so it can be retried with the same key.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Final, Generic, TypeVar

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.dates import iso_instant
from seatledger.domain.errors import InvalidIdempotencyKey

T = TypeVar("T")

MAX_KEY_LENGTH: Final = 200


@frozen
class IdempotencyKey:
    """A caller's name for one write: 1 to 200 printable ASCII characters, no spaces."""

    text: str

    @staticmethod
    def parse(text: str) -> Result[IdempotencyKey, InvalidIdempotencyKey]:
        # '!' (0x21) to '~' (0x7E): printable ASCII without the space.
        if 1 <= len(text) <= MAX_KEY_LENGTH and all("!" <= c <= "~" for c in text):
            return Success(IdempotencyKey(text))
        return Failure(InvalidIdempotencyKey(text))

    def __str__(self) -> str:
        return self.text


@frozen
class IdempotencyRecord:
    """A key as stored with its write: what it was used for and what that returned."""

    key: IdempotencyKey
    command: str
    fingerprint: str
    result: str
    recorded_at: datetime


@frozen
class IdempotentRequest:
    """A keyed write about to run: its key, command name and arguments' fingerprint."""

    key: IdempotencyKey
    command: str
    fingerprint: str


@frozen
class ResultCodec(Generic[T]):
    """How a command's result is kept as text with its key, and read back on a replay.

    Supplied by an entrypoint (the domain knows no serialisation format).
    """

    encode: Callable[[T], str]
    decode: Callable[[str], T]


JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]


def canonical(value: object) -> JsonValue:
    """An argument as plain JSON data, the same for equal arguments.

    Dates and instants are ISO text, decimals their exact text, enums their
    value, sets sorted lists, attrs values and mappings dicts.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return iso_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, frozenset | set):
        return sorted((canonical(v) for v in value), key=_sort_key)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    fields = getattr(type(value), "__attrs_attrs__", None)
    if fields is not None:
        # A field added later (metadata "added") counts only when set, so a request
        # fingerprinted before it existed keeps its fingerprint.
        return {
            f.name: canonical(getattr(value, f.name))
            for f in fields
            if not (f.metadata.get("added") and getattr(value, f.name) == f.default)
        }
    # Periods, year starts and other small values print as their canonical text.
    return str(value)


def _sort_key(value: JsonValue) -> str:
    return json.dumps(value, sort_keys=True)


def fingerprint(command: str, arguments: Mapping[str, object]) -> str:
    """SHA-256 (hex) of the canonical JSON of the command's name and its arguments.

    Callers leave secrets (PINs, webhook secrets) out of ``arguments``: a
    hash of a short PIN could be guessed back from the stored fingerprint.
    """
    document = {"command": command, "arguments": canonical(arguments)}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request(
    key: IdempotencyKey, command: str, arguments: Mapping[str, object]
) -> IdempotentRequest:
    """The keyed request for ``command`` with ``arguments``."""
    return IdempotentRequest(key, command, fingerprint(command, arguments))
