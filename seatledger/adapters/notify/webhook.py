"""The webhook channel: an HTTP POST of the message, signed as Standard Webhooks v1 says.

Standard library only (``urllib.request``, ``hmac``). The body is UTF-8 JSON::

    {"type": "pending-transfers", "timestamp": "2025-10-01T00:00:00.000000Z",
     "data": {"id": ..., "kind": ..., "org": ..., "subject": ..., "body": ...,
              "data": {...}, "created_at": ...}}

with the headers ``Content-Type: application/json``, ``webhook-id`` (the
message id: deduplicate on it), ``webhook-timestamp`` (unix seconds of the
real moment of sending, even on a simulated day) and ``webhook-signature``
(``v1,<base64>``, one per secret while a secret is being rotated; see
``signature.py``). Each attempt is signed afresh with its own timestamp.

How a result is decided: 2xx → ``Delivered``; 408, 429, 5xx and network
errors are retried within one ``send`` (``attempts`` in all, waiting
``backoff * 2**k`` seconds before retry ``k + 1``, or the receiver's
``Retry-After`` when it gives one on a 429 or 503), then ``RetryLater``; a
``Retry-After`` longer than ``max_wait`` ends the attempts at once with a
``RetryLater`` that asks the outbox to wait that long. 410 Gone →
``Undeliverable`` marked ``gone`` (the delivery disables the endpoint);
any other status (other 4xx; 3xx, since redirects are never followed) →
``Undeliverable`` at once. A contact without a URL or a secret, or a URL
that is not ``http``/``https``, is ``Undeliverable``.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import IO

from attrs import field, frozen

from seatledger.adapters.notify.signature import secret_key, signature_header
from seatledger.domain.dates import iso_instant
from seatledger.domain.notifications import (
    Channel,
    Contact,
    Delivered,
    DeliveryResult,
    Message,
    RetryLater,
    Undeliverable,
)

RETRYABLE_STATUS = frozenset({408, 429})
RETRY_AFTER_STATUS = frozenset({429, 503})
USER_AGENT = "seatledger-webhook/1"
_MAX_RESPONSE = 64 * 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: the body would be lost or sent where it was not meant to go."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def message_body(message: Message) -> bytes:
    """The exact bytes posted for a message: ``{"type", "timestamp", "data"}``, compact JSON,
    keys sorted, UTF-8."""
    document = {
        "type": message.kind.value,
        "timestamp": iso_instant(message.created_at),
        "data": message.payload(),
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
        "utf-8"
    )


def retry_after(value: str | None) -> float | None:
    """The seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _check_url(url: str) -> str | None:
    """What is wrong with a webhook URL, or None."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        return f"webhook URL {url!r} is malformed: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"webhook URL {url!r} is not http or https"
    if not parts.hostname:
        return f"webhook URL {url!r} has no host"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return f"webhook URL {url!r} contains white space or control characters"
    return None


def _opener(use_env_proxies: bool) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_NoRedirects()]
    if not use_env_proxies:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


@frozen(kw_only=True)
class WebhookNotifier:
    """Posts each message to the contact's webhook URL, signed with the contact's secret.

    ``sleep`` and ``clock`` are injectable for tests and simulations.
    ``use_env_proxies`` (default True) honours ``https_proxy``/``no_proxy``
    like any ``urllib`` client.
    """

    attempts: int = 3
    backoff: float = 0.5
    timeout: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)
    use_env_proxies: bool = True
    user_agent: str = USER_AGENT
    max_wait: float = 30.0  # the longest Retry-After waited for within one send

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"a webhook needs at least 1 attempt, not {self.attempts}")
        if self.backoff < 0 or self.timeout <= 0:
            raise ValueError("backoff must not be negative, and timeout must be positive")

    @property
    def channel(self) -> Channel:
        return Channel.WEBHOOK

    def request(
        self, message: Message, url: str, signing: tuple[str, ...]
    ) -> urllib.request.Request:
        """One signed attempt: the request, timestamped now, signed with each secret."""
        body = message_body(message)
        timestamp = int(self.clock())
        return urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": self.user_agent,
                "webhook-id": message.id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": signature_header(signing, message.id, timestamp, body),
            },
        )

    def _attempt(
        self, opener: urllib.request.OpenerDirector, req: urllib.request.Request
    ) -> tuple[DeliveryResult | None, str, float | None]:
        """One POST: a final result, or None, why it is worth retrying and the Retry-After."""
        try:
            with opener.open(req, timeout=self.timeout) as response:
                response.read(_MAX_RESPONSE)
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
            reply = f"{status} {exc.reason}"
            wait = retry_after(exc.headers.get("Retry-After")) if exc.headers else None
            exc.close()
            if status in RETRYABLE_STATUS or 500 <= status < 600:
                return None, reply, wait if status in RETRY_AFTER_STATUS else None
            if 300 <= status < 400:
                location = exc.headers.get("Location", "?") if exc.headers else "?"
                return (
                    Undeliverable(f"{reply}: redirects are not followed (to {location})"),
                    reply,
                    None,
                )
            if status == 410:
                return Undeliverable(f"{reply}: the endpoint is gone", gone=True), reply, None
            return Undeliverable(reply), reply, None
        except urllib.error.URLError as exc:
            return None, f"{type(exc.reason).__name__}: {exc.reason}", None
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}", None
        if 200 <= status < 300:
            return Delivered(), str(status), None
        return Undeliverable(f"unexpected status {status}"), str(status), None

    def send(self, message: Message, contact: Contact) -> DeliveryResult:
        url = contact.webhook_url
        if not url:
            return Undeliverable("no webhook URL")
        if not contact.webhook_secret:
            return Undeliverable("no webhook secret: seatledger does not send unsigned webhooks")
        problem = _check_url(url)
        if problem is not None:
            return Undeliverable(problem)
        try:
            signing = contact.signing_secrets
            for secret in signing:
                secret_key(secret)
        except ValueError as exc:
            return Undeliverable(f"webhook secret: {exc}")
        opener = _opener(self.use_env_proxies)
        last, wait = "", None
        for attempt in range(self.attempts):
            if attempt > 0:
                self.sleep(wait if wait is not None else self.backoff * 2 ** (attempt - 1))
            result, last, wait = self._attempt(opener, self.request(message, url, signing))
            if result is not None:
                return result
            if wait is not None and wait > self.max_wait:
                return RetryLater(f"{url}: {last}; asked to retry after {wait:.0f} s", wait)
        return RetryLater(f"{url}: no success after {self.attempts} attempt(s); last: {last}", wait)
