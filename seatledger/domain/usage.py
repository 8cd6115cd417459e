"""Usage: things billed per use (new dossiers, paid questionnaires), in arrears.

Usage records are appended and never changed. A correction is a new record
that supersedes an old one; a retraction supersedes one with nothing. Each
is a ``UsageSupersession`` recorded at its own instant, so usage "as known
at" an instant before it is still the old record (INV-2), and a billing run
that recomputes an earlier invoice with today's knowledge sees the
correction. ``UsageRecord`` itself stays as it was: an issued invoice's
evidence holds its records, and their fields are part of its content hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


@frozen
class UsageSupersession:
    """Usage record ``supersedes`` no longer holds from ``recorded_at`` on.

    ``replaced_by`` is the record that corrects it, or None: it was retracted
    (it never happened). A record is superseded at most once.
    """

    supersedes: int
    org: OrgId
    replaced_by: int | None
    reason: str
    recorded_at: datetime
    actor: str

    @property
    def retraction(self) -> bool:
        return self.replaced_by is None


@frozen
class UsageEntry:
    """A usage record as an answer lists it: what it corrects, and what superseded it.

    ``corrects`` is the supersession this record was recorded by (a
    correction), ``superseded`` the one that withdrew it, both as known at
    the answer's instant.
    """

    record: UsageRecord
    corrects: UsageSupersession | None = None
    superseded: UsageSupersession | None = None

    @property
    def status(self) -> str:
        """``in force``, ``corrected`` (by another record) or ``retracted``."""
        if self.superseded is None:
            return "in force"
        return "retracted" if self.superseded.retraction else "corrected"


@frozen
class UsageListing:
    """The usage records of ``org`` dated within ``[first, last]`` (None: unbounded), as
    known at ``as_known_at``, in recorded order."""

    org: OrgId
    first: date | None
    last: date | None
    as_known_at: datetime | None
    entries: tuple[UsageEntry, ...]


def known_supersessions(
    supersessions: Iterable[UsageSupersession], known_at: datetime | None
) -> dict[int, UsageSupersession]:
    """The supersessions recorded by ``known_at`` (all for None), by the record they withdraw."""
    return {s.supersedes: s for s in supersessions if known_at is None or s.recorded_at <= known_at}


def in_force(
    records: Iterable[UsageRecord],
    supersessions: Iterable[UsageSupersession],
    known_at: datetime | None,
) -> list[UsageRecord]:
    """The records recorded by ``known_at`` that nothing known then supersedes, by ``seq``."""
    withdrawn = known_supersessions(supersessions, known_at)
    return sorted(
        (
            r
            for r in records
            if (known_at is None or r.recorded_at <= known_at) and r.seq not in withdrawn
        ),
        key=lambda r: r.seq,
    )


def entries(
    records: Sequence[UsageRecord],
    supersessions: Iterable[UsageSupersession],
    known_at: datetime | None,
) -> tuple[UsageEntry, ...]:
    """Every record known at ``known_at``, each with its supersessions known then."""
    known = known_supersessions(supersessions, known_at)
    by_replacement = {s.replaced_by: s for s in known.values() if s.replaced_by is not None}
    chosen = sorted(
        (r for r in records if known_at is None or r.recorded_at <= known_at),
        key=lambda r: r.seq,
    )
    return tuple(UsageEntry(r, by_replacement.get(r.seq), known.get(r.seq)) for r in chosen)
