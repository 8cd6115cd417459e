"""Synthetic seat histories, written straight through the SQL adapter's bulk paths.

    python benchmarks/generate.py --db URL --scale small|full [--orgs N --seats N --years N]

Deterministic (``--seed``). History is generated month by month, in recorded
order: each month's facts are appended with ``SqlLedger.append`` in batches
(one write transaction each, one recorded instant each, strictly
increasing), so the ``billing_spans`` projection is maintained exactly as
in production, including the slow path for seats that already have history.

Per month: new seats are activated (backdated into the month, recorded on
the 1st of the next month); a sample of earlier seats gets one event each:
a deactivation, a reactivation (of a deactivated seat), a transfer
(``transfer-requested`` + ``transfer-approved``), an ``owner-changed``, or a
correction (a new activation fact superseding the current one, a few days
earlier). Organisation ``o00000`` has 10,000 seats (the "big" organisation
of the dispute benchmark); the other seats are spread over the rest. Every
organisation gets a monthly contract (Standard, Starter or Blended,
month-end counting) via ``add_contract``; Starter organisations record
"new-dossier" usage in the last three months.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, func, select

from seatledger.adapters.sql import SqlUnitOfWork, make_engine, upgrade
from seatledger.adapters.sql.repository import SqlLedger
from seatledger.adapters.sql.tables import organisations
from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract, PaymentMethod
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.usage import UsageRecord

SCALES = {
    "small": (1_000, 100_000, 3),
    "full": (10_000, 1_000_000, 3),
}
BIG_ORG_SEATS = 10_000
FIRST_MONTH = Period(2023, 1)
BATCH_FACTS = 20_000
EVENT_RATE = 0.08  # share of the seats activated so far that get an event in a month
ACTOR = "generator"


@dataclass
class Params:
    orgs: int
    seats: int
    years: int
    seed: int = 20230101

    @property
    def months(self) -> int:
        return 12 * self.years

    def last_period(self) -> Period:
        return month(self.months - 1)


def month(index: int) -> Period:
    total = FIRST_MONTH.year * 12 + FIRST_MONTH.month - 1 + index
    return Period(total // 12, total % 12 + 1)


def org_id(n: int) -> OrgId:
    return OrgId(f"o{n:05d}")


def seat_id(n: int) -> SeatId:
    return SeatId(f"s{n:07d}")


def recorded_base(index: int) -> datetime:
    """Facts of month ``index`` are recorded from the 1st of the next month, 01:00 UTC."""
    nxt = month(index + 1)
    return datetime(nxt.year, nxt.month, 1, 1, 0, tzinfo=UTC)


def clock_after(params: Params) -> datetime:
    """An instant after everything the generator records (the billing run's clock)."""
    return recorded_base(params.months - 1) + timedelta(days=1)


@dataclass
class Seats:
    """Per-seat state, as flat lists indexed by seat number (seats numbered in activation order)."""

    org: list[int]
    active: list[bool]
    opening_seq: list[int]  # the seq of the fact that opened the current interval
    opening_on: list[date]
    closing_on: list[date | None]


class Generator:
    def __init__(self, engine: Engine, params: Params, progress: bool = True) -> None:
        self.engine = engine
        self.params = params
        self.uow = SqlUnitOfWork(engine)
        self.rng = random.Random(params.seed)
        self.seq = 0
        self.last_at: datetime | None = None
        self.progress = progress
        self.facts = 0
        self.requests = 0

    def say(self, text: str) -> None:
        if self.progress:
            print(text, file=sys.stderr, flush=True)

    def head(self) -> LedgerHead:
        return LedgerHead(self.seq, self.last_at)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # --- organisations and contracts ------------------------------------------------
    def plans(self) -> list[str]:
        rng = random.Random(self.params.seed + 1)
        out = []
        for n in range(self.params.orgs):
            r = rng.random()
            out.append("standard" if n == 0 or r < 0.7 else "starter" if r < 0.85 else "blended")
        return out

    def organisations(self) -> None:
        at = datetime(FIRST_MONTH.year, FIRST_MONTH.month, 1, 0, 0, tzinfo=UTC)
        plans = self.plans()
        with self.uow.transaction(write=True) as raw:
            ledger: SqlLedger = raw
            for n in range(self.params.orgs):
                at += timedelta(microseconds=1)
                ledger.add_organisation(
                    Organisation(org_id(n), f"Organisation {n}", "Europe/Amsterdam", "EUR", True),
                    at,
                )
            for n in range(self.params.orgs):
                at += timedelta(microseconds=1)
                ledger.add_contract(
                    Contract(
                        org=org_id(n),
                        plan=plans[n],
                        cadence=Cadence.MONTHLY,
                        reference="month-end",
                        effective_from=FIRST_MONTH,
                        vat_percent=Decimal("21"),
                        payment_method=PaymentMethod.SEPA,
                        version=1,
                        recorded_at=at,
                        actor=ACTOR,
                    ),
                    LedgerHead(self.seq, at),
                )
            self.last_at = at
            self.uow.commit()
        self.say(f"{self.params.orgs} organisations with contracts")

    # --- seats ---------------------------------------------------------------------
    def seat_orgs(self) -> list[int]:
        """The first payer of each seat: 10,000 for the big org, the rest spread evenly."""
        p = self.params
        big = min(BIG_ORG_SEATS, p.seats // 2)
        others = list(range(1, p.orgs)) or [0]
        orgs = [0] * big + [others[i % len(others)] for i in range(p.seats - big)]
        self.rng.shuffle(orgs)
        return orgs

    def activation_months(self) -> list[int]:
        """How many seats are activated in each month: most early, a steady trickle after."""
        p = self.params
        weights = [3.0 if m == 0 else 1.0 for m in range(p.months - 1)] + [0.5]
        total = sum(weights)
        counts = [int(p.seats * w / total) for w in weights]
        counts[0] += p.seats - sum(counts)
        return counts

    def run(self) -> None:
        p = self.params
        started = time.perf_counter()
        self.organisations()
        first_org = self.seat_orgs()
        seats = Seats([], [], [], [], [])
        counts = self.activation_months()
        starter = {n for n, plan in enumerate(self.plans()) if plan == "starter"}
        for m in range(p.months):
            period = month(m)
            facts: list[list[SeatFact]] = []  # grouped per seat
            at = recorded_base(m)
            # Events for seats activated in earlier months (one per sampled seat).
            known = len(seats.org)
            for n in sorted(self.rng.sample(range(known), int(known * EVENT_RATE))):
                event = self.event(seats, n, period, at)
                if event:
                    facts.append(event)
            # New seats.
            for _ in range(counts[m]):
                n = len(seats.org)
                on = date(period.year, period.month, self.rng.randint(1, 28))
                seq = 0  # numbered when stamped below
                kind = SeatKind.STUDENT if self.rng.random() < 0.1 else SeatKind.REGULAR
                addons = frozenset({"library"}) if self.rng.random() < 0.2 else frozenset()
                org = first_org[n]
                seats.org.append(org)
                seats.active.append(True)
                seats.opening_seq.append(seq)
                seats.opening_on.append(on)
                seats.closing_on.append(None)
                facts.append(
                    [
                        SeatFact(
                            seq=0,
                            seat=seat_id(n),
                            kind=FactKind.ACTIVATED,
                            effective_on=on,
                            recorded_at=at,
                            actor=ACTOR,
                            reason="generated",
                            org=org_id(org),
                            holder=f"holder {n}",
                            seat_kind=kind,
                            addons=addons,
                        )
                    ]
                )
            self.append(facts, seats, at)
            if m >= p.months - 3:
                self.usage(m, starter)
            self.say(
                f"month {period}: {len(seats.org):>9,} seats, {self.facts:>10,} facts, "
                f"{time.perf_counter() - started:7.1f} s"
            )

    def event(self, seats: Seats, n: int, period: Period, at: datetime) -> list[SeatFact]:
        rng = self.rng
        sid = seat_id(n)
        day = date(period.year, period.month, rng.randint(1, 28))
        org = seats.org[n]

        def fact(kind: FactKind, on: date, **fields: object) -> SeatFact:
            return SeatFact(
                seq=0, seat=sid, kind=kind, effective_on=on, recorded_at=at, actor=ACTOR,
                reason="generated", **fields,  # type: ignore[arg-type]
            )  # fmt: skip

        last = max(seats.opening_on[n], seats.closing_on[n] or seats.opening_on[n])
        if day <= last:
            return []
        if not seats.active[n]:
            if rng.random() < 0.5:
                return []
            seats.active[n] = True
            seats.opening_on[n] = day
            seats.closing_on[n] = None
            return [fact(FactKind.REACTIVATED, day, holder=f"holder {n}",
                         seat_kind=SeatKind.REGULAR)]  # fmt: skip
        r = rng.random()
        if r < 0.45:
            seats.active[n] = False
            seats.closing_on[n] = day
            kind = FactKind.DEACTIVATED if rng.random() < 0.8 else FactKind.COMPLETED
            return [fact(kind, day)]
        if org != 0 and self.params.orgs > 2 and r < 0.75:
            to = rng.randrange(1, self.params.orgs)
            if to == org:
                return []
            seats.org[n] = to
            seats.opening_on[n] = max(seats.opening_on[n], day)
            if r < 0.65:
                self.requests += 1
                rid = f"r{self.requests:08d}"
                approve = min(
                    day + timedelta(days=rng.randint(0, 3)), date(period.year, period.month, 28)
                )
                seats.opening_on[n] = approve
                return [
                    fact(FactKind.TRANSFER_REQUESTED, day, org=org_id(to), from_org=org_id(org),
                         request=rid),
                    fact(FactKind.TRANSFER_APPROVED, approve, org=org_id(to),
                         from_org=org_id(org), request=rid),
                ]  # fmt: skip
            return [fact(FactKind.OWNER_CHANGED, day, org=org_id(to), from_org=org_id(org))]
        if r < 0.9 or seats.opening_seq[n] == 0:
            return []
        # A correction: the current opening fact really happened a few days earlier.
        old = seats.opening_seq[n]
        return [self.correction(sid, old, seats.opening_on[n], at)]

    def correction(self, sid: SeatId, old_seq: int, old_on: date, at: datetime) -> SeatFact:
        # The superseded fact is re-read at append time; here we only know its seq and date.
        return SeatFact(
            seq=0, seat=sid, kind=FactKind.ACTIVATED, effective_on=old_on,
            recorded_at=at, actor=ACTOR, reason="correction", supersedes=old_seq,
        )  # fmt: skip

    def append(self, per_seat: list[list[SeatFact]], seats: Seats, base: datetime) -> None:
        for group in self.batches(per_seat):
            at = max(base, (self.last_at or base) + timedelta(microseconds=1))
            stamped: list[SeatFact] = []
            with self.uow.transaction(write=True) as raw:
                ledger: SqlLedger = raw
                corrections = [f for f in group if f.supersedes is not None]
                originals = self.originals(ledger, corrections)
                for f in group:
                    seq = self.next_seq()
                    if f.supersedes is not None:
                        orig = originals[f.supersedes]
                        n = int(f.seat[1:])
                        # Earlier, but in the same month: never before an earlier closing.
                        shifted = max(
                            orig.effective_on - timedelta(days=self.rng.randint(1, 5)),
                            orig.effective_on.replace(day=1),
                        )
                        f = SeatFact(
                            seq=seq, seat=f.seat, kind=orig.kind, effective_on=shifted,
                            recorded_at=at, actor=ACTOR, reason="correction", org=orig.org,
                            holder=orig.holder, seat_kind=orig.seat_kind, addons=orig.addons,
                            supersedes=orig.seq,
                        )  # fmt: skip
                        seats.opening_seq[n] = seq
                        seats.opening_on[n] = shifted
                    else:
                        f = SeatFact(
                            seq=seq, seat=f.seat, kind=f.kind, effective_on=f.effective_on,
                            recorded_at=at, actor=f.actor, reason=f.reason, org=f.org,
                            holder=f.holder, seat_kind=f.seat_kind, addons=f.addons,
                            request=f.request, from_org=f.from_org,
                        )  # fmt: skip
                        if f.kind in (FactKind.ACTIVATED, FactKind.REACTIVATED):
                            seats.opening_seq[int(f.seat[1:])] = seq
                    stamped.append(f)
                self.last_at = at
                ledger.append(stamped, self.head())
                self.uow.commit()
            self.facts += len(stamped)

    def originals(self, ledger: SqlLedger, corrections: list[SeatFact]) -> dict[int, SeatFact]:
        out: dict[int, SeatFact] = {}
        for f in corrections:
            for known in ledger.seat_facts(f.seat):
                if known.seq == f.supersedes:
                    out[known.seq] = known
        return out

    @staticmethod
    def batches(per_seat: list[list[SeatFact]]) -> Iterator[list[SeatFact]]:
        batch: list[SeatFact] = []
        for group in per_seat:
            batch.extend(group)
            if len(batch) >= BATCH_FACTS:
                yield batch
                batch = []
        if batch:
            yield batch

    def usage(self, m: int, starter: set[int]) -> None:
        period = month(m)
        with self.uow.transaction(write=True) as raw:
            ledger: SqlLedger = raw
            at = max(recorded_base(m), (self.last_at or recorded_base(m)))
            for n in sorted(starter):
                at += timedelta(microseconds=1)
                record = UsageRecord(
                    seq=self.next_seq(), org=org_id(n), kind="new-dossier",
                    quantity=self.rng.randint(1, 5),
                    on=date(period.year, period.month, self.rng.randint(1, 28)),
                    recorded_at=at, actor=ACTOR,
                )  # fmt: skip
                self.last_at = at
                ledger.add_usage(record, self.head())
            self.uow.commit()


def generated(engine: Engine) -> int:
    """How many organisations the database holds already (0: empty or no schema)."""
    from seatledger.adapters.sql import is_current, schema_revision

    if schema_revision(engine) is None:
        return 0
    if not is_current(engine):
        upgrade(engine)  # data generated by an older seatledger: bring its schema up to date
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(organisations)).scalar_one())


def generate(url: str, params: Params, progress: bool = True) -> float:
    """Fill an empty database; returns the seconds it took."""
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    Generator(engine, params, progress).run()
    engine.dispose()
    return time.perf_counter() - started


def params_of(args: argparse.Namespace) -> Params:
    orgs, seats, years = SCALES[args.scale]
    return Params(args.orgs or orgs, args.seats or seats, args.years or years, args.seed)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="database URL (or a SQLite file path)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--orgs", type=int, default=0)
    parser.add_argument("--seats", type=int, default=0)
    parser.add_argument("--years", type=int, default=0)
    parser.add_argument("--seed", type=int, default=20230101)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args()
    params = params_of(args)
    if generated(make_engine(args.db)):
        sys.exit(f"{args.db} holds data already: generate into an empty database")
    seconds = generate(args.db, params)
    print(f"generated {params} in {seconds:.1f} s")


if __name__ == "__main__":
    main()
