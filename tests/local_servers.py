"""Real local servers for tests: an SMTP server (aiosmtpd) and a webhook receiver (http.server).

Both listen on the loopback interface on a port the system picks.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from email.message import EmailMessage, Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

LOOPBACK = "127.0.0.1"


class Recorder:
    """An SMTP handler that keeps every message, refusing the recipients it is told to."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: dict[str, str] = {}
        self.data_reply = "250 Message accepted for delivery"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.data_reply

    def received(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            content = envelope.original_content or b""
            mail = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(mail, EmailMessage)
            parsed.append(mail)
        return parsed


class EphemeralController(Controller):
    """aiosmtpd's controller on a port the system picks (port 0), read back once bound."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def start(handler: Recorder, **kw: Any) -> EphemeralController:
    controller = EphemeralController(handler, hostname=LOOPBACK, port=0, **kw)
    controller.start()
    return controller


class Receiver:
    """A webhook receiver: answers each POST with the next status of its script (then 200)."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.retry_after: str | None = None  # sent with a 429 or 503
        self.requests: list[tuple[str, Message, bytes]] = []
        self.lock = threading.Lock()
        self.hold = threading.Event()  # set: answer at once; clear: hang (a timeout)
        self.hold.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    # The message itself: its names are case-insensitive, as in HTTP.
                    receiver.requests.append((self.path, self.headers, body))
                    status = receiver.script.pop(0) if receiver.script else 200
                receiver.hold.wait(5)
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                if status in (429, 503) and receiver.retry_after is not None:
                    self.send_header("Retry-After", receiver.retry_after)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/seatledger"


@pytest.fixture
def smtp_server() -> Iterator[tuple[EphemeralController, Recorder]]:
    """A local SMTP server that keeps what it receives."""
    recorder = Recorder()
    controller = start(recorder)
    yield controller, recorder
    controller.stop()


@pytest.fixture
def webhook_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A local webhook receiver, reached directly whatever proxy the environment names."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
