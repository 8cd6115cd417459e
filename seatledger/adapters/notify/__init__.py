"""Notifiers: the adapters of the ``Notifier`` port (log, e-mail, webhook).

Standard library only at run time. ``signature`` is Standard Webhooks v1 signing, and
``verify_signature`` for host systems that receive seatledger's webhooks without a
Standard Webhooks library.
"""

from seatledger.adapters.notify.console import LogNotifier
from seatledger.adapters.notify.signature import sign, verify_signature
from seatledger.adapters.notify.smtp import SmtpNotifier
from seatledger.adapters.notify.webhook import WebhookNotifier

__all__ = ["LogNotifier", "SmtpNotifier", "WebhookNotifier", "sign", "verify_signature"]
