"""Which webhook URLs an organisation's admin may set: no way to reach the vendor's own network.

A webhook is posted by the vendor's servers, so a URL naming an internal host
would let a client's admin make those servers call it (blind SSRF). Refused:
anything but ``https`` (``http`` only to a host explicitly allowed), control
characters, spaces and newlines anywhere, credentials in the URL, and hosts
that are loopback, private, link-local, multicast, reserved or unspecified
addresses (IPv4 and IPv6, ``localhost`` and ``*.localhost``), unless the host
is in the deployment's allowed list (``SEATLEDGER_ALLOW_WEBHOOK_HOSTS``:
tests, on-premise receivers). Decision 0039.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from typing import Final
from urllib.parse import urlsplit

from returns.result import Failure, Result, Success

from seatledger.domain.errors import InvalidText

MAX_URL: Final = 2000
FIELD: Final = "webhook URL"


def _internal(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: resolved at delivery, where the adapter checks the addresses
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def check_webhook_url(url: str, allowed_hosts: Collection[str] = ()) -> Result[str, InvalidText]:
    """``url`` if an admin may set it; else why not (nothing of the URL is echoed past 80
    characters)."""
    shown = url if len(url) <= 80 else url[:80] + "..."
    if len(url) > MAX_URL:
        return Failure(InvalidText(FIELD, f"is {len(url)} characters; at most {MAX_URL}"))
    if any(ord(ch) <= 32 or 127 <= ord(ch) < 160 for ch in url):
        return Failure(InvalidText(FIELD, "contains spaces, newlines or control characters"))
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 -- a port that is not a number raises here
    except ValueError:
        return Failure(InvalidText(FIELD, f"{shown!r} is not a URL"))
    if parts.scheme not in ("https", "http") or not host:
        return Failure(InvalidText(FIELD, f"{shown!r} is not an https URL"))
    if parts.username is not None or parts.password is not None:
        return Failure(InvalidText(FIELD, "must not carry a user name or password"))
    allowed = host in {h.lower() for h in allowed_hosts}
    if parts.scheme == "http" and not allowed:
        return Failure(
            InvalidText(FIELD, f"{shown!r} is plain http: use https (http only to allowed hosts)")
        )
    if _internal(host) and not allowed:
        return Failure(
            InvalidText(
                FIELD,
                f"{host!r} is an internal address (loopback, private or link-local); allow it "
                "with SEATLEDGER_ALLOW_WEBHOOK_HOSTS if it is your own receiver",
            )
        )
    return Success(url)
