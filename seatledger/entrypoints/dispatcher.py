"""Running a command value, once per idempotency key when one is given.

The one place that pairs each command class with the codec its result is
stored with (decision 0010), for the command line, the embedding API and
the HTTP API alike.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final, TypeVar, cast

from returns.result import Failure, Result

from seatledger.adapters import result_codecs as codecs
from seatledger.domain import idempotency
from seatledger.domain.errors import LedgerError
from seatledger.domain.idempotency import IdempotencyKey, ResultCodec
from seatledger.domain.services import commands as c
from seatledger.domain.services.context import Services
from seatledger.domain.services.dispatch import Tools, handle
from seatledger.domain.services.idempotency import run_once

T = TypeVar("T")

CODECS: Final[Mapping[type[c.Command[Any]], ResultCodec[Any]]] = {
    c.AddOrganisation: codecs.ORGANISATION,
    c.SetOrganisation: codecs.ORGANISATION,
    c.SetContact: codecs.CONTACT,
    c.AddAdmin: codecs.ADMIN,
    c.UnlockAdmin: codecs.ADMIN,
    c.ActivateSeat: codecs.SEAT_FACT,
    c.DeactivateSeat: codecs.SEAT_FACT,
    c.CompleteSeat: codecs.SEAT_FACT,
    c.ReactivateSeat: codecs.SEAT_FACT,
    c.CorrectFact: codecs.SEAT_FACT,
    c.RetractFact: codecs.SEAT_FACT,
    c.AddAddon: codecs.SEAT_FACT,
    c.RemoveAddon: codecs.SEAT_FACT,
    c.ImportSeats: codecs.IMPORT_SUMMARY,
    c.RequestTransfer: codecs.TRANSFER_REQUEST,
    c.ApproveTransfer: codecs.TRANSFER_REQUEST,
    c.RejectTransfer: codecs.TRANSFER_REQUEST,
    c.WithdrawTransfer: codecs.TRANSFER_REQUEST,
    c.ExpireTransfers: codecs.TRANSFER_REQUESTS,
    c.TakeOver: codecs.SEAT_FACT,
    c.SetContract: codecs.CONTRACT,
    c.RecordUsage: codecs.USAGE_RECORD,
    c.CorrectUsage: codecs.USAGE_ENTRY,
    c.RetractUsage: codecs.USAGE_ENTRY,
    c.CreateApiKey: codecs.NEW_API_KEY,
    c.RevokeApiKey: codecs.API_KEY,
}


def new_secret() -> str:
    """A random API key secret: 32 bytes from the operating system, URL-safe text."""
    return secrets.token_urlsafe(32)


def keyed_request(
    key: str, command: c.Command[Any]
) -> Result[idempotency.IdempotentRequest, LedgerError]:
    """The idempotent request for ``command`` under ``key`` (an invalid key is refused)."""
    return IdempotencyKey.parse(key).map(
        lambda parsed: idempotency.request(parsed, command.NAME, command.arguments())
    )


def execute(
    services: Services, command: c.Command[T], tools: Tools, key: str | None = None
) -> Result[T, LedgerError]:
    """Run ``command``; with ``key``, at most once (a retry returns the first result)."""
    if key is None:
        return handle(services, command, tools)
    keyed = keyed_request(key, command)
    if isinstance(keyed, Failure):
        return Failure(keyed.failure())
    codec = cast(ResultCodec[T], CODECS[type(command)])
    return run_once(services, keyed.unwrap(), lambda s: handle(s, command, tools), codec)
