"""A roster import as both entrypoints run it: read the export, then apply it at most once.

The command line and the embedding API share this, so that both derive the
same idempotency key from the roster's content: the same export imported
twice with the same options by the same actor is one write (decision 0024).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from attrs import frozen
from returns.result import Failure, Result

from seatledger.adapters import result_codecs as codecs
from seatledger.adapters.roster_files import read_roster
from seatledger.domain import idempotency
from seatledger.domain.errors import LedgerError
from seatledger.domain.idempotency import IdempotencyKey, canonical
from seatledger.domain.rosters import RosterFormat, RosterMode, RosterPolicy, RosterReport
from seatledger.domain.services import rosters
from seatledger.domain.services.context import Services
from seatledger.domain.services.idempotency import run_once
from seatledger.domain.services.rosters import NewOrganisations

COMMAND = "roster.import"


@frozen
class RosterImport:
    """Everything one roster import was asked to do."""

    path: Path
    format: RosterFormat
    mode: RosterMode | None
    policy: RosterPolicy
    actor: str
    dry_run: bool = False
    create: NewOrganisations | None = None


def import_roster(
    services: Services, asked: RosterImport, key: str | None = None
) -> Result[RosterReport, LedgerError]:
    """Read the export (refusing a wrong format before the ledger is touched), then apply it.

    A real import runs under ``key``, or else under a key derived from the
    roster's content, its options and the actor: a repeat is a replay.
    """
    read = read_roster(asked.path, asked.format, asked.mode)
    if isinstance(read, Failure):
        return Failure(read.failure())
    roster = read.unwrap()
    source = asked.path.name

    def run(s: Services) -> Result[RosterReport, LedgerError]:
        return rosters.import_roster(
            s, roster, asked.policy, source=source, actor=asked.actor,
            dry_run=asked.dry_run, create=asked.create,
        )  # fmt: skip

    if asked.dry_run:
        return run(services)
    arguments = {
        "content": roster.digest,
        "format": asked.format,
        "mode": roster.mode,
        "policy": asked.policy,
        "create": asked.create,
        "actor": asked.actor,
    }
    if key is None:
        derived = hashlib.sha256(repr(canonical(arguments)).encode("utf-8")).hexdigest()
        key = f"roster-{derived}"
    parsed = IdempotencyKey.parse(key)
    if isinstance(parsed, Failure):
        return Failure(parsed.failure())
    request = idempotency.request(parsed.unwrap(), COMMAND, arguments)
    return run_once(services, request, run, codecs.ROSTER_REPORT)
