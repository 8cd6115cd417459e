"""The e-mail channel: one plain-text message to every address of the contact, over SMTP.

Standard library only (``smtplib``, ``email``). The ``Message-ID`` is derived
from the seatledger message id, so a mail client (and a receiver that reads
``X-Seatledger-Message-Id``) sees a resend as the same message.

How a result is decided:

* no e-mail address, or an address that is not one → ``Undeliverable``;
* the connection fails, times out or drops, or the server answers 4xx
  (try later) → ``RetryLater``;
* the server answers 5xx (recipient refused, authentication failed, message
  refused) or does not offer STARTTLS when asked to → ``Undeliverable``;
* some recipients refused but at least one accepted → ``Delivered`` with a note.
"""

from __future__ import annotations

import contextlib
import email.policy
import re
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from attrs import field, frozen

from seatledger.domain.notifications import (
    Channel,
    Contact,
    Delivered,
    DeliveryResult,
    Message,
    RetryLater,
    Undeliverable,
)

# Headers up to RFC 5322's hard limit: a subject is never folded (Python folds a long
# one onto a continuation line, which its own parser reads back with a leading space).
_POLICY = email.policy.default.clone(max_line_length=998)
_ATOM_SAFE = re.compile(r"[A-Za-z0-9_-]")


def message_id_header(message_id: str, domain: str) -> str:
    """A valid, injective RFC 5322 ``Message-ID`` for a seatledger message id.

    Characters other than letters, digits, ``-`` and ``_`` are written as
    ``=XX`` (their UTF-8 bytes in hex): ``review-seats:north:2025-10-01``
    becomes ``<seatledger.review-seats=3Anorth=3A2025-10-01@DOMAIN>``.
    """
    escaped = "".join(
        ch if _ATOM_SAFE.fullmatch(ch) else "".join(f"={b:02X}" for b in ch.encode("utf-8"))
        for ch in message_id
    )
    return f"<seatledger.{escaped}@{domain}>"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _valid_address(text: str) -> bool:
    try:
        address = Address(addr_spec=text.strip())
    except (ValueError, IndexError, TypeError):
        return False
    return bool(address.username) and bool(address.domain)


def _code_result(code: int, text: bytes | str, what: str) -> DeliveryResult:
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    reason = f"{what}: {code} {_one_line(reply)}".strip()
    if 400 <= code < 500:
        return RetryLater(reason)
    return Undeliverable(reason)


@frozen
class SmtpNotifier:
    """Sends each message as a plain-text e-mail from ``sender`` through an SMTP server.

    ``starttls`` upgrades the connection before anything else is said
    (``ssl_context`` defaults to the system's trusted CAs, verifying the
    host name). Credentials are only sent over STARTTLS, and the password is
    never shown in a repr. ``message_id_domain`` defaults to the domain of
    ``sender``.
    """

    host: str
    port: int
    sender: str
    starttls: bool = field(default=False, kw_only=True)
    username: str | None = field(default=None, kw_only=True)
    password: str | None = field(default=None, kw_only=True, repr=False)
    timeout: float = field(default=10.0, kw_only=True)
    ssl_context: ssl.SSLContext | None = field(default=None, kw_only=True, repr=False)
    message_id_domain: str | None = field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not _valid_address(self.sender):
            raise ValueError(f"SMTP sender {self.sender!r} is not an e-mail address")
        if self.username is not None and not self.starttls:
            raise ValueError("SMTP credentials are only sent over STARTTLS: set starttls=True")
        if self.username is not None and self.password is None:
            raise ValueError("an SMTP username needs a password")

    @property
    def channel(self) -> Channel:
        return Channel.EMAIL

    def email(self, message: Message, recipients: tuple[str, ...]) -> EmailMessage:
        """The e-mail sent for ``message`` (headers and plain-text UTF-8 body)."""
        domain = self.message_id_domain or self.sender.rsplit("@", 1)[-1]
        mail = EmailMessage(policy=_POLICY)
        mail["From"] = self.sender
        mail["To"] = ", ".join(recipients)
        mail["Subject"] = _one_line(message.subject)
        mail["Date"] = format_datetime(message.created_at)
        mail["Message-ID"] = message_id_header(message.id, domain)
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Seatledger-Message-Id"] = message.id
        mail["X-Seatledger-Kind"] = message.kind.value
        mail["X-Seatledger-Org"] = message.org
        # Quoted-printable: 7-bit clean for any server, long paragraphs soft-wrapped.
        mail.set_content(message.body, charset="utf-8", cte="quoted-printable")
        return mail

    def send(self, message: Message, contact: Contact) -> DeliveryResult:
        recipients = tuple(address.strip() for address in contact.emails if address.strip())
        if not recipients:
            return Undeliverable("no e-mail address")
        bad = [address for address in recipients if not _valid_address(address)]
        if bad:
            return Undeliverable(f"not an e-mail address: {', '.join(map(repr, bad))}")
        mail = self.email(message, recipients)
        where = f"{self.host}:{self.port}"
        client: smtplib.SMTP | None = None
        try:
            # Connecting in the constructor also sets the host name STARTTLS verifies.
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                client.ehlo()
                context = self.ssl_context or ssl.create_default_context()
                client.starttls(context=context)
                client.ehlo()
            if self.username is not None and self.password is not None:
                client.login(self.username, self.password)
            refused = client.send_message(mail, from_addr=self.sender, to_addrs=list(recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {address: code for address, (code, _) in exc.recipients.items()}
            reason = "all recipients refused: " + ", ".join(
                f"{address} ({code} {_one_line(reply.decode('utf-8', 'replace'))})"
                for address, (code, reply) in exc.recipients.items()
            )
            if any(400 <= code < 500 for code in codes.values()):
                return RetryLater(reason)
            return Undeliverable(reason)
        except smtplib.SMTPNotSupportedError as exc:
            return Undeliverable(f"{where}: {exc}")
        except smtplib.SMTPResponseException as exc:
            return _code_result(exc.smtp_code, exc.smtp_error, where)
        except (smtplib.SMTPException, OSError) as exc:
            # connection refused, timeouts, TLS failures, a dropped connection
            return RetryLater(f"{where}: {type(exc).__name__}: {exc}")
        finally:
            if client is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    client.quit()
                client.close()
        if refused:
            return Delivered(
                note="refused: "
                + ", ".join(f"{address} ({code})" for address, (code, _) in refused.items())
            )
        return Delivered()
