"""API keys: who calls the HTTP API, and for which organisation.

A key is a random secret shown once when it is made; the ledger keeps only
its SHA-256 digest (a 256-bit random secret needs no slow hash: there is
nothing to guess back). An operator key (no organisation) may act on every
organisation; an organisation key only on its own. The key's name is the
actor the ledger records and authorises (decision 0035).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Final

from attrs import frozen

from seatledger.domain.identifiers import OrgId

PREFIX: Final = "slk_"


@frozen
class ApiKey:
    """A key as stored: its name, scope, digest, and when it was made and revoked."""

    name: str
    org: OrgId | None
    digest: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def matches(self, secret: str) -> bool:
        """True if ``secret`` is this key (compared in constant time)."""
        return hmac.compare_digest(self.digest, digest(secret))


def digest(secret: str) -> str:
    """The stored form of a key: the SHA-256 (hex) of its text."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
