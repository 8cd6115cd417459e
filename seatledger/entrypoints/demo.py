"""The demo: two years of a seat ledger, scripted day by day, and the questions it answers.

``run_demo`` drives the real use cases on the given services, moving a
simulated day from 2024-01-01 to 2025-12-31, so every fact has a realistic
recorded instant. Each day has routine churn (seats activated, deactivated,
completed, reactivated; some reported late and backdated with a reason; a
few corrected), then the named steps scheduled on that day run and report.
A seeded ``random.Random`` makes it deterministic. Later issues add steps
(transfers, contracts, invoices) to ``STEPS``.

The story is the dispute of seed 002: Xtra Lease is licensed for 400 seats;
the report of 1 September counts 403; in mid-October Xtra Lease disputes the
overage with today's count, 391; the ledger lists the 403 with their
activation and deactivation dates, and a later backdated correction does not
change the answer "as known at" the report's instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Protocol

from attrs import define, field, frozen
from returns.result import Failure, Result

from seatledger.domain.dates import Period, iso_instant
from seatledger.domain.errors import LedgerError
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.queries import SeatRow
from seatledger.domain.reference_dates import MonthEnd
from seatledger.domain.seat import SeatFact, SeatKind
from seatledger.domain.services import imports, organisations, questions, seats
from seatledger.domain.services.context import Services
from seatledger.domain.services.imports import ImportRow
from seatledger.domain.services.questions import SeatsAnswer
from seatledger.entrypoints.bootstrap import with_clock

ACTOR = "demo"
SEED = 2017_09_01
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 31)
ONE_DAY = timedelta(days=1)

XTRA = OrgId("xtra")
XTRA_LICENSED = 400
SNAPSHOT_DAY = date(2025, 9, 1)
DISPUTE_DAY = date(2025, 10, 17)
CORRECTION_DAY = date(2025, 10, 24)
CORRECTED_TO = date(2025, 8, 29)
# Xtra Lease's numbers: opening balance, then changes up to the report, then leavers.
XTRA_IMPORTED, XTRA_IMPORTED_GONE = 370, 25
XTRA_JOINERS, XTRA_LEAVERS_BEFORE = 88, 30
XTRA_LEAVERS_AFTER = 12

FIRST_NAMES: tuple[str, ...] = (
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
)
FIRST_NAMES += ("Margaret", "John", "Radia", "Hedy", "Linus", "Sophie", "Guido", "Mary")
LAST_NAMES: tuple[str, ...] = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
)
LAST_NAMES += ("Hamilton", "Backus", "Perlman", "Lamarr", "Torvalds", "Wilson", "Wirth")


class Reporter(Protocol):
    """Where the demo tells its story (the command line prints it)."""

    def heading(self, text: str) -> None: ...

    def line(self, text: str) -> None: ...

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None: ...


@frozen
class DemoOrg:
    id: OrgId
    name: str
    timezone: str
    currency: str
    opening_seats: int
    joiners_per_year: int
    students: float


ORGS = (
    DemoOrg(XTRA, "Xtra Lease", "America/Chicago", "USD", XTRA_IMPORTED, 0, 0.0),
    DemoOrg(OrgId("nordwind"), "Nordwind Zorg", "Europe/Amsterdam", "EUR", 45, 40, 0.3),
    DemoOrg(OrgId("kauri"), "Kauri Health", "Pacific/Auckland", "NZD", 30, 30, 0.2),
    DemoOrg(OrgId("lakeshore"), "Lakeshore Clinics", "America/Chicago", "USD", 35, 30, 0.1),
    DemoOrg(OrgId("sakura"), "Sakura Care", "Asia/Tokyo", "JPY", 25, 20, 0.25),
)


@define
class SeatState:
    """What the script remembers of a seat, to pick valid changes."""

    org: OrgId
    opened_on: date
    closed_on: date | None = None
    close_fact: int | None = None
    kind: SeatKind = SeatKind.REGULAR


@define
class Demo:
    """The state of a running demo: the ledger, the day, the script's memory and findings."""

    base: Services
    report: Reporter
    rng: random.Random = field(factory=lambda: random.Random(SEED))
    day: date = FIRST_DAY
    seats: dict[SeatId, SeatState] = field(factory=dict)
    next_number: dict[OrgId, int] = field(factory=dict)
    xtra_plan: dict[date, list[str]] = field(factory=dict)
    changes: int = 0
    backdated: int = 0
    corrections: int = 0
    snapshot: SeatsAnswer | None = None
    dispute: SeatsAnswer | None = None
    corrected_seat: SeatId | None = None

    @property
    def services(self) -> Services:
        return with_clock(self.base, self.day)

    def new_seat_id(self, org: OrgId) -> SeatId:
        number = self.next_number.get(org, 0) + 1
        self.next_number[org] = number
        return SeatId(f"{org}-{number:04d}")

    def holder(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def active(self, org: OrgId, on: date | None = None) -> list[SeatId]:
        day = on or self.day
        return sorted(
            sid
            for sid, s in self.seats.items()
            if s.org == org and s.opened_on <= day and (s.closed_on is None or s.closed_on > day)
        )

    def settled(self, org: OrgId) -> list[SeatId]:
        """Active seats opened before today: the ones a change today may close."""
        return [sid for sid in self.active(org) if self.seats[sid].opened_on < self.day]


def done(result: Result[SeatFact, LedgerError]) -> SeatFact:
    """The demo's own script must never be refused: a refusal is a bug, so it stops loudly."""
    if isinstance(result, Failure):
        raise RuntimeError(f"the demo script was refused: {result.failure().message}")
    return result.unwrap()


def answered(result: Result[SeatsAnswer, LedgerError]) -> SeatsAnswer:
    if isinstance(result, Failure):
        raise RuntimeError(f"the demo's question was refused: {result.failure().message}")
    return result.unwrap()


# --- named steps ---------------------------------------------------------------------


def open_the_ledger(demo: Demo) -> None:
    """Organisations, and the seats they already had, imported as an opening balance."""
    demo.report.heading(f"{demo.day}: the organisations and their existing seats")
    for org in ORGS:
        added = organisations.add_organisation(
            demo.services, org.id, org.name, org.timezone, org.currency
        )
        if isinstance(added, Failure):
            raise RuntimeError(f"the demo could not add {org.id}: {added.failure().message}")
    rows: list[ImportRow] = []
    for org in ORGS:
        gone = XTRA_IMPORTED_GONE if org.id == XTRA else org.opening_seats // 8
        for n in range(org.opening_seats):
            sid = demo.new_seat_id(org.id)
            opened = date(2022, 1, 3) + timedelta(days=demo.rng.randrange(0, 720))
            closed = None
            if n < gone:
                closed = opened + timedelta(days=demo.rng.randrange(1, 60))
                closed = min(closed, FIRST_DAY - ONE_DAY)
                if closed <= opened:
                    opened = closed - ONE_DAY
            kind = SeatKind.STUDENT if demo.rng.random() < org.students else SeatKind.REGULAR
            rows.append(
                ImportRow(
                    line=len(rows) + 2,
                    seat=sid,
                    org=org.id,
                    activated_on=opened,
                    deactivated_on=closed,
                    kind=kind,
                    holder=demo.holder(),
                    addons=frozenset({"library"}) if demo.rng.random() < 0.3 else frozenset(),
                )
            )
            demo.seats[sid] = SeatState(org.id, opened, closed, None, kind)
    imported = imports.import_seats(
        demo.services, rows, source="demo-opening-balance.csv", actor=ACTOR
    )
    if isinstance(imported, Failure):
        raise RuntimeError(f"the demo import was refused: {imported.failure().message}")
    summary = imported.unwrap()
    demo.report.line(
        f"imported {summary.seats} seats ({summary.deactivated} already deactivated) for "
        f"{len(ORGS)} organisations in one all-or-nothing import"
    )
    demo.report.table(
        ("org", "name", "time zone", "currency", f"seats active on {demo.day}"),
        [(o.id, o.name, o.timezone, o.currency, len(demo.active(o.id))) for o in ORGS],
    )
    demo.report.line(
        f"Xtra Lease has a contract for {XTRA_LICENSED} seats (contracts arrive in a later "
        "version; here it is just a number in the story)."
    )
    _plan_xtra(demo)


def take_the_overage_snapshot(demo: Demo) -> None:
    """The billing report of 1 September: a snapshot of active seats, compared to the licence."""
    demo.report.heading(f"{demo.day}: the monthly overage report")
    answer = answered(questions.seats_on(demo.services, XTRA, demo.day))
    demo.snapshot = answer
    assert answer.as_known_at is not None
    over = answer.count - XTRA_LICENSED
    demo.report.line(
        f"Xtra Lease: {answer.count} seats active on {demo.day}, licensed for "
        f"{XTRA_LICENSED}: {over} over, billed as an overage. The report is "
        f"'as known at' {iso_instant(answer.as_known_at)}."
    )


def answer_the_dispute(demo: Demo) -> None:
    """Xtra Lease disputes with today's count; the ledger lists the seats of 1 September."""
    demo.report.heading(f"{demo.day}: Xtra Lease disputes the overage invoice")
    today = answered(questions.seats_on(demo.services, XTRA, demo.day))
    demo.report.line(
        f"Xtra Lease says: 'today we only have {today.count} active users'. The ledger answers "
        f"with the seats active on {SNAPSHOT_DAY}, each with its activation AND deactivation "
        "date:"
    )
    answer = answered(questions.seats_on(demo.services, XTRA, SNAPSHOT_DAY))
    demo.dispute = answer
    demo.report.line(f"  seatledger seats xtra --on {SNAPSHOT_DAY}: {answer.count} seats")
    demo.report.table(*_seat_table(answer.rows[:10]))
    demo.report.line(f"  ... {answer.count - 10} more rows. Those that left since:")
    leavers = [r for r in answer.rows if r.deactivated_on is not None]
    demo.report.table(*_seat_table(leavers))
    demo.report.line(
        f"{answer.count} active on {SNAPSHOT_DAY} - {len(leavers)} deactivated since = "
        f"{answer.count - len(leavers)}: today's {today.count}. The overage stands."
    )


def record_a_late_correction(demo: Demo) -> None:
    """A backdated correction moves a leaver's date before the report's date."""
    demo.report.heading(f"{demo.day}: a backdated correction arrives")
    assert demo.dispute is not None
    target: tuple[SeatId, int, date] | None = None
    for row in demo.dispute.rows:
        state = demo.seats[row.seat]
        if row.activated_on < CORRECTED_TO and state.close_fact is not None:
            target = (row.seat, state.close_fact, row.deactivated_on or demo.day)
            break
    if target is None:
        raise RuntimeError("the demo found no leaver to correct")
    sid, seq, old = target
    reason = f"Xtra Lease HR: left on {CORRECTED_TO}, not {old}; reported late"
    fact = done(seats.correct(demo.services, sid, seq, on=CORRECTED_TO, actor=ACTOR, reason=reason))
    demo.corrected_seat = sid
    demo.corrections += 1
    demo.report.line(
        f"seatledger seat correct {sid} {seq} --on {CORRECTED_TO} --reason {reason!r}: "
        f"fact #{fact.seq} supersedes fact #{seq} (which stays in the history)"
    )


def show_what_is_known_when(demo: Demo) -> None:
    """The report's answer, asked again "as known at" its instant, is unchanged."""
    demo.report.heading(f"{demo.day}: the report of {SNAPSHOT_DAY}, asked again")
    snapshot = demo.snapshot
    assert snapshot is not None
    assert snapshot.as_known_at is not None
    cut = snapshot.as_known_at
    again = answered(questions.seats_on(demo.services, XTRA, SNAPSHOT_DAY, cut))
    now = answered(questions.seats_on(demo.services, XTRA, SNAPSHOT_DAY))
    same = again.rows == snapshot.rows
    demo.report.line(
        f"as known at {iso_instant(cut)} (the report): {again.count} seats, "
        f"{'the very same rows' if same else 'DIFFERENT ROWS (a bug)'}; the invoice can be "
        "reproduced exactly."
    )
    dropped = sorted({r.seat for r in snapshot.rows} - {r.seat for r in now.rows})
    demo.report.line(
        f"with everything known now: {now.count} seats ({', '.join(dropped) or 'none'} left "
        f"before {SNAPSHOT_DAY}, as corrected). The difference is for an adjustment on a later "
        "invoice, never an edit of the old one."
    )
    demo.report.line(
        f"  seatledger seats xtra --on {SNAPSHOT_DAY} --as-known-at {iso_instant(cut)}"
    )


def count_on_reference_dates(demo: Demo) -> None:
    """Seats per organisation on the last month-end reference dates."""
    demo.report.heading(f"{demo.day}: seats counted on the month-end reference dates")
    rule = MonthEnd()
    periods = [Period(2025, m) for m in range(7, 13)]
    ends = [rule.reference_date(p) for p in periods]
    rows = []
    for org in ORGS:
        counts = []
        for end in ends:
            counted = questions.count_on(demo.services, org.id, end)
            if isinstance(counted, Failure):
                raise RuntimeError(counted.failure().message)
            counts.append(counted.unwrap())
        rows.append((org.id, *counts))
    demo.report.table(("org", *(e.isoformat() for e in ends)), rows)
    demo.report.line(
        f"over two years: {demo.changes} seat changes by day, {demo.backdated} of them "
        f"reported late and backdated with a reason, {demo.corrections} corrections."
    )


@frozen
class Step:
    """A named step of the demo's script, run on its day after that day's churn."""

    name: str
    day: date
    run: Callable[[Demo], None]


STEPS: tuple[Step, ...] = (
    Step("open the ledger", FIRST_DAY, open_the_ledger),
    Step("take the overage snapshot", SNAPSHOT_DAY, take_the_overage_snapshot),
    Step("answer the dispute", DISPUTE_DAY, answer_the_dispute),
    Step("record a late correction", CORRECTION_DAY, record_a_late_correction),
    Step("show what is known when", LAST_DAY, show_what_is_known_when),
    Step("count on reference dates", LAST_DAY, count_on_reference_dates),
)


def run_demo(services: Services, report: Reporter, steps: Sequence[Step] = STEPS) -> Demo:
    """Play the script from FIRST_DAY to LAST_DAY on ``services`` (an empty ledger)."""
    demo = Demo(base=services, report=report)
    by_day: dict[date, list[Step]] = {}
    for step in steps:
        by_day.setdefault(step.day, []).append(step)
    day = FIRST_DAY
    while day <= LAST_DAY:
        demo.day = day
        if day != FIRST_DAY:
            _churn(demo)
        for step in by_day.get(day, []):
            step.run(demo)
        day += ONE_DAY
    return demo


# --- the routine churn ----------------------------------------------------------------


def _plan_xtra(demo: Demo) -> None:
    """Xtra Lease's changes, on fixed numbers so the report counts exactly 403."""
    before = _days(FIRST_DAY + ONE_DAY, SNAPSHOT_DAY - ONE_DAY)
    after = _days(SNAPSHOT_DAY + ONE_DAY, DISPUTE_DAY - ONE_DAY)
    for _ in range(XTRA_JOINERS):
        demo.xtra_plan.setdefault(demo.rng.choice(before), []).append("join")
    for _ in range(XTRA_LEAVERS_BEFORE):
        demo.xtra_plan.setdefault(demo.rng.choice(before), []).append("leave")
    for _ in range(XTRA_LEAVERS_AFTER):
        demo.xtra_plan.setdefault(demo.rng.choice(after), []).append("leave")


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _churn(demo: Demo) -> None:
    for action in demo.xtra_plan.get(demo.day, []):
        if action == "join":
            _activate(demo, XTRA, demo.day, None)
        else:
            _close(demo, demo.rng.choice(demo.settled(XTRA)), demo.day, None, complete=False)
    for org in ORGS[1:]:
        _churn_org(demo, org)


def _churn_org(demo: Demo, org: DemoOrg) -> None:
    rng = demo.rng
    daily = org.joiners_per_year / 365
    late = rng.random() < 0.2
    lag = timedelta(days=rng.randrange(1, 8)) if late else timedelta(0)
    reason = "reported late by the team lead" if late else None
    if rng.random() < daily:
        kind = SeatKind.STUDENT if rng.random() < org.students else SeatKind.REGULAR
        _activate(demo, org.id, demo.day - lag, reason, kind)
    if rng.random() < daily * 0.8:
        active = demo.settled(org.id)
        if active:
            sid = rng.choice(active)
            state = demo.seats[sid]
            on = max(demo.day - lag, state.opened_on + ONE_DAY)
            complete = state.kind is SeatKind.STUDENT and rng.random() < 0.5
            _close(demo, sid, on, reason if on < demo.day else None, complete=complete)
    if rng.random() < 0.01:
        closed = [
            sid
            for sid, s in demo.seats.items()
            if s.org == org.id and s.closed_on is not None and s.closed_on < demo.day
        ]
        if closed:
            sid = rng.choice(sorted(closed))
            done(seats.reactivate(demo.services, sid, actor=ACTOR))
            demo.seats[sid].opened_on = demo.day
            demo.seats[sid].closed_on = None
            demo.seats[sid].close_fact = None
            demo.changes += 1
    if rng.random() < 0.004:
        _correct_a_recent_leaver(demo, org)


def _activate(
    demo: Demo, org: OrgId, on: date, reason: str | None, kind: SeatKind = SeatKind.REGULAR
) -> None:
    sid = demo.new_seat_id(org)
    addons = ("library",) if demo.rng.random() < 0.3 else ()
    done(
        seats.activate(
            demo.services,
            sid,
            org,
            actor=ACTOR,
            on=on,
            kind=kind,
            holder=demo.holder(),
            addons=addons,
            reason=reason,
        )
    )
    demo.seats[sid] = SeatState(org, on, None, None, kind)
    demo.changes += 1
    demo.backdated += 1 if on < demo.day else 0


def _close(demo: Demo, sid: SeatId, on: date, reason: str | None, *, complete: bool) -> None:
    use_case = seats.complete if complete else seats.deactivate
    fact = done(use_case(demo.services, sid, actor=ACTOR, on=on, reason=reason))
    demo.seats[sid].closed_on = on
    demo.seats[sid].close_fact = fact.seq
    demo.changes += 1
    demo.backdated += 1 if on < demo.day else 0


def _correct_a_recent_leaver(demo: Demo, org: DemoOrg) -> None:
    recent = sorted(
        sid
        for sid, s in demo.seats.items()
        if s.org == org.id
        and s.close_fact is not None
        and s.closed_on is not None
        and (demo.day - s.closed_on).days < 30
        and (s.closed_on - s.opened_on).days > 5
    )
    if not recent:
        return
    sid = demo.rng.choice(recent)
    state = demo.seats[sid]
    assert state.closed_on is not None
    assert state.close_fact is not None
    on = state.closed_on - timedelta(days=demo.rng.randrange(1, 5))
    fact = done(
        seats.correct(
            demo.services,
            sid,
            state.close_fact,
            on=on,
            actor=ACTOR,
            reason="the leaving date on the form was wrong",
        )
    )
    state.closed_on = on
    state.close_fact = fact.seq
    demo.corrections += 1


def _seat_table(rows: Sequence[SeatRow]) -> tuple[Sequence[str], Sequence[Sequence[object]]]:
    return (
        ("seat", "holder", "kind", "activated_on", "deactivated_on"),
        [(r.seat, r.holder, r.kind.value, r.activated_on, r.deactivated_on) for r in rows],
    )
