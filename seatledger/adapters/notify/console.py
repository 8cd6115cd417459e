"""The log channel: one line per message, for development, demos and audit trails."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from seatledger.domain.notifications import Channel, Contact, Delivered, DeliveryResult, Message


def _one_line(text: str) -> str:
    return " ".join(text.split())


class LogNotifier:
    """Writes ``<kind> <org> <id>: <subject>`` for each message to a stream or a logger.

    With neither, writes to standard error. Always ``Delivered``: an error
    writing the line is an infrastructure failure and is raised.
    """

    channel = Channel.LOG

    def __init__(self, target: TextIO | logging.Logger | None = None) -> None:
        self._target = target

    def __repr__(self) -> str:
        return f"LogNotifier({self._target!r})"

    def line(self, message: Message) -> str:
        return f"{message.kind.value} {message.org} {message.id}: {_one_line(message.subject)}"

    def send(self, message: Message, contact: Contact) -> DeliveryResult:
        text = self.line(message)
        if isinstance(self._target, logging.Logger):
            self._target.info("%s", text)
        else:
            stream = self._target if self._target is not None else sys.stderr
            stream.write(text + "\n")
            stream.flush()
        return Delivered()
