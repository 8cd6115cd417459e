"""Roster import: a roster export applied to the ledger as seat changes, all or nothing.

The mapping is ``domain/rosters.py``; this use case reads what the ledger
holds of the seats concerned, plans the changes, checks the change threshold
and the actor's authority, and writes every change in one transaction with
one recorded instant, each fact with its audit entry. New seats are written
as the bulk import writes them (``imports.import_facts``); changes to
existing seats are checked against each seat's whole history like any other
seat change (``seats.validated_timeline``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import attrs
from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.audit import AuditEntry
from seatledger.domain.authorisation import Action
from seatledger.domain.errors import (
    LedgerError,
    RosterChangeThreshold,
    RosterProblem,
    RosterRejected,
)
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation, new_organisation
from seatledger.domain.ports import LedgerHead, Store
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.rosters import (
    ChangeAction,
    Intents,
    LedgerSeat,
    Roster,
    RosterMode,
    RosterPlan,
    RosterPolicy,
    RosterReport,
    ThresholdBreach,
    intended_seats,
    plan_changes,
    threshold_breaches,
)
from seatledger.domain.seat import FactKind, SeatFact
from seatledger.domain.services.access import POLICY, fact_entry, record, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.imports import ImportRow, import_facts
from seatledger.domain.services.seats import (
    check_actor_and_reason,
    current_timeline,
    draft,
    validated_timeline,
)

DEFAULT_ZONE = "Europe/Amsterdam"

_FACT_OF: Mapping[ChangeAction, FactKind] = {
    ChangeAction.REACTIVATE: FactKind.REACTIVATED,
    ChangeAction.DEACTIVATE: FactKind.DEACTIVATED,
    ChangeAction.COMPLETE: FactKind.COMPLETED,
}
_ACTION_OF: Mapping[ChangeAction, Action] = {
    ChangeAction.ACTIVATE: Action.SEAT_IMPORT,
    ChangeAction.REACTIVATE: Action.SEAT_REACTIVATE,
    ChangeAction.DEACTIVATE: Action.SEAT_DEACTIVATE,
    ChangeAction.COMPLETE: Action.SEAT_COMPLETE,
}


@frozen
class NewOrganisations:
    """Create the roster's unknown paying organisations, with these settings.

    ``billing_relationship`` has no default: whoever creates organisations
    from a roster says whether the vendor invoices them.
    """

    billing_relationship: bool
    timezone: str = DEFAULT_ZONE
    currency: str = "EUR"


def import_roster(
    services: Services,
    roster: Roster,
    policy: RosterPolicy,
    *,
    source: str,
    actor: str,
    dry_run: bool = False,
    create: NewOrganisations | None = None,
) -> Result[RosterReport, LedgerError]:
    """Apply a roster: every change it implies, or none (see docs/rosters.md).

    A dry run reports what would change, the refused rows and the threshold
    breaches, and writes nothing. A real run is refused if any row is
    refused (``roster-rejected``) or a bulk roster would deactivate more
    than the threshold of an organisation's seats without ``policy.force``
    (``roster-change-threshold``).
    """
    people = check_actor_and_reason(actor, f"roster {source}")
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, _ = people.unwrap()
    with services.uow.transaction(write=not dry_run) as ledger:
        known = {o.id: o for o in ledger.list_organisations()}
        zones = {org: o.timezone for org, o in known.items()}
        new_zone = create.timezone if create is not None else DEFAULT_ZONE

        def zone_of(org: OrgId) -> str:
            return zones.get(org, new_zone)

        def today_of(org: OrgId) -> date:
            return services.clock.today(zone_of(org))

        intents = intended_seats(roster, policy, zone_of=zone_of, today_of=today_of)
        problems = list(intents.problems)
        created = _organisations_to_create(intents, known, create, problems)
        missing: list[tuple[OrgId, SeatId, str]] = []
        open_counts: dict[OrgId, int] = {}
        held: dict[SeatId, LedgerSeat] = {}
        for org in sorted(intents.scope):
            if org not in known:
                continue
            rows = ledger.billable_on(org, today_of(org), None)
            open_counts[org] = len(rows)
            for row in rows:
                held[row.seat] = LedgerSeat(row.seat, row.activated_on, None, org)
                if roster.mode is RosterMode.BULK:
                    missing.append((org, row.seat, row.holder))
        facts_of: dict[SeatId, Sequence[SeatFact]] = {}
        unknown_state = [seat for seat in intents.seats if seat not in held]
        for seat in ledger.existing_seats(unknown_state):
            facts_of[seat] = ledger.seat_facts(seat)
            latest = current_timeline(seat, facts_of[seat])
            interval = latest.latest
            held[seat] = LedgerSeat(
                seat,
                interval.start if interval is not None else None,
                interval.end if interval is not None else None,
                latest.current_payer(),
            )
        plan = plan_changes(
            intents.seats,
            {seat: held[seat] for seat in intents.seats if seat in held},
            missing=missing,
            today_of=today_of,
            source=source,
        )
        problems.extend(plan.problems)
        breaches = (
            threshold_breaches(plan.changes, open_counts, policy.threshold)
            if roster.mode is RosterMode.BULK
            else ()
        )
        report = _report(roster, source, dry_run, plan, problems, intents, created, breaches)
        if dry_run:
            return Success(report)
        if problems:
            return Failure(RosterRejected(source, tuple(problems)))
        if breaches and not policy.force:
            first = breaches[0]
            return Failure(
                RosterChangeThreshold(first.org, first.deactivating, first.seats, policy.threshold)
            )
        if not plan.changes and not created:
            return Success(report)
        return _write(services, ledger, who, source, plan, created, facts_of, report)


def _organisations_to_create(
    intents: Intents,
    known: Mapping[OrgId, Organisation],
    create: NewOrganisations | None,
    problems: list[RosterProblem],
) -> list[Organisation]:
    """The unknown paying organisations to create, or one refused row per seat they pay for."""
    unknown = sorted({intent.org for intent in intents.seats.values()} - set(known))
    created: list[Organisation] = []
    for org in unknown:
        if create is None:
            problems.extend(
                RosterProblem(
                    intent.file,
                    intent.line,
                    f"there is no organisation {org!r} in the ledger (add it, or import with "
                    "--create-organisations to create it from the roster)",
                )
                for intent in intents.seats.values()
                if intent.org == org
            )
            continue
        source = intents.sources.get(org)
        name = source.name if source is not None and source.name else org
        checked = new_organisation(
            org, name, create.timezone, create.currency, create.billing_relationship
        )
        if isinstance(checked, Failure):
            where = (source.file, source.line) if source is not None else ("orgs.csv", 0)
            problems.append(RosterProblem(*where, checked.failure().message))
            continue
        created.append(checked.unwrap())
    return created


def _report(
    roster: Roster,
    source: str,
    dry_run: bool,
    plan: RosterPlan,
    problems: Sequence[RosterProblem],
    intents: Intents,
    created: Sequence[Organisation],
    breaches: Sequence[ThresholdBreach],
) -> RosterReport:
    opening = (ChangeAction.ACTIVATE, ChangeAction.REACTIVATE)
    return RosterReport(
        source=source,
        format=roster.format,
        mode=roster.mode,
        dry_run=dry_run,
        activate=tuple(c for c in plan.changes if c.action in opening),
        deactivate=tuple(c for c in plan.changes if c.action not in opening),
        unchanged=plan.unchanged,
        refused=tuple(problems),
        ignored=intents.ignored,
        created_organisations=tuple(o.id for o in created),
        threshold=tuple(breaches),
    )


def _write(
    services: Services,
    ledger: Store,
    who: str,
    source: str,
    plan: RosterPlan,
    created: Sequence[Organisation],
    facts_of: dict[SeatId, Sequence[SeatFact]],
    report: RosterReport,
) -> Result[RosterReport, LedgerError]:
    concerned = sorted({c.org for c in plan.changes} | {o.id for o in created})
    allowed = POLICY.check_import(standing(ledger, who, *concerned), concerned)
    if isinstance(allowed, Failure):
        return Failure(allowed.failure())
    role = allowed.unwrap()
    if created:
        may_add = POLICY.check_operator_task(standing(ledger, who), Action.ORG_ADD)
        if isinstance(may_add, Failure):
            return Failure(may_add.failure())
    head = ledger.head()
    recorded = assign_recorded_at(services.clock, head)
    if isinstance(recorded, Failure):
        return Failure(recorded.failure())
    at = recorded.unwrap()
    audit: list[AuditEntry] = []
    for organisation in created:
        ledger.add_organisation(organisation, at)
        relationship = "with" if organisation.billing_relationship else "without"
        record(
            ledger, at, who, role, Action.ORG_ADD, org=organisation.id, subject=organisation.id,
            text=f"{organisation.name} from roster {source}, {relationship} a billing relationship",
        )  # fmt: skip
    new_seats = [c for c in plan.changes if c.action is ChangeAction.ACTIVATE]
    rows = [
        ImportRow(0, c.seat, c.org, c.on, c.deactivated_on, c.kind, c.holder) for c in new_seats
    ]
    # New seats are written as the bulk import writes them, with one reason for all.
    facts = import_facts(rows, after=head.last_seq, at=at, actor=who, reason=f"roster {source}")
    payer = {c.seat: c.org for c in new_seats}
    audit.extend(
        fact_entry(fact, who, role, Action.SEAT_IMPORT, org=payer[fact.seat]) for fact in facts
    )
    seq = facts[-1].seq if facts else head.last_seq
    for change in plan.changes:
        if change.action is ChangeAction.ACTIVATE:
            continue
        seq += 1
        known = facts_of.get(change.seat)
        if known is None:
            known = facts_of[change.seat] = ledger.seat_facts(change.seat)
        fact = attrs.evolve(
            draft(change.seat, _FACT_OF[change.action], change.on, who),
            seq=seq,
            recorded_at=at,
            reason=f"roster {source}: {change.why}",
        )
        valid = validated_timeline(change.seat, known, [fact])
        if isinstance(valid, Failure):
            return Failure(valid.failure())
        facts.append(fact)
        audit.append(fact_entry(fact, who, role, _ACTION_OF[change.action], org=change.org))
    if facts:
        ledger.append(facts, LedgerHead(facts[-1].seq, at))
    ledger.add_audit(audit)
    services.uow.commit()
    return Success(attrs.evolve(report, facts=len(facts)))
