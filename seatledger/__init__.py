"""seatledger: a seat-billing rules engine.

For a host system, the public API is re-exported here (see ``docs/embedding.md``)::

    import seatledger

    with seatledger.connect("seats.db", actor="lms") as ledger:
        ledger.seats_on("acme", date(2026, 9, 30))

``import seatledger`` stays cheap: the API (and SQLAlchemy behind it) is
imported on first use of one of these names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from seatledger.domain.errors import LedgerError
    from seatledger.domain.queries import RangeMode
    from seatledger.domain.rosters import RosterReport
    from seatledger.domain.seat import SeatKind
    from seatledger.domain.services.rosters import NewOrganisations
    from seatledger.entrypoints.api import (
        Ledger,
        LedgerRefused,
        NewSeat,
        connect,
        in_memory,
        over,
    )

__all__ = [
    "Ledger",
    "LedgerError",
    "LedgerRefused",
    "NewOrganisations",
    "NewSeat",
    "RangeMode",
    "RosterReport",
    "SeatKind",
    "__version__",
    "connect",
    "in_memory",
    "over",
]

_API = frozenset({"Ledger", "LedgerRefused", "NewSeat", "connect", "in_memory", "over"})
_DOMAIN = {
    "LedgerError": "seatledger.domain.errors",
    "RangeMode": "seatledger.domain.queries",
    "RosterReport": "seatledger.domain.rosters",
    "NewOrganisations": "seatledger.domain.services.rosters",
    "SeatKind": "seatledger.domain.seat",
}


def __getattr__(name: str) -> Any:
    """Import the embedding API on first use (PEP 562)."""
    import importlib

    if name in _API:
        return getattr(importlib.import_module("seatledger.entrypoints.api"), name)
    if name in _DOMAIN:
        return getattr(importlib.import_module(_DOMAIN[name]), name)
    raise AttributeError(f"module 'seatledger' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
