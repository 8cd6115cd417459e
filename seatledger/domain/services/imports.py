"""Bulk import of seats with their past: all rows are checked first, then all are written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import Action
from seatledger.domain.catalog import Catalog
from seatledger.domain.errors import ImportRejected, LedgerError, RowProblem, UnknownAddon
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.ports import LedgerHead
from seatledger.domain.recording import assign_recorded_at
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.services.access import POLICY, fact_entry, standing
from seatledger.domain.services.context import Services
from seatledger.domain.services.seats import check_actor_and_reason


@frozen
class ImportRow:
    """One well-formed row of an import file (line: its line number in the file)."""

    line: int
    seat: SeatId
    org: OrgId
    activated_on: date
    deactivated_on: date | None
    kind: SeatKind
    holder: str
    addons: frozenset[str] = frozenset()


@frozen
class ImportSummary:
    seats: int
    deactivated: int
    facts: int


def import_seats(
    services: Services,
    rows: Sequence[ImportRow],
    *,
    source: str,
    actor: str,
    catalog: Catalog | None = None,
) -> Result[ImportSummary, LedgerError]:
    """Import seats that are new to the ledger, with their activation and deactivation dates.

    Every row is checked against the ledger, the catalog (each add-on must
    be one it sells; without a catalog, none is) and the other rows first;
    any problem rejects the whole file, naming each line and column.
    Imported facts are backdated, with the reason "imported from <source>".
    """
    people = check_actor_and_reason(actor, f"imported from {source}")
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    with services.uow.transaction(write=True) as ledger:
        problems: list[RowProblem] = []
        orgs = {o.id: o for o in ledger.list_organisations()}
        existing = ledger.existing_seats({row.seat for row in rows})
        first_line: dict[SeatId, int] = {}
        for row in rows:
            if row.seat in first_line:
                problems.append(
                    RowProblem(
                        row.line,
                        "seat",
                        f"seat {row.seat!r} is also on line {first_line[row.seat]}",
                    )
                )
            else:
                first_line[row.seat] = row.line
            if row.seat in existing:
                problems.append(RowProblem(row.line, "seat", f"seat {row.seat!r} exists already"))
            for addon in sorted(row.addons):
                offered = (
                    catalog.addon(addon)
                    if catalog is not None
                    else Failure(UnknownAddon(addon, ()))
                )
                if isinstance(offered, Failure):
                    problems.append(RowProblem(row.line, "addons", offered.failure().message))
            organisation = orgs.get(row.org)
            if organisation is None:
                problems.append(
                    RowProblem(row.line, "org", f"there is no organisation {row.org!r}")
                )
                continue
            today = organisation.today(services.clock.today)
            if row.activated_on > today:
                problems.append(
                    RowProblem(
                        row.line,
                        "activated_on",
                        f"{row.activated_on.isoformat()} lies after today ({today.isoformat()})",
                    )
                )
            if row.deactivated_on is not None:
                if row.deactivated_on < row.activated_on:
                    problems.append(
                        RowProblem(
                            row.line,
                            "deactivated_on",
                            f"{row.deactivated_on.isoformat()} lies before activated_on "
                            f"{row.activated_on.isoformat()}",
                        )
                    )
                elif row.deactivated_on > today:
                    problems.append(
                        RowProblem(
                            row.line,
                            "deactivated_on",
                            f"{row.deactivated_on.isoformat()} lies after today "
                            f"({today.isoformat()})",
                        )
                    )
        if problems:
            return Failure(ImportRejected(source, tuple(problems)))
        if not rows:
            return Success(ImportSummary(0, 0, 0))
        concerned = sorted({row.org for row in rows})
        allowed = POLICY.check_import(standing(ledger, who, *concerned), concerned)
        if isinstance(allowed, Failure):
            return Failure(allowed.failure())
        head = ledger.head()
        recorded = assign_recorded_at(services.clock, head)
        if isinstance(recorded, Failure):
            return Failure(recorded.failure())
        at = recorded.unwrap()
        facts = import_facts(rows, after=head.last_seq, at=at, actor=who, reason=why)
        ledger.append(facts, LedgerHead(facts[-1].seq, at))
        role = allowed.unwrap()
        payer = {row.seat: row.org for row in rows}
        ledger.add_audit(
            [fact_entry(f, who, role, Action.SEAT_IMPORT, org=payer[f.seat]) for f in facts]
        )
        services.uow.commit()
        deactivated = sum(1 for row in rows if row.deactivated_on is not None)
        return Success(ImportSummary(len(rows), deactivated, len(facts)))


def import_facts(
    rows: Sequence[ImportRow], *, after: int, at: datetime, actor: str, reason: str | None
) -> list[SeatFact]:
    """The facts of checked import rows, numbered after ``after`` and stamped with ``at``.

    Built directly (what ``stamp(draft(...))`` gives, without a copy per fact):
    each row's activation, and its deactivation if it has one.
    """
    seq = after
    facts: list[SeatFact] = []
    for row in rows:
        seq += 1
        facts.append(
            SeatFact(
                seq=seq,
                seat=row.seat,
                kind=FactKind.ACTIVATED,
                effective_on=row.activated_on,
                recorded_at=at,
                actor=actor,
                reason=reason,
                org=row.org,
                holder=row.holder,
                seat_kind=row.kind,
                addons=row.addons,
            )
        )
        if row.deactivated_on is not None:
            seq += 1
            facts.append(
                SeatFact(
                    seq=seq,
                    seat=row.seat,
                    kind=FactKind.DEACTIVATED,
                    effective_on=row.deactivated_on,
                    recorded_at=at,
                    actor=actor,
                    reason=reason,
                )
            )
    return facts
