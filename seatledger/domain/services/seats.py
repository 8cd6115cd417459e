"""Use cases of a seat's life: activate, deactivate, complete, reactivate, correct, retract.

Every change appends facts; nothing is edited or deleted. A change is
accepted only if the seat's whole history, with the new fact in it, still
folds into a well-formed timeline; otherwise it is refused and nothing is
written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

import attrs
from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import Action, Role
from seatledger.domain.catalog import Catalog
from seatledger.domain.consent import payers_of_changed_dates
from seatledger.domain.errors import (
    BackdatedWithoutReason,
    DeactivationBeforeActivation,
    FactNotCorrectable,
    FutureDate,
    HistoryConflict,
    InvalidText,
    LedgerError,
    ReasonRequired,
    SeatAlreadyActive,
    SeatExists,
    SeatNotActive,
    UnknownAddon,
    UnknownFact,
    UnknownOrganisation,
    UnknownSeat,
)
from seatledger.domain.identifiers import OrgId, SeatId, seat_id, valid_id, valid_text
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead, LedgerRepository, Store
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.seat import CORRECTABLE, FactKind, SeatFact, SeatKind
from seatledger.domain.services.access import POLICY, fact_entry, may_read, record_fact, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.organisations import require_organisation
from seatledger.domain.timeline import SeatTimeline, timeline

# Drafts carry placeholders until the transaction numbers and stamps them.
_UNSTAMPED = datetime(1970, 1, 1, tzinfo=UTC)


@frozen
class HistoryEntry:
    """A fact of a seat's history, and the later fact that superseded it, if any."""

    fact: SeatFact
    superseded_by: int | None


@frozen
class SeatHistory:
    """A seat's full history, and the timeline it folds into with today's knowledge."""

    seat: SeatId
    entries: tuple[HistoryEntry, ...]
    timeline: SeatTimeline


def draft(seat: SeatId, kind: FactKind, on: date, actor: str, **fields: object) -> SeatFact:
    """A fact not yet numbered or stamped."""
    return SeatFact(
        seq=0,
        seat=seat,
        kind=kind,
        effective_on=on,
        recorded_at=_UNSTAMPED,
        actor=actor,
        **fields,  # type: ignore[arg-type]
    )


def check_effective_date(
    seat: SeatId, on: date, today: date, reason: str | None
) -> Result[date, LedgerError]:
    """An effective date may not lie in the future; a backdated one needs a reason."""
    if on > today:
        return Failure(FutureDate(on, today))
    if on < today and not reason:
        return Failure(BackdatedWithoutReason(seat, on, today))
    return Success(on)


def check_actor_and_reason(
    actor: str, reason: str | None
) -> Result[tuple[str, str | None], InvalidText]:
    checked_actor = valid_text("actor", actor)
    if isinstance(checked_actor, Failure):
        return checked_actor
    if reason is None:
        return Success((checked_actor.unwrap(), None))
    checked_reason = valid_text("reason", reason, required=False)
    if isinstance(checked_reason, Failure):
        return checked_reason
    return Success((checked_actor.unwrap(), checked_reason.unwrap() or None))


def check_addons(
    addons: Iterable[str], catalog: Catalog | None
) -> Result[frozenset[str], LedgerError]:
    """Add-on names, trimmed and lower-cased, each one the catalog sells.

    Without a catalog no add-on is known, so any name is refused: an
    add-on the catalog does not price would be billed at nothing.
    """
    cleaned: set[str] = set()
    for addon in addons:
        checked = valid_id("add-on", addon.strip().lower())
        if isinstance(checked, Failure):
            return checked
        name = checked.unwrap()
        if catalog is None:
            return Failure(UnknownAddon(name, ()))
        offered = catalog.addon(name)
        if isinstance(offered, Failure):
            return Failure(offered.failure())
        cleaned.add(name)
    return Success(frozenset(cleaned))


def validated_timeline(
    seat: SeatId, known: Sequence[SeatFact], new: Sequence[SeatFact]
) -> Result[SeatTimeline, LedgerError]:
    """The seat's timeline with the new facts in it, or why they cannot be added."""
    folded = timeline(seat, [*known, *new])
    if isinstance(folded, Success):
        return Success(folded.unwrap())
    broken = folded.failure()
    if any(broken.fact is fact for fact in new):
        return Failure(broken.error)
    first_new = new[0]
    return Failure(
        HistoryConflict(
            seat=seat,
            on=first_new.effective_on,
            conflicting_seq=broken.fact.seq,
            conflicting_on=broken.fact.effective_on,
            problem=broken.error.message,
        )
    )


def stamp(drafts: Sequence[SeatFact], head: LedgerHead, at: datetime) -> list[SeatFact]:
    """Number facts after the head and stamp them with the command's instant."""
    return [
        attrs.evolve(fact, seq=head.last_seq + i + 1, recorded_at=at)
        for i, fact in enumerate(drafts)
    ]


def append_checked(
    services: Services,
    ledger: LedgerRepository,
    seat: SeatId,
    known: Sequence[SeatFact],
    drafts: Sequence[SeatFact],
) -> Result[list[SeatFact], LedgerError]:
    """Stamp drafts, validate them against the seat's history, and append them.

    Drafts are numbered before validation, so that facts with the same
    effective date apply in the order they are recorded.
    """
    head = ledger.head()
    recorded = assign_recorded_at(services.clock, head)
    if isinstance(recorded, Failure):
        return Failure(recorded.failure())
    facts = stamp(drafts, head, recorded.unwrap())
    valid = validated_timeline(seat, known, facts)
    if isinstance(valid, Failure):
        return Failure(valid.failure())
    ledger.append(facts, LedgerHead(facts[-1].seq, recorded.unwrap()))
    return Success(facts)


@frozen
class Consented:
    """Facts appended with the consent of every organisation whose dates they change."""

    facts: list[SeatFact]
    role: Role
    orgs: tuple[OrgId | None, ...]


def append_consented(
    services: Services,
    ledger: Store,
    seat: SeatId,
    known: Sequence[SeatFact],
    drafts: Sequence[SeatFact],
    *,
    actor: str,
    action: Action,
    payer: OrgId | None,
) -> Result[Consented, LedgerError]:
    """``append_checked``, allowed only if every payer of a date it changes consents.

    The current payer (already checked by the caller) is always concerned; so
    is every organisation paying, before or after, on a date the change bills
    differently (decision 0028). Nothing is appended on a refusal.
    """
    head = ledger.head()
    recorded = assign_recorded_at(services.clock, head)
    if isinstance(recorded, Failure):
        return Failure(recorded.failure())
    facts = stamp(drafts, head, recorded.unwrap())
    valid = validated_timeline(seat, known, facts)
    if isinstance(valid, Failure):
        return Failure(valid.failure())
    before = timeline(seat, known)
    touched = payers_of_changed_dates(
        before.unwrap() if isinstance(before, Success) else None, valid.unwrap()
    )
    concerned = tuple(sorted(touched | ({payer} if payer is not None else set())))
    allowed = POLICY.check_consent(standing(ledger, actor, *concerned), action, concerned)
    if isinstance(allowed, Failure):
        return Failure(allowed.failure())
    ledger.append(facts, LedgerHead(facts[-1].seq, recorded.unwrap()))
    return Success(Consented(facts, allowed.unwrap(), concerned or (None,)))


def audit_consented(ledger: Store, written: Consented, actor: str, action: Action) -> SeatFact:
    """One audit entry per organisation concerned, so each one's trail shows the change."""
    fact = written.facts[0]
    ledger.add_audit(
        [fact_entry(fact, actor, written.role, action, org=org) for org in written.orgs]
    )
    return fact


def current_timeline(seat: SeatId, known: Sequence[SeatFact]) -> SeatTimeline:
    """The timeline of a stored history (stored histories always fold)."""
    folded = timeline(seat, known)
    if isinstance(folded, Failure):
        raise AssertionError(f"stored history of {seat} does not fold: {folded.failure()}")
    return folded.unwrap()


def load_existing_seat(
    ledger: LedgerRepository, seat: str
) -> Result[tuple[SeatId, Sequence[SeatFact], SeatTimeline], LedgerError]:
    """A seat that has been activated, with its facts and current timeline."""
    checked = seat_id(seat)
    if isinstance(checked, Failure):
        return Failure(checked.failure())
    known = ledger.seat_facts(checked.unwrap())
    if not known:
        return Failure(UnknownSeat(seat))
    return Success((checked.unwrap(), known, current_timeline(checked.unwrap(), known)))


def payer_organisation(ledger: LedgerRepository, tl: SeatTimeline) -> Organisation:
    """The organisation paying for the seat now; its time zone decides what 'today' is."""
    payer = tl.current_payer()
    found = ledger.get_organisation(payer) if payer is not None else None
    if found is None:
        raise AssertionError(f"seat {tl.seat} has no known paying organisation")
    return found


def activate(
    services: Services,
    seat: str,
    org: str,
    *,
    actor: str,
    on: date | None = None,
    kind: SeatKind = SeatKind.REGULAR,
    holder: str = "",
    addons: Iterable[str] = (),
    reason: str | None = None,
    catalog: Catalog | None = None,
) -> Result[SeatFact, LedgerError]:
    """Open a new seat billed to ``org`` from ``on`` (default: today in the org's zone).

    Each of ``addons`` must be an add-on of ``catalog`` (``unknown-addon``
    otherwise, and nothing is written); a seat without add-ons needs no catalog.
    """
    checked_seat = seat_id(seat)
    if isinstance(checked_seat, Failure):
        return Failure(checked_seat.failure())
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    checked_holder = valid_text("holder", holder, required=False)
    if isinstance(checked_holder, Failure):
        return Failure(checked_holder.failure())
    checked_addons = check_addons(addons, catalog)
    if isinstance(checked_addons, Failure):
        return Failure(checked_addons.failure())
    who, why = people.unwrap()
    sid = checked_seat.unwrap()

    with services.uow.transaction(write=True) as ledger:
        found = require_organisation(ledger, org)
        if isinstance(found, Failure):
            return Failure(found.failure())
        organisation = found.unwrap()
        allowed = POLICY.check_activation(standing(ledger, who, organisation.id), organisation.id)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        today = organisation.today(services.clock.today)
        effective = check_effective_date(sid, on or today, today, why)
        if isinstance(effective, Failure):
            return Failure(effective.failure())
        known = ledger.seat_facts(sid)
        if known and current_timeline(sid, known).first_activated_on is not None:
            return Failure(SeatExists(sid))
        fact = draft(
            sid,
            FactKind.ACTIVATED,
            effective.unwrap(),
            who,
            reason=why,
            org=organisation.id,
            holder=checked_holder.unwrap(),
            seat_kind=kind,
            addons=checked_addons.unwrap(),
        )
        written = append_checked(services, ledger, sid, known, [fact])
        if isinstance(written, Success):
            record_fact(
                ledger,
                written.unwrap()[0],
                who,
                allowed.unwrap(),
                Action.SEAT_ACTIVATE,
                org=organisation.id,
            )
            services.uow.commit()
        return written.map(lambda facts: facts[0])


def deactivate(
    services: Services, seat: str, *, actor: str, on: date | None = None, reason: str | None = None
) -> Result[SeatFact, LedgerError]:
    """End the seat's active interval on ``on``: it is not billed for ``on`` itself."""
    return _close(services, seat, FactKind.DEACTIVATED, actor=actor, on=on, reason=reason)


def complete(
    services: Services, seat: str, *, actor: str, on: date | None = None, reason: str | None = None
) -> Result[SeatFact, LedgerError]:
    """Mark the seat's training completed on ``on``: billing stops as for a deactivation."""
    return _close(services, seat, FactKind.COMPLETED, actor=actor, on=on, reason=reason)


def _close(
    services: Services,
    seat: str,
    kind: FactKind,
    *,
    actor: str,
    on: date | None,
    reason: str | None,
) -> Result[SeatFact, LedgerError]:
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    with services.uow.transaction(write=True) as ledger:
        loaded = load_existing_seat(ledger, seat)
        if isinstance(loaded, Failure):
            return Failure(loaded.failure())
        sid, known, tl = loaded.unwrap()
        if tl.latest is None:
            # Every opening fact was retracted: there is no seat to close (and no payer).
            return Failure(UnknownSeat(sid))
        payer = tl.current_payer()
        action = Action.SEAT_DEACTIVATE if kind is FactKind.DEACTIVATED else Action.SEAT_COMPLETE
        allowed = POLICY.check_seat_change(standing(ledger, who, payer), action, payer)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        today = payer_organisation(ledger, tl).today(services.clock.today)
        effective = check_effective_date(sid, on or today, today, why)
        if isinstance(effective, Failure):
            return Failure(effective.failure())
        day = effective.unwrap()
        latest = tl.latest
        if latest.end is not None and latest.end <= day:
            return Failure(SeatNotActive(sid, day))
        if latest.end is None and latest.start > day:
            return Failure(DeactivationBeforeActivation(sid, day, latest.start))
        fact = draft(sid, kind, day, who, reason=why)
        written = append_consented(
            services, ledger, sid, known, [fact], actor=who, action=action, payer=payer
        )
        if isinstance(written, Failure):
            return Failure(written.failure())
        done = audit_consented(ledger, written.unwrap(), who, action)
        services.uow.commit()
        return Success(done)


def reactivate(
    services: Services,
    seat: str,
    *,
    actor: str,
    on: date | None = None,
    reason: str | None = None,
    kind: SeatKind | None = None,
    holder: str | None = None,
    addons: Iterable[str] | None = None,
    catalog: Catalog | None = None,
) -> Result[SeatFact, LedgerError]:
    """Open a new active interval for a deactivated or completed seat.

    The seat keeps its holder, kind and add-ons unless new ones are given
    (a student who qualifies is reactivated as a regular seat, say); new
    add-ons must be add-ons of ``catalog``, as for ``activate``.
    """
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    new_addons: frozenset[str] | None = None
    if addons is not None:
        checked_addons = check_addons(addons, catalog)
        if isinstance(checked_addons, Failure):
            return Failure(checked_addons.failure())
        new_addons = checked_addons.unwrap()
    if holder is not None:
        checked_holder = valid_text("holder", holder, required=False)
        if isinstance(checked_holder, Failure):
            return Failure(checked_holder.failure())
        holder = checked_holder.unwrap()
    with services.uow.transaction(write=True) as ledger:
        loaded = load_existing_seat(ledger, seat)
        if isinstance(loaded, Failure):
            return Failure(loaded.failure())
        sid, known, tl = loaded.unwrap()
        latest = tl.latest
        if latest is None:
            # Every opening fact was retracted: activate the seat again instead.
            return Failure(UnknownSeat(sid))
        payer = tl.current_payer()
        allowed = POLICY.check_seat_change(
            standing(ledger, who, payer), Action.SEAT_REACTIVATE, payer
        )
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        today = payer_organisation(ledger, tl).today(services.clock.today)
        effective = check_effective_date(sid, on or today, today, why)
        if isinstance(effective, Failure):
            return Failure(effective.failure())
        day = effective.unwrap()
        if latest.end is None:
            return Failure(SeatAlreadyActive(sid, day))
        fact = draft(
            sid,
            FactKind.REACTIVATED,
            day,
            who,
            reason=why,
            holder=holder if holder is not None else latest.holder,
            seat_kind=kind or latest.seat_kind,
            addons=new_addons if new_addons is not None else latest.last_addons,
        )
        written = append_consented(
            services,
            ledger,
            sid,
            known,
            [fact],
            actor=who,
            action=Action.SEAT_REACTIVATE,
            payer=payer,
        )
        if isinstance(written, Failure):
            return Failure(written.failure())
        done = audit_consented(ledger, written.unwrap(), who, Action.SEAT_REACTIVATE)
        services.uow.commit()
        return Success(done)


def add_addon(
    services: Services,
    seat: str,
    addon: str,
    *,
    actor: str,
    on: date | None = None,
    reason: str | None = None,
    catalog: Catalog | None = None,
) -> Result[SeatFact, LedgerError]:
    """The seat holds ``addon`` from ``on`` on (default: today), to the end of the active
    interval ``on`` lies in: billed for every reference date from then on. The add-on
    must be one ``catalog`` sells (``check_addons``)."""
    known = check_addons([addon], catalog)
    if isinstance(known, Failure):
        return Failure(known.failure())
    return _change_addon(
        services, seat, addon, FactKind.ADDON_ADDED, actor=actor, on=on, reason=reason
    )


def remove_addon(
    services: Services,
    seat: str,
    addon: str,
    *,
    actor: str,
    on: date | None = None,
    reason: str | None = None,
) -> Result[SeatFact, LedgerError]:
    """The seat no longer holds ``addon`` from ``on`` on (default: today): not billed for
    ``on`` itself nor any later reference date of that active interval."""
    return _change_addon(
        services, seat, addon, FactKind.ADDON_REMOVED, actor=actor, on=on, reason=reason
    )


def _change_addon(
    services: Services,
    seat: str,
    addon: str,
    kind: FactKind,
    *,
    actor: str,
    on: date | None,
    reason: str | None,
) -> Result[SeatFact, LedgerError]:
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    checked_addon = valid_id("add-on", addon.strip().lower())
    if isinstance(checked_addon, Failure):
        return Failure(checked_addon.failure())
    who, why = people.unwrap()
    action = Action.SEAT_ADDON_ADD if kind is FactKind.ADDON_ADDED else Action.SEAT_ADDON_REMOVE
    with services.uow.transaction(write=True) as ledger:
        loaded = load_existing_seat(ledger, seat)
        if isinstance(loaded, Failure):
            return Failure(loaded.failure())
        sid, known, tl = loaded.unwrap()
        if tl.latest is None:
            return Failure(UnknownSeat(sid))
        payer = tl.current_payer()
        allowed = POLICY.check_seat_change(standing(ledger, who, payer), action, payer)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        today = payer_organisation(ledger, tl).today(services.clock.today)
        effective = check_effective_date(sid, on or today, today, why)
        if isinstance(effective, Failure):
            return Failure(effective.failure())
        day = effective.unwrap()
        if not tl.is_active_on(day):
            return Failure(SeatNotActive(sid, day))
        # The fold refuses an add-on already held, or not held, on that day.
        fact = draft(sid, kind, day, who, reason=why, addons=frozenset({checked_addon.unwrap()}))
        written = append_consented(
            services, ledger, sid, known, [fact], actor=who, action=action, payer=payer
        )
        if isinstance(written, Failure):
            return Failure(written.failure())
        done = audit_consented(ledger, written.unwrap(), who, action)
        services.uow.commit()
        return Success(done)


def change_payer(
    services: Services,
    ledger: LedgerRepository,
    seat: SeatId,
    known: Sequence[SeatFact],
    to: OrgId,
    on: date,
    *,
    kind: FactKind,
    actor: str,
    reason: str | None = None,
    request: str | None = None,
    preceding: Sequence[SeatFact] = (),
) -> Result[list[SeatFact], LedgerError]:
    """Append a fact that moves the seat's billing to ``to`` from ``on`` on (no commit)."""
    if ledger.get_organisation(to) is None:
        return Failure(UnknownOrganisation(to))
    fact = draft(seat, kind, on, actor, reason=reason, org=to, request=request)
    return append_checked(services, ledger, seat, known, [*preceding, fact])


def _superseded_by(known: Sequence[SeatFact]) -> dict[int, int]:
    return {f.supersedes: f.seq for f in known if f.supersedes is not None}


def _correctable(sid: SeatId, known: Sequence[SeatFact], seq: int) -> Result[SeatFact, LedgerError]:
    target = next((f for f in known if f.seq == seq), None)
    if target is None:
        return Failure(UnknownFact(sid, seq))
    if target.kind not in CORRECTABLE:
        return Failure(
            FactNotCorrectable(sid, seq, f"a {target.kind.value} fact is not corrected by date")
        )
    newer = _superseded_by(known).get(seq)
    if newer is not None:
        return Failure(FactNotCorrectable(sid, seq, f"it was already superseded by fact #{newer}"))
    return Success(target)


def correct(
    services: Services, seat: str, seq: int, *, on: date, actor: str, reason: str | None
) -> Result[SeatFact, LedgerError]:
    """Record that fact ``seq`` really happened on ``on``.

    A new fact of the same kind supersedes the old one; the old one stays in
    the history, and answers "as known at" an earlier instant still see it.
    """
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    # Checked after trimming: a reason of only spaces is no reason.
    if not why:
        return Failure(ReasonRequired("a correction"))
    with services.uow.transaction(write=True) as ledger:
        loaded = load_existing_seat(ledger, seat)
        if isinstance(loaded, Failure):
            return Failure(loaded.failure())
        sid, known, tl = loaded.unwrap()
        payer = tl.current_payer()
        allowed = POLICY.check_seat_change(standing(ledger, who, payer), Action.SEAT_CORRECT, payer)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        target = _correctable(sid, known, seq)
        if isinstance(target, Failure):
            return Failure(target.failure())
        old = target.unwrap()
        today = payer_organisation(ledger, tl).today(services.clock.today)
        if on > today:
            return Failure(FutureDate(on, today))
        fact = attrs.evolve(
            old,
            seq=0,
            recorded_at=_UNSTAMPED,
            effective_on=on,
            actor=who,
            reason=why,
            supersedes=old.seq,
        )
        written = append_consented(
            services, ledger, sid, known, [fact], actor=who, action=Action.SEAT_CORRECT, payer=payer
        )
        if isinstance(written, Failure):
            return Failure(written.failure())
        done = audit_consented(ledger, written.unwrap(), who, Action.SEAT_CORRECT)
        services.uow.commit()
        return Success(done)


def retract(
    services: Services, seat: str, seq: int, *, actor: str, reason: str | None
) -> Result[SeatFact, LedgerError]:
    """Record that fact ``seq`` never happened (it stays in the history, marked retracted)."""
    people = check_actor_and_reason(actor, reason)
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    # Checked after trimming: a reason of only spaces is no reason.
    if not why:
        return Failure(ReasonRequired("a retraction"))
    with services.uow.transaction(write=True) as ledger:
        loaded = load_existing_seat(ledger, seat)
        if isinstance(loaded, Failure):
            return Failure(loaded.failure())
        sid, known, tl = loaded.unwrap()
        payer = tl.current_payer()
        allowed = POLICY.check_seat_change(standing(ledger, who, payer), Action.SEAT_RETRACT, payer)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        target = _correctable(sid, known, seq)
        if isinstance(target, Failure):
            return Failure(target.failure())
        old = target.unwrap()
        fact = draft(sid, FactKind.RETRACTED, old.effective_on, who, reason=why, supersedes=seq)
        written = append_consented(
            services, ledger, sid, known, [fact], actor=who, action=Action.SEAT_RETRACT, payer=payer
        )
        if isinstance(written, Failure):
            return Failure(written.failure())
        done = audit_consented(ledger, written.unwrap(), who, Action.SEAT_RETRACT)
        services.uow.commit()
        return Success(done)


def history(
    services: Services, seat: str, *, reader: str | None = None
) -> Result[SeatHistory, LedgerError]:
    """Every fact of a seat, superseded ones marked, and its timeline today."""
    with services.uow.transaction(write=False) as ledger:
        loaded = load_existing_seat(ledger, seat)
        # An admin of any organisation the seat has belonged to; an unknown seat: an operator.
        named = [f.org for f in loaded.unwrap()[1]] if isinstance(loaded, Success) else []
        allowed = may_read(ledger, reader, "the seat's history", *sorted({o for o in named if o}))
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        if isinstance(loaded, Failure):
            return Failure(loaded.failure())
        sid, known, tl = loaded.unwrap()
        later = _superseded_by(known)
        entries = tuple(HistoryEntry(f, later.get(f.seq)) for f in known)
        return Success(SeatHistory(sid, entries, tl))
