"""Admins of an organisation, who approve transfers and take over billing with a personal PIN.

The PIN itself never enters the domain's records: only a hash made by the
``PinHasher`` port. After ``MAX_FAILED_ATTEMPTS`` wrong PINs in a row an
admin is locked until another admin of the same organisation unlocks them.
"""

from __future__ import annotations

import re

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import InvalidText
from seatledger.domain.identifiers import OrgId

MAX_FAILED_ATTEMPTS = 5
_PIN = re.compile(r"\d{4,12}", re.ASCII)


@frozen
class Admin:
    """An admin of ``org``; ``pin_hash`` is the hasher's self-describing hash string."""

    org: OrgId
    id: str
    pin_hash: str
    failed_attempts: int = 0
    locked: bool = False


def valid_pin(pin: str) -> Result[str, InvalidText]:
    """A PIN is 4 to 12 digits. The message never repeats the PIN."""
    if _PIN.fullmatch(pin) is None:
        return Failure(InvalidText("PIN", "must be 4 to 12 digits"))
    if len(set(pin)) == 1:
        return Failure(InvalidText("PIN", "must not be one digit repeated"))
    return Success(pin)
