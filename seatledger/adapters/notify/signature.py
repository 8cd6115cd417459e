"""Standard Webhooks v1 signatures (standardwebhooks.com), for the systems that receive them.

Every webhook carries three headers: ``webhook-id`` (the message id: a
receiver deduplicates on it), ``webhook-timestamp`` (unix seconds of the
real moment of sending) and ``webhook-signature``: ``v1,<base64>`` where the
base64 is the HMAC-SHA256 of ``f"{id}.{timestamp}.{body}"`` keyed with the
shared secret, several of them separated by spaces while a secret is being
rotated. Secrets have the form ``whsec_<base64 of the key>``; a secret set
before seatledger used this scheme (any text of 16 characters or more) is
its own UTF-8 bytes as the key.

A receiver verifies with any Standard Webhooks library, e.g. the
``standardwebhooks`` package: ``Webhook(secret).verify(body, headers)``
(for an older plain-text secret: ``Webhook(base64(secret))``), or with
``verify_signature`` below, which needs nothing but the standard library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Final

PREFIX: Final = "whsec_"
VERSION: Final = "v1"
DEFAULT_TOLERANCE: Final = 300


def new_secret() -> str:
    """A fresh ``whsec_`` secret: 24 random bytes (192 bits), base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the decoded base64 of a ``whsec_`` one, else its UTF-8 bytes."""
    if secret.startswith(PREFIX):
        try:
            return base64.b64decode(secret[len(PREFIX) :], validate=True)
        except binascii.Error:
            raise ValueError("a whsec_ secret must be base64 after its prefix") from None
    return secret.encode("utf-8")


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str, message_id: str, timestamp: int, body: str | bytes) -> str:
    """One signature, ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    signed = f"{message_id}.{int(timestamp)}.".encode() + _bytes(body)
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_header(
    signing: Sequence[str], message_id: str, timestamp: int, body: str | bytes
) -> str:
    """The ``webhook-signature`` value: one signature per secret, space-separated."""
    return " ".join(sign(s, message_id, timestamp, body) for s in signing)


def verify_signature(
    secret: str,
    message_id: str,
    timestamp: int | str,
    body: str | bytes,
    header: str | None,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """True if one signature of ``header`` is ``secret``'s for this id, timestamp and body, and
    ``timestamp`` lies within ``tolerance`` seconds of ``now`` (either side).

    Comparisons take constant time. A missing header, an empty or malformed
    secret, a malformed, stale or future timestamp, or no matching signature
    is refused.
    """
    if header is None or not secret:
        return False
    text = str(timestamp).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return False
    stamp = int(text)
    if abs(now - stamp) > tolerance:
        return False
    try:
        expected = sign(secret, message_id, stamp, body).encode("ascii")
    except ValueError:
        return False
    return any(
        hmac.compare_digest(expected, candidate.encode("utf-8")) for candidate in header.split()
    )
