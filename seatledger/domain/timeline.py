"""A seat's timeline: the facts known at an instant, folded into intervals.

This module defines what the history *means*. Facts known at an instant are
taken, the ones superseded by a correction are dropped, and the rest are
applied in order of effective date (ties in recorded order). The result is:

* active intervals, half-open ``[start, end)``, never overlapping (INV-4);
* ownership intervals, half-open, covering every date from the first
  activation on with exactly one paying organisation (INV-1);
* billing spans, the intersections of the two: on each date a seat is
  active, exactly one span covers it, naming the organisation that pays.

A history that cannot be folded (a deactivation while inactive, a second
first activation ...) is refused, naming the fact where it breaks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import (
    DeactivationBeforeActivation,
    LedgerError,
    OwnershipBeforeActivation,
    SeatAlreadyActive,
    SeatExists,
    SeatNotActive,
)
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.seat import CLOSING, MOVES_PAYER, FactKind, SeatFact, SeatKind


@frozen
class ActiveInterval:
    """One active interval ``[start, end)``; ``end`` is None while it is open."""

    start: date
    end: date | None
    ended_by: FactKind | None
    holder: str
    seat_kind: SeatKind
    addons: frozenset[str]

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@frozen
class OwnershipInterval:
    """The organisation that pays for a seat over ``[start, end)``."""

    org: OrgId
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@frozen
class BillingSpan:
    """A stretch ``[start, end)`` in which a seat is active and billed to ``org``.

    ``activated_on`` and ``deactivated_on`` are those of the active interval
    the span lies in, so a span that begins with a transfer still reports the
    date the seat was activated, and a span that ends with a transfer still
    reports the date the seat was (or will be) deactivated, if it has one.
    """

    seat: SeatId
    org: OrgId
    start: date
    end: date | None
    activated_on: date
    deactivated_on: date | None
    ended_by: FactKind | None
    holder: str
    seat_kind: SeatKind
    addons: frozenset[str]

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, first: date, last: date) -> bool:
        """True if the span covers any day of ``[first, last]`` (both included)."""
        return self.start <= last and (self.end is None or self.end > first)


@frozen
class SeatTimeline:
    """Everything the known history of one seat says, as intervals."""

    seat: SeatId
    intervals: tuple[ActiveInterval, ...]
    owners: tuple[OwnershipInterval, ...]

    @property
    def first_activated_on(self) -> date | None:
        return self.intervals[0].start if self.intervals else None

    @property
    def latest(self) -> ActiveInterval | None:
        return self.intervals[-1] if self.intervals else None

    def is_active_on(self, day: date) -> bool:
        return any(interval.covers(day) for interval in self.intervals)

    def payer_on(self, day: date) -> OrgId | None:
        """The organisation that pays for the seat on ``day`` (None before it existed)."""
        for owner in self.owners:
            if owner.covers(day):
                return owner.org
        return None

    def current_payer(self) -> OrgId | None:
        return self.owners[-1].org if self.owners else None

    def spans(self) -> tuple[BillingSpan, ...]:
        result: list[BillingSpan] = []
        for interval in self.intervals:
            for owner in self.owners:
                start = max(interval.start, owner.start)
                end = _earliest(interval.end, owner.end)
                if end is not None and end <= start:
                    continue
                result.append(
                    BillingSpan(
                        seat=self.seat,
                        org=owner.org,
                        start=start,
                        end=end,
                        activated_on=interval.start,
                        deactivated_on=interval.end,
                        ended_by=interval.ended_by,
                        holder=interval.holder,
                        seat_kind=interval.seat_kind,
                        addons=interval.addons,
                    )
                )
        return tuple(result)


@frozen
class FoldFailure:
    """Where a history breaks: the fact that cannot be applied, and why."""

    fact: SeatFact
    error: LedgerError


def known_facts(facts: Iterable[SeatFact], known_at: datetime | None) -> list[SeatFact]:
    """The facts recorded at or before ``known_at`` (all of them for None), in recorded order."""
    chosen = [f for f in facts if known_at is None or f.recorded_at <= known_at]
    chosen.sort(key=lambda f: f.seq)
    return chosen


def effective_facts(facts: Iterable[SeatFact], known_at: datetime | None = None) -> list[SeatFact]:
    """The facts in force as known at ``known_at``, in the order they apply.

    Superseded facts and retractions drop out; the rest are ordered by
    effective date, ties broken by the order they were recorded in.
    """
    known = known_facts(facts, known_at)
    superseded = {f.supersedes for f in known if f.supersedes is not None}
    in_force = [f for f in known if f.seq not in superseded and f.kind is not FactKind.RETRACTED]
    in_force.sort(key=lambda f: (f.effective_on, f.seq))
    return in_force


def fold(seat: SeatId, facts: Sequence[SeatFact]) -> Result[SeatTimeline, FoldFailure]:
    """Fold facts already in application order (see ``effective_facts``) into a timeline."""
    intervals: list[ActiveInterval] = []
    owner_changes: list[tuple[date, OrgId]] = []
    open_interval: ActiveInterval | None = None
    activated = False

    for fact in facts:
        kind = fact.kind
        if kind is FactKind.ACTIVATED or kind is FactKind.REACTIVATED:
            if kind is FactKind.ACTIVATED and activated:
                return Failure(FoldFailure(fact, SeatExists(seat)))
            if open_interval is not None:
                return Failure(FoldFailure(fact, SeatAlreadyActive(seat, fact.effective_on)))
            if kind is FactKind.REACTIVATED and not activated:
                return Failure(FoldFailure(fact, SeatNotActive(seat, fact.effective_on)))
            # Opening facts carry the seat's description (the use cases fill it in).
            open_interval = ActiveInterval(
                start=fact.effective_on,
                end=None,
                ended_by=None,
                holder=fact.holder or "",
                seat_kind=fact.seat_kind or SeatKind.REGULAR,
                addons=fact.addons,
            )
            if kind is FactKind.ACTIVATED:
                activated = True
                if fact.org is not None:
                    owner_changes.append((fact.effective_on, fact.org))
            elif fact.org is not None:
                owner_changes.append((fact.effective_on, fact.org))
        elif kind in CLOSING:
            if open_interval is None:
                if not activated:
                    first_open = _first_opening_after(facts, fact)
                    if first_open is not None:
                        return Failure(
                            FoldFailure(
                                fact,
                                DeactivationBeforeActivation(
                                    seat, fact.effective_on, first_open.effective_on
                                ),
                            )
                        )
                return Failure(FoldFailure(fact, SeatNotActive(seat, fact.effective_on)))
            intervals.append(_close(open_interval, fact.effective_on, kind))
            open_interval = None
        elif kind in MOVES_PAYER:
            if not activated:
                first_open = _first_opening_after(facts, fact)
                return Failure(
                    FoldFailure(
                        fact,
                        OwnershipBeforeActivation(
                            seat,
                            fact.effective_on,
                            first_open.effective_on if first_open else fact.effective_on,
                        ),
                    )
                )
            if fact.org is not None:
                owner_changes.append((fact.effective_on, fact.org))
        # Requests, rejections, withdrawals and expiries are history only.

    if open_interval is not None:
        intervals.append(open_interval)
    return Success(SeatTimeline(seat, tuple(intervals), _ownership(owner_changes)))


def timeline(
    seat: SeatId, facts: Iterable[SeatFact], known_at: datetime | None = None
) -> Result[SeatTimeline, FoldFailure]:
    """The timeline of a seat as known at ``known_at`` (None: everything recorded)."""
    return fold(seat, effective_facts(facts, known_at))


def _close(interval: ActiveInterval, end: date, kind: FactKind) -> ActiveInterval:
    return ActiveInterval(
        start=interval.start,
        end=end,
        ended_by=kind,
        holder=interval.holder,
        seat_kind=interval.seat_kind,
        addons=interval.addons,
    )


def _ownership(changes: list[tuple[date, OrgId]]) -> tuple[OwnershipInterval, ...]:
    """Turn dated payer changes (in application order) into contiguous intervals."""
    # A later change on the same date wins; then drop repeats of the same payer.
    by_date: dict[date, OrgId] = {}
    for day, org in changes:
        by_date[day] = org
    ordered = sorted(by_date.items())
    result: list[OwnershipInterval] = []
    for day, org in ordered:
        if result and result[-1].org == org:
            continue
        if result:
            last = result[-1]
            result[-1] = OwnershipInterval(last.org, last.start, day)
        result.append(OwnershipInterval(org, day, None))
    return tuple(result)


def _earliest(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _first_opening_after(facts: Sequence[SeatFact], fact: SeatFact) -> SeatFact | None:
    later = [
        f for f in facts if f.kind is FactKind.ACTIVATED and f.effective_on >= fact.effective_on
    ]
    return later[0] if later else None
