"""Bulk import of seats with their past: all rows are checked first, then all are written."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime

from attrs import frozen
from returns.result import Failure, Result, Success

from seatledger.domain.authorisation import Action
from seatledger.domain.catalog import Catalog
from seatledger.domain.errors import ImportRejected, LedgerError, RowProblem, UnknownAddon
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead, Store
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


@frozen
class ImportChunk:
    """Up to a chunk's rows of a file: the well-formed ones and every problem of the others.

    ``fatal``: the file cannot be read on from there (not UTF-8, unreadable);
    it is then the rejection's only problem.
    """

    rows: Sequence[ImportRow]
    problems: Sequence[RowProblem] = ()
    fatal: RowProblem | None = None


# Reads the import's rows anew each time it is called, one chunk at a time.
ChunkSource = Callable[[], Iterable[ImportChunk]]


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
    chunk = ImportChunk(tuple(rows))
    return import_seat_chunks(
        services, lambda: [chunk] if rows else [], source=source, actor=actor, catalog=catalog
    )


def import_seat_chunks(
    services: Services,
    chunks: ChunkSource,
    *,
    source: str,
    actor: str,
    catalog: Catalog | None = None,
) -> Result[ImportSummary, LedgerError]:
    """``import_seats`` over rows read a chunk at a time, in one transaction (decision 0041).

    Each chunk is checked and its good rows written before the next is read,
    so memory holds one chunk (and the problems found); any problem, in any
    chunk, rolls everything back. A problem of form (a bad cell) rejects the
    file with the problems of form only, as before the rows reach the ledger.
    A seat repeated in another chunk is found by the database (its seat
    exists by then, recorded by this import) and its lines by reading the
    rows once more.
    """
    people = check_actor_and_reason(actor, f"imported from {source}")
    if isinstance(people, Failure):
        return Failure(people.failure())
    who, why = people.unwrap()
    with services.uow.transaction(write=True) as ledger:
        form: list[RowProblem] = []
        problems: list[RowProblem] = []
        orgs = {o.id: o for o in ledger.list_organisations()}
        head = ledger.head()
        recorded = None
        seq = head.last_seq
        seats = deactivated = written = 0
        repeated: set[SeatId] = set()  # seats on rows of more than one chunk
        for chunk in chunks():
            if chunk.fatal is not None:
                return Failure(ImportRejected(source, (chunk.fatal,)))
            form.extend(chunk.problems)
            rows = chunk.rows
            if not rows:
                continue
            concerned = sorted({row.org for row in rows})
            allowed = POLICY.check_import(standing(ledger, who, *concerned), concerned)
            if isinstance(allowed, Failure):
                return Failure(allowed.failure())
            found, good = _check_chunk(
                ledger, rows, orgs, catalog, services.clock.today, after=head.last_seq
            )
            problems.extend(found.problems)
            repeated |= found.repeated
            if not good or form or problems:
                continue  # rolled back anyway: only the checking goes on
            if recorded is None:
                stamped = assign_recorded_at(services.clock, head)
                if isinstance(stamped, Failure):
                    return Failure(stamped.failure())
                recorded = stamped.unwrap()
            facts = import_facts(good, after=seq, at=recorded, actor=who, reason=why)
            seq = facts[-1].seq
            ledger.append(facts, LedgerHead(seq, recorded))
            payer = {row.seat: row.org for row in good}
            ledger.add_audit(
                [
                    fact_entry(f, who, allowed.unwrap(), Action.SEAT_IMPORT, org=payer[f.seat])
                    for f in facts
                ]
            )
            seats += len(good)
            deactivated += sum(1 for row in good if row.deactivated_on is not None)
            written += len(facts)
        if form:
            return Failure(ImportRejected(source, tuple(form)))
        if repeated:
            # Each repeated seat's lines are all listed by ``_repeats``: not twice.
            listed = {f"seat {seat!r} is also on line" for seat in repeated}
            problems = [p for p in problems if p.problem.rsplit(" ", 1)[0] not in listed]
            problems.extend(_repeats(chunks(), repeated))
        if problems:
            problems.sort(key=lambda p: p.line)
            return Failure(ImportRejected(source, tuple(problems)))
        if seats:
            services.uow.commit()
        return Success(ImportSummary(seats, deactivated, written))


@frozen
class _Checked:
    problems: list[RowProblem]
    repeated: set[SeatId]


def _check_chunk(
    ledger: Store,
    rows: Sequence[ImportRow],
    orgs: Mapping[OrgId, Organisation],
    catalog: Catalog | None,
    clock_today: Callable[[str], date],
    *,
    after: int,
) -> tuple[_Checked, list[ImportRow]]:
    """The problems of a chunk's rows against the ledger, the catalog and each other; and its
    rows without a problem. A seat already in the ledger but only from facts after ``after``
    (this import's) is on an earlier chunk's row: ``repeated``."""
    problems: list[RowProblem] = []
    repeated: set[SeatId] = set()
    existing = ledger.existing_seats({row.seat for row in rows})
    if existing:
        facts = ledger.seat_facts_of(existing)
        repeated = {seat for seat in existing if min(f.seq for f in facts[seat]) > after}
    first_line: dict[SeatId, int] = {}
    good: list[ImportRow] = []
    for row in rows:
        before = len(problems)
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
        if row.seat in existing and row.seat not in repeated:
            problems.append(RowProblem(row.line, "seat", f"seat {row.seat!r} exists already"))
        for addon in sorted(row.addons):
            offered = (
                catalog.addon(addon) if catalog is not None else Failure(UnknownAddon(addon, ()))
            )
            if isinstance(offered, Failure):
                problems.append(RowProblem(row.line, "addons", offered.failure().message))
        organisation = orgs.get(row.org)
        if organisation is None:
            problems.append(RowProblem(row.line, "org", f"there is no organisation {row.org!r}"))
            continue
        today = organisation.today(clock_today)
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
                        f"{row.deactivated_on.isoformat()} lies after today ({today.isoformat()})",
                    )
                )
        if len(problems) == before and row.seat not in repeated:
            good.append(row)
    return _Checked(problems, repeated), good


def _repeats(chunks: Iterable[ImportChunk], seats: set[SeatId]) -> list[RowProblem]:
    """Every row after the first of each seat in ``seats``, read from the rows again."""
    first: dict[SeatId, int] = {}
    problems: list[RowProblem] = []
    for chunk in chunks:
        for row in chunk.rows:
            if row.seat not in seats:
                continue
            if row.seat in first:
                problems.append(
                    RowProblem(
                        row.line, "seat", f"seat {row.seat!r} is also on line {first[row.seat]}"
                    )
                )
            else:
                first[row.seat] = row.line
    return problems


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
