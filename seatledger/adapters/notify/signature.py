"""Signatures of seatledger webhooks, for the systems that receive them.

Every webhook carries ``X-Seatledger-Timestamp`` (unix seconds) and
``X-Seatledger-Signature: sha256=<hex>``, the HMAC-SHA256, keyed with the
secret shared with the receiver, of ``f"{timestamp}.{body}"`` where ``body``
is the exact bytes of the request body. A receiver verifies it before
trusting the message::

    from seatledger.adapters.notify.signature import verify_signature

    ok = verify_signature(
        secret,
        request.headers["X-Seatledger-Timestamp"],
        request.body,  # the raw bytes, before any JSON parsing
        request.headers["X-Seatledger-Signature"],
        now=time.time(),
    )

Signing the timestamp with the body lets the receiver refuse a replayed
request older than ``tolerance`` seconds; the message id
(``X-Seatledger-Message-Id``) deduplicates retries within it.

Standard library only, so a receiver needs nothing but this module.
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "sha256"
DEFAULT_TOLERANCE = 300


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def sign(secret: str | bytes, timestamp: int, body: str | bytes) -> str:
    """The ``X-Seatledger-Signature`` header value: ``sha256=<hex HMAC-SHA256>``.

    ``body`` text is taken as UTF-8; pass the exact bytes sent when you have them.
    """
    signed = f"{int(timestamp)}.".encode("ascii") + _bytes(body)
    digest = hmac.new(_bytes(secret), signed, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def _timestamp(value: int | str) -> int | None:
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def verify_signature(
    secret: str | bytes,
    timestamp: int | str,
    body: str | bytes,
    header: str | None,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """True if ``header`` is seatledger's signature of ``body`` at ``timestamp`` with ``secret``,
    and ``timestamp`` lies within ``tolerance`` seconds of ``now`` (either side).

    ``timestamp`` may be the header text. The comparison takes constant time.
    A missing or malformed header, a malformed timestamp, a stale (or
    future) timestamp, or an empty secret is refused.
    """
    if header is None or not _bytes(secret):
        return False
    stamp = _timestamp(timestamp)
    if stamp is None or abs(now - stamp) > tolerance:
        return False
    expected = sign(secret, stamp, body).encode("ascii")
    return hmac.compare_digest(expected, header.strip().encode("utf-8"))
