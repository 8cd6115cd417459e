"""The webhook channel against a real HTTP server on the loopback interface, and its signature.

Deliveries follow Standard Webhooks v1; they are verified with the
``standardwebhooks`` package (a receiver nobody here wrote) as well as with
``verify_signature``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from local_servers import Receiver
from standardwebhooks import Webhook, WebhookVerificationError

from seatledger.adapters.notify import WebhookNotifier, sign, verify_signature
from seatledger.adapters.notify.signature import new_secret
from seatledger.adapters.notify.webhook import message_body, retry_after
from seatledger.domain.identifiers import OrgId
from seatledger.domain.notifications import (
    Channel,
    Contact,
    Delivered,
    Message,
    MessageKind,
    Notifier,
    RetryLater,
    Undeliverable,
)

SECRET = "whsec-7f3a9c"
NOW = 1_760_950_000  # 2025-10-20T08:46:40Z
MESSAGE = Message(
    id="pending-transfers:north:2025-10-28",
    kind=MessageKind.PENDING_TRANSFERS,
    org=OrgId("north"),
    subject="1 transfer request(s) not yet approved",
    body="Seats are counted on 2025-10-31 — in 3 day(s).\n",
    data={"reference_date": "2025-10-31", "days_left": 3, "requests": [{"request": "TR-42"}]},
    created_at=datetime(2025, 10, 27, 23, 0, tzinfo=UTC),
)


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests go straight to the receiver, whatever proxy the environment names."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(
        target=receiver.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    yield receiver
    receiver.hold.set()
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join(5)


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def webhook(sleep: FakeSleep, **kw: object) -> WebhookNotifier:
    return WebhookNotifier(sleep=sleep, clock=lambda: NOW + 0.75, timeout=5, **kw)  # type: ignore[arg-type]


def contact(receiver: Receiver) -> Contact:
    return Contact(OrgId("north"), webhook_url=receiver.url, webhook_secret=SECRET)


def test_a_message_is_posted_as_signed_json(receiver: Receiver, sleep: FakeSleep) -> None:
    notifier: Notifier = webhook(sleep)
    assert notifier.channel is Channel.WEBHOOK
    assert notifier.send(MESSAGE, contact(receiver)) == Delivered()
    assert sleep.delays == []
    ((path, headers, body),) = receiver.requests
    assert path == "/hooks/seatledger"
    assert headers["Content-Type"] == "application/json"
    assert headers["webhook-id"] == "pending-transfers:north:2025-10-28"
    assert headers["webhook-timestamp"] == str(NOW)
    assert headers["webhook-signature"].startswith("v1,")
    assert body == message_body(MESSAGE)
    assert json.loads(body.decode("utf-8")) == {
        "type": "pending-transfers",
        "timestamp": "2025-10-27T23:00:00.000000Z",
        "data": {
            "id": "pending-transfers:north:2025-10-28",
            "kind": "pending-transfers",
            "org": "north",
            "subject": "1 transfer request(s) not yet approved",
            "body": "Seats are counted on 2025-10-31 — in 3 day(s).\n",
            "data": {
                "reference_date": "2025-10-31",
                "days_left": 3,
                "requests": [{"request": "TR-42"}],
            },
            "created_at": "2025-10-27T23:00:00.000000Z",
        },
    }
    assert "—".encode() in body  # UTF-8, not \u escapes


def test_the_receiver_verifies_the_signature_with_the_shared_secret(
    receiver: Receiver, sleep: FakeSleep
) -> None:
    assert webhook(sleep).send(MESSAGE, contact(receiver)) == Delivered()
    ((_, headers, body),) = receiver.requests
    mid, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    signature = headers["webhook-signature"]
    assert verify_signature(SECRET, mid, stamp, body, signature, now=NOW + 2)
    assert signature == sign(SECRET, MESSAGE.id, NOW, body)
    # a tampered body or id, another secret, a stale or future timestamp, a missing header
    tampered = body.replace(b"TR-42", b"TR-43")
    assert not verify_signature(SECRET, mid, stamp, tampered, signature, now=NOW)
    assert not verify_signature(SECRET, mid + "x", stamp, body, signature, now=NOW)
    assert not verify_signature("another-secret", mid, stamp, body, signature, now=NOW)
    assert not verify_signature(SECRET, mid, stamp, body, signature, now=NOW + 301)
    assert not verify_signature(SECRET, mid, stamp, body, signature, now=NOW - 301)
    assert verify_signature(SECRET, mid, stamp, body, signature, now=NOW + 300)
    assert not verify_signature(SECRET, mid, stamp, body, None, now=NOW)
    assert not verify_signature(SECRET, mid, str(NOW + 1), body, signature, now=NOW)
    assert not verify_signature(SECRET, mid, "soon", body, signature, now=NOW)
    assert not verify_signature(SECRET, mid, stamp, body, "v1,ünicode", now=NOW)
    assert not verify_signature("", mid, stamp, body, signature, now=NOW)
    assert not verify_signature("whsec_%%%", mid, stamp, body, signature, now=NOW)


def test_a_standard_webhooks_library_verifies_a_delivery_signed_now(receiver: Receiver) -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    hooked = Contact(OrgId("north"), webhook_url=receiver.url, webhook_secret=secret)
    assert WebhookNotifier(timeout=5).send(MESSAGE, hooked) == Delivered()
    ((_, headers, body),) = receiver.requests
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60  # the real moment
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"TR-42", b"TR-43"), headers)


def test_an_older_plain_text_secret_verifies_as_its_own_bytes(receiver: Receiver) -> None:
    hooked = Contact(OrgId("north"), webhook_url=receiver.url, webhook_secret=SECRET)
    assert WebhookNotifier(timeout=5).send(MESSAGE, hooked) == Delivered()
    ((_, headers, body),) = receiver.requests
    assert Webhook(SECRET.encode("utf-8")).verify(body, headers)["type"] == "pending-transfers"


def test_while_a_secret_rotates_both_signatures_are_sent_and_either_verifies(
    receiver: Receiver,
) -> None:
    old, new = new_secret(), new_secret()
    rotating = Contact(OrgId("north"), webhook_url=receiver.url, webhook_secret=new,
                       previous_secret=old)  # fmt: skip
    assert WebhookNotifier(timeout=5).send(MESSAGE, rotating) == Delivered()
    ((_, headers, body),) = receiver.requests
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(body, headers)
    assert Webhook(old).verify(body, headers)


def test_unavailable_twice_then_delivered_on_the_third_attempt(
    receiver: Receiver, sleep: FakeSleep
) -> None:
    receiver.script = [503, 503]
    assert webhook(sleep).send(MESSAGE, contact(receiver)) == Delivered()
    assert sleep.delays == [0.5, 1.0]
    assert len(receiver.requests) == 3
    assert {h["webhook-id"] for _, h, _ in receiver.requests} == {MESSAGE.id}


def test_always_failing_is_retried_later(receiver: Receiver, sleep: FakeSleep) -> None:
    receiver.script = [500, 500, 500]
    result = webhook(sleep).send(MESSAGE, contact(receiver))
    assert isinstance(result, RetryLater)
    assert "3 attempt(s)" in result.reason
    assert "500" in result.reason
    assert sleep.delays == [0.5, 1.0]
    assert len(receiver.requests) == 3


@pytest.mark.parametrize("status", [408, 429])
def test_timeouts_and_rate_limits_are_retried(
    receiver: Receiver, sleep: FakeSleep, status: int
) -> None:
    receiver.script = [status]
    assert webhook(sleep).send(MESSAGE, contact(receiver)) == Delivered()
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_a_client_error_is_undeliverable_without_retry(
    receiver: Receiver, sleep: FakeSleep, status: int
) -> None:
    receiver.script = [status]
    result = webhook(sleep).send(MESSAGE, contact(receiver))
    assert isinstance(result, Undeliverable)
    assert str(status) in result.reason
    assert result.gone is (status == 410)  # 410 Gone disables the endpoint
    assert len(receiver.requests) == 1
    assert sleep.delays == []


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_waited_for_instead_of_the_backoff(
    receiver: Receiver, sleep: FakeSleep, status: int
) -> None:
    receiver.script = [status]
    receiver.retry_after = "7"
    assert webhook(sleep).send(MESSAGE, contact(receiver)) == Delivered()
    assert sleep.delays == [7.0]
    assert len(receiver.requests) == 2


def test_a_retry_after_longer_than_the_wait_allowed_is_left_to_the_outbox(
    receiver: Receiver, sleep: FakeSleep
) -> None:
    receiver.script = [429]
    receiver.retry_after = "3600"
    result = webhook(sleep).send(MESSAGE, contact(receiver))
    assert isinstance(result, RetryLater)
    assert result.wait == 3600.0
    assert sleep.delays == []
    assert len(receiver.requests) == 1


def test_retry_after_reads_seconds_or_an_http_date() -> None:
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: at once
    assert retry_after("soon") is None
    assert retry_after(None) is None


def test_a_redirect_is_not_followed(receiver: Receiver, sleep: FakeSleep) -> None:
    receiver.script = [307]
    result = webhook(sleep).send(MESSAGE, contact(receiver))
    assert isinstance(result, Undeliverable)
    assert "redirects are not followed" in result.reason
    assert len(receiver.requests) == 1


def test_a_closed_port_is_retried_then_left_for_later(sleep: FakeSleep) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = Contact(OrgId("north"), webhook_url=f"http://127.0.0.1:{port}/", webhook_secret=SECRET)
    result = webhook(sleep, attempts=2, backoff=0.25).send(MESSAGE, closed)
    assert isinstance(result, RetryLater)
    assert "ConnectionRefusedError" in result.reason
    assert sleep.delays == [0.25]


def test_a_receiver_that_hangs_times_out(receiver: Receiver, sleep: FakeSleep) -> None:
    receiver.hold.clear()
    notifier = WebhookNotifier(attempts=1, timeout=0.05, sleep=sleep)
    result = notifier.send(MESSAGE, contact(receiver))
    assert isinstance(result, RetryLater)
    assert "timed out" in result.reason


@pytest.mark.parametrize(
    ("url", "secret", "problem"),
    [
        (None, SECRET, "no webhook URL"),
        ("http://127.0.0.1/hook", None, "no webhook secret"),
        ("http://127.0.0.1/hook", "", "no webhook secret"),
        ("ftp://127.0.0.1/hook", SECRET, "not http or https"),
        ("file:///etc/passwd", SECRET, "not http or https"),
        ("http:///hook", SECRET, "no host"),
        ("http://127.0.0.1/a\nb", SECRET, "control characters"),
    ],
)
def test_a_contact_that_cannot_receive_is_undeliverable(
    sleep: FakeSleep, url: str | None, secret: str | None, problem: str
) -> None:
    result = webhook(sleep).send(MESSAGE, Contact(OrgId("north"), (), url, secret))
    assert isinstance(result, Undeliverable)
    assert problem in result.reason
    assert sleep.delays == []


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 1 attempt"):
        WebhookNotifier(attempts=0)
    with pytest.raises(ValueError, match="backoff"):
        WebhookNotifier(backoff=-1)


def test_the_secret_is_not_in_a_repr() -> None:
    hooked = Contact(OrgId("north"), webhook_url="https://h.example/x", webhook_secret=SECRET)
    assert SECRET not in repr(hooked)
    assert SECRET not in repr(WebhookNotifier())
