"""Identifiers and free text: what a valid id or name looks like."""

from __future__ import annotations

import re
import unicodedata
from typing import NewType

from returns.result import Failure, Result, Success

from seatledger.domain.errors import InvalidIdentifier, InvalidText

OrgId = NewType("OrgId", str)
SeatId = NewType("SeatId", str)

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
MAX_TEXT = 500


def valid_id(what: str, text: str) -> Result[str, InvalidIdentifier]:
    """An id of 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."""
    if _ID.fullmatch(text) is None:
        return Failure(InvalidIdentifier(what, text))
    return Success(text)


def org_id(text: str) -> Result[OrgId, InvalidIdentifier]:
    return valid_id("organisation", text).map(OrgId)


def seat_id(text: str) -> Result[SeatId, InvalidIdentifier]:
    return valid_id("seat", text).map(SeatId)


def valid_text(field: str, text: str, *, required: bool = True) -> Result[str, InvalidText]:
    """Free text: NFC-normalised, trimmed, at most 500 characters, no control characters,
    and no invisible format characters (bidi overrides and isolates, zero-width spaces and
    joiners, byte-order marks: Unicode category Cf), which could make one actor's or
    holder's name look like another's."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    if required and not cleaned:
        return Failure(InvalidText(field, "must not be empty"))
    if len(cleaned) > MAX_TEXT:
        return Failure(InvalidText(field, f"is {len(cleaned)} characters; at most {MAX_TEXT}"))
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in cleaned):
        return Failure(InvalidText(field, "contains control characters"))
    invisible = next((ch for ch in cleaned if unicodedata.category(ch) == "Cf"), None)
    if invisible is not None:
        return Failure(
            InvalidText(
                field,
                f"contains the invisible or direction-changing character U+{ord(invisible):04X} "
                f"({unicodedata.name(invisible, 'unnamed')})",
            )
        )
    return Success(cleaned)
