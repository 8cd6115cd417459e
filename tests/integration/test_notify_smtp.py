"""The e-mail channel against a real SMTP server (aiosmtpd) on the loopback interface."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from local_servers import LOOPBACK, EphemeralController, Recorder, start

from seatledger.adapters.notify import SmtpNotifier
from seatledger.adapters.notify.smtp import message_id_header
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

SENDER = "billing@vendor.example"
MESSAGE = Message(
    id="transfer-requested:TR-42",
    kind=MessageKind.TRANSFER_REQUESTED,
    org=OrgId("south"),
    subject="Approval needed: North Clinic asks you to take over billing of seat p-17",
    body="A transfer request awaits your approval.\n\nSeat p-17 — approve by 2025-10-31.\n",
    data={"request": "TR-42"},
    created_at=datetime(2025, 10, 20, 9, 30, tzinfo=UTC),
)
CONTACT = Contact(OrgId("south"), ("ann@south.example", "bob@south.example"))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder) -> Iterator[EphemeralController]:
    controller = start(recorder)
    yield controller
    controller.stop()


def notifier(server: EphemeralController, **kw: Any) -> SmtpNotifier:
    return SmtpNotifier(LOOPBACK, server.port, SENDER, timeout=5, **kw)


def test_a_message_reaches_every_address_with_its_id(
    server: EphemeralController, recorder: Recorder
) -> None:
    smtp: Notifier = notifier(server)
    assert smtp.channel is Channel.EMAIL
    assert smtp.send(MESSAGE, CONTACT) == Delivered()
    (envelope,) = recorder.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["ann@south.example", "bob@south.example"]
    (mail,) = recorder.received()
    assert mail["From"] == SENDER
    assert mail["To"] == "ann@south.example, bob@south.example"
    assert mail["Subject"] == MESSAGE.subject
    assert mail["Message-ID"] == "<seatledger.transfer-requested=3ATR-42@vendor.example>"
    assert mail["X-Seatledger-Message-Id"] == "transfer-requested:TR-42"
    assert mail["X-Seatledger-Kind"] == "transfer-requested"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"] == "Mon, 20 Oct 2025 09:30:00 +0000"
    body = mail.get_body(("plain",))
    assert body is not None
    # UTF-8 survives (the em dash); the line ends are the wire's CRLF
    assert body.get_content().replace("\r\n", "\n") == MESSAGE.body


def test_sending_again_gives_the_same_message_id(
    server: EphemeralController, recorder: Recorder
) -> None:
    smtp = notifier(server)
    assert smtp.send(MESSAGE, CONTACT) == Delivered()
    assert smtp.send(MESSAGE, CONTACT) == Delivered()
    first, second = recorder.received()
    assert first["Message-ID"] == second["Message-ID"]


def test_message_ids_are_valid_and_distinct() -> None:
    ids = ["review-seats:north:2025-10-01", "review-seats.north.2025-10-01", "a b", "ä"]
    headers = [message_id_header(i, "x.example") for i in ids]
    assert len(set(headers)) == len(headers)
    assert headers[0] == "<seatledger.review-seats=3Anorth=3A2025-10-01@x.example>"
    assert headers[3] == "<seatledger.=C3=A4@x.example>"


def test_a_refused_recipient_is_undeliverable(
    server: EphemeralController, recorder: Recorder
) -> None:
    recorder.refuse["ann@south.example"] = "550 5.1.1 <ann@south.example>: no such user"
    result = notifier(server).send(MESSAGE, Contact(OrgId("south"), ("ann@south.example",)))
    assert isinstance(result, Undeliverable)
    assert "550" in result.reason
    assert "ann@south.example" in result.reason
    assert recorder.envelopes == []


def test_a_temporary_refusal_is_retried_later(
    server: EphemeralController, recorder: Recorder
) -> None:
    recorder.refuse["ann@south.example"] = "450 4.2.1 mailbox busy, try later"
    result = notifier(server).send(MESSAGE, Contact(OrgId("south"), ("ann@south.example",)))
    assert isinstance(result, RetryLater)
    assert "450" in result.reason


def test_one_refused_recipient_of_two_still_delivers_with_a_note(
    server: EphemeralController, recorder: Recorder
) -> None:
    recorder.refuse["bob@south.example"] = "550 5.1.1 no such user"
    result = notifier(server).send(MESSAGE, CONTACT)
    assert result == Delivered(note="refused: bob@south.example (550)")
    (envelope,) = recorder.envelopes
    assert envelope.rcpt_tos == ["ann@south.example"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("554 5.6.0 message refused", Undeliverable), ("451 4.3.0 try again", RetryLater)],
)
def test_a_refusal_of_the_message_itself(
    server: EphemeralController, recorder: Recorder, reply: str, expected: type
) -> None:
    recorder.data_reply = reply
    result = notifier(server).send(MESSAGE, CONTACT)
    assert isinstance(result, expected)
    assert not isinstance(result, Delivered)
    assert reply[:3] in result.reason


def test_a_contact_without_an_address_is_undeliverable(server: EphemeralController) -> None:
    assert notifier(server).send(MESSAGE, Contact(OrgId("south"))) == Undeliverable(
        "no e-mail address"
    )
    result = notifier(server).send(MESSAGE, Contact(OrgId("south"), ("not an address",)))
    assert isinstance(result, Undeliverable)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_closed_port_is_retried_later() -> None:
    smtp = SmtpNotifier(LOOPBACK, free_port(), SENDER, timeout=2)
    result = smtp.send(MESSAGE, CONTACT)
    assert isinstance(result, RetryLater)
    assert "ConnectionRefusedError" in result.reason


def test_a_server_that_never_greets_is_retried_later() -> None:
    with socket.socket() as silent:
        silent.bind((LOOPBACK, 0))
        silent.listen()
        smtp = SmtpNotifier(LOOPBACK, silent.getsockname()[1], SENDER, timeout=0.05)
        result = smtp.send(MESSAGE, CONTACT)
    assert isinstance(result, RetryLater)


def test_credentials_need_starttls_and_the_password_stays_secret() -> None:
    with pytest.raises(ValueError, match="STARTTLS"):
        SmtpNotifier(LOOPBACK, 25, SENDER, username="u", password="p")
    with pytest.raises(ValueError, match="not an e-mail address"):
        SmtpNotifier(LOOPBACK, 25, "billing")
    smtp = SmtpNotifier(LOOPBACK, 25, SENDER, starttls=True, username="u", password="hunter22")
    assert "hunter22" not in repr(smtp)


def test_starttls_asked_of_a_server_without_it_is_undeliverable(
    server: EphemeralController,
) -> None:
    result = notifier(server, starttls=True).send(MESSAGE, CONTACT)
    assert isinstance(result, Undeliverable)
    assert "STARTTLS" in result.reason


# --- STARTTLS and authentication, with a throw-away certificate ---------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate for the STARTTLS test")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost", "-addext", f"subjectAltName=IP:{LOOPBACK},DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_starttls_with_login(certificate: tuple[Path, Path], recorder: Recorder) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    controller = start(
        recorder,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    try:
        trusted = ssl.create_default_context(cafile=str(cert))
        good = notifier(
            controller, starttls=True, username="mailer", password="s3cret", ssl_context=trusted
        )
        assert good.send(MESSAGE, CONTACT) == Delivered()
        wrong = notifier(
            controller, starttls=True, username="mailer", password="nope", ssl_context=trusted
        )
        refused = wrong.send(MESSAGE, CONTACT)
        assert isinstance(refused, Undeliverable)
        assert "535" in refused.reason
        untrusted = notifier(controller, starttls=True)  # the system CAs do not know the cert
        assert isinstance(untrusted.send(MESSAGE, CONTACT), RetryLater)
    finally:
        controller.stop()
    # smtplib tries each mechanism the server offers (PLAIN, then LOGIN) before giving up
    assert logins[0] == (b"mailer", b"s3cret")
    assert set(logins[1:]) == {(b"mailer", b"nope")}
    assert len(recorder.envelopes) == 1
