"""The webhook channel: an HTTP POST of the message as signed JSON.

Standard library only (``urllib.request``, ``hmac``). The body is the
message's JSON object, UTF-8::

    {"id": ..., "kind": ..., "org": ..., "subject": ..., "body": ...,
     "data": {...}, "created_at": "2025-10-01T00:00:00.000000Z"}

with the headers ``Content-Type: application/json``,
``X-Seatledger-Message-Id`` (deduplicate on it), ``X-Seatledger-Timestamp``
(unix seconds) and ``X-Seatledger-Signature: sha256=<hex>`` (see
``signature.py``; each attempt is signed afresh with its own timestamp).

How a result is decided: 2xx → ``Delivered``; 408, 429, 5xx and network
errors are retried within one ``send`` (``attempts`` in all, waiting
``backoff * 2**k`` seconds before retry ``k + 1``), then ``RetryLater``;
any other status (other 4xx; 3xx, since redirects are never followed) →
``Undeliverable`` at once. A contact without a URL or a secret, or a URL
that is not ``http``/``https``, is ``Undeliverable``.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import IO

from attrs import field, frozen

from seatledger.adapters.notify.signature import sign
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
    """The exact bytes posted for a message: compact JSON, keys sorted, UTF-8."""
    return json.dumps(
        message.payload(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


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

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"a webhook needs at least 1 attempt, not {self.attempts}")
        if self.backoff < 0 or self.timeout <= 0:
            raise ValueError("backoff must not be negative, and timeout must be positive")

    @property
    def channel(self) -> Channel:
        return Channel.WEBHOOK

    def request(self, message: Message, url: str, secret: str) -> urllib.request.Request:
        """One signed attempt: the request, timestamped now."""
        body = message_body(message)
        timestamp = int(self.clock())
        return urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": self.user_agent,
                "X-Seatledger-Message-Id": message.id,
                "X-Seatledger-Timestamp": str(timestamp),
                "X-Seatledger-Signature": sign(secret, timestamp, body),
            },
        )

    def _attempt(
        self, opener: urllib.request.OpenerDirector, req: urllib.request.Request
    ) -> tuple[DeliveryResult | None, str]:
        """One POST: a final result, or None and why it is worth retrying."""
        try:
            with opener.open(req, timeout=self.timeout) as response:
                response.read(_MAX_RESPONSE)
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
            reply = f"{status} {exc.reason}"
            exc.close()
            if status in RETRYABLE_STATUS or 500 <= status < 600:
                return None, reply
            if 300 <= status < 400:
                location = exc.headers.get("Location", "?") if exc.headers else "?"
                return Undeliverable(f"{reply}: redirects are not followed (to {location})"), reply
            return Undeliverable(reply), reply
        except urllib.error.URLError as exc:
            return None, f"{type(exc.reason).__name__}: {exc.reason}"
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            return Delivered(), str(status)
        return Undeliverable(f"unexpected status {status}"), str(status)

    def send(self, message: Message, contact: Contact) -> DeliveryResult:
        url = contact.webhook_url
        if not url:
            return Undeliverable("no webhook URL")
        if not contact.webhook_secret:
            return Undeliverable("no webhook secret: seatledger does not send unsigned webhooks")
        problem = _check_url(url)
        if problem is not None:
            return Undeliverable(problem)
        opener = _opener(self.use_env_proxies)
        last = ""
        for attempt in range(self.attempts):
            if attempt > 0:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            result, last = self._attempt(opener, self.request(message, url, contact.webhook_secret))
            if result is not None:
                return result
        return RetryLater(f"{url}: no success after {self.attempts} attempt(s); last: {last}")
