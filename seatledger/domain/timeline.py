"""A seat's timeline: the facts known at an instant, folded into intervals.

This module defines what the history *means*. Facts known at an instant are
taken, the ones superseded by a correction are dropped, and the rest are
applied in order of effective date (ties in recorded order). The result is:

* active intervals, half-open ``[start, end)``, never overlapping (INV-4);
* ownership intervals, half-open, covering every date from the first
  activation on with exactly one paying organisation (INV-1);
* billing spans, the intersections of the two, cut where the seat's
  add-ons change: on each date a seat is active, exactly one span covers
  it, naming the organisation that pays and the add-ons it holds that day.

A history that cannot be folded (a deactivation while inactive, a second
first activation ...) is refused, naming the fact where it breaks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import attrs
from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.errors import (
    AddonAlreadyHeld,
    AddonNotHeld,
    DeactivationBeforeActivation,
    LedgerError,
    OwnershipBeforeActivation,
    SeatAlreadyActive,
    SeatExists,
    SeatNotActive,
)
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.seat import (
    ADDON_CHANGES,
    CLOSING,
    MOVES_PAYER,
    FactKind,
    SeatFact,
    SeatKind,
)


@frozen
class ActiveInterval:
    """One active interval ``[start, end)``; ``end`` is None while it is open.

    ``addons`` are the add-ons the interval opened with; ``addon_changes``
    the dated sets that replace them from each date on (in date order, the
    dates within the interval), so the add-ons held on a date are those of
    the last change on or before it.
    """

    start: date
    end: date | None
    ended_by: FactKind | None
    holder: str
    seat_kind: SeatKind
    addons: frozenset[str]
    addon_changes: tuple[tuple[date, frozenset[str]], ...] = ()

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def addons_on(self, day: date) -> frozenset[str]:
        """The add-ons held on ``day`` (a day of the interval)."""
        held = self.addons
        for since, addons in self.addon_changes:
            if since > day:
                break
            held = addons
        return held

    @property
    def last_addons(self) -> frozenset[str]:
        """The add-ons held on the interval's last day (or today, while it is open)."""
        return self.addon_changes[-1][1] if self.addon_changes else self.addons

    def addon_pieces(self, start: date, end: date | None) -> list[tuple[date, date | None]]:
        """``[start, end)`` cut at each add-on change inside it."""
        cuts = [d for d, _ in self.addon_changes if start < d and (end is None or d < end)]
        bounds: list[date | None] = [start, *sorted(set(cuts)), end]
        return [(a, bounds[i + 1]) for i, a in enumerate(bounds[:-1]) if a is not None]


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
        """Each stretch with one payer and one set of add-ons, in date order."""
        result: list[BillingSpan] = []
        for interval in self.intervals:
            for owner in self.owners:
                start = max(interval.start, owner.start)
                end = _earliest(interval.end, owner.end)
                if end is not None and end <= start:
                    continue
                for piece_start, piece_end in interval.addon_pieces(start, end):
                    result.append(
                        BillingSpan(
                            seat=self.seat,
                            org=owner.org,
                            start=piece_start,
                            end=piece_end,
                            activated_on=interval.start,
                            deactivated_on=interval.end,
                            ended_by=interval.ended_by,
                            holder=interval.holder,
                            seat_kind=interval.seat_kind,
                            addons=interval.addons_on(piece_start),
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
        elif kind in ADDON_CHANGES:
            if open_interval is None:
                return Failure(FoldFailure(fact, SeatNotActive(seat, fact.effective_on)))
            changed = _change_addons(seat, open_interval, fact)
            if isinstance(changed, Failure):
                return Failure(FoldFailure(fact, changed.failure()))
            open_interval = changed.unwrap()
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
    return attrs.evolve(interval, end=end, ended_by=kind)


def _change_addons(
    seat: SeatId, interval: ActiveInterval, fact: SeatFact
) -> Result[ActiveInterval, LedgerError]:
    """The open interval with the fact's add-on added or removed from its date on."""
    day = fact.effective_on
    held = interval.addons_on(day)
    (addon,) = fact.addons
    if fact.kind is FactKind.ADDON_ADDED:
        if addon in held:
            return Failure(AddonAlreadyHeld(seat, addon, day))
        new = held | {addon}
    else:
        if addon not in held:
            return Failure(AddonNotHeld(seat, addon, day, tuple(sorted(held))))
        new = held - {addon}
    # Facts apply in date order, so this change is the latest; one on the same date replaces.
    kept = tuple((d, a) for d, a in interval.addon_changes if d < day)
    if day <= interval.start:
        return Success(attrs.evolve(interval, addons=new, addon_changes=()))
    return Success(attrs.evolve(interval, addon_changes=(*kept, (day, new))))


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
