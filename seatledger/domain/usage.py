"""Usage: things billed per use (new dossiers on Starter, paid questionnaires), in arrears."""

from __future__ import annotations

from datetime import date, datetime

from attrs import frozen

from seatledger.domain.identifiers import OrgId


@frozen
class UsageRecord:
    """``quantity`` uses of ``kind`` by ``org`` on ``on``, recorded at ``recorded_at``."""

    seq: int
    org: OrgId
    kind: str
    quantity: int
    on: date
    recorded_at: datetime
    actor: str
