"""Several billing workers on one database: every organisation invoiced exactly once.

Two worker processes (multiprocessing, spawn) bill the same period at the
same time, on a SQLite file and on PostgreSQL: once both unsharded (a pure
race), once as shards 0 and 1 of 2. Afterwards there is exactly one invoice
per organisation and every invoice verifies.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import FixedClock, SystemClock
from seatledger.adapters.sql import SqlUnitOfWork, make_engine
from seatledger.domain.catalog import Cadence
from seatledger.domain.contracts import Contract, PaymentMethod
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.services.billing import Outcome, bill_run, shard_of, verify
from seatledger.domain.services.context import Services

ORGS = [OrgId(f"org-{n:02d}") for n in range(12)]
PERIOD = Period(2026, 8)
T0 = datetime(2026, 8, 1, 6, 0, tzinfo=UTC)
BILLING_CLOCK = datetime(2026, 9, 2, 9, 0, tzinfo=UTC)


def populate(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    at = T0
    seq = 0
    with uow.transaction(write=True) as ledger:
        for n, org in enumerate(ORGS):
            at += timedelta(seconds=1)
            ledger.add_organisation(Organisation(org, f"Org {n}"), at)
            at += timedelta(seconds=1)
            ledger.add_contract(
                Contract(
                    org=org,
                    plan="standard",
                    cadence=Cadence.MONTHLY,
                    reference="month-end",
                    effective_from=PERIOD,
                    vat_percent=Decimal("21"),
                    payment_method=PaymentMethod.SEPA,
                    version=1,
                    recorded_at=at,
                    actor="test",
                ),
                LedgerHead(seq, at),
            )
        at += timedelta(seconds=1)
        facts = []
        for n, org in enumerate(ORGS):
            for k in range(n % 4 + 1):
                seq += 1
                facts.append(
                    SeatFact(
                        seq=seq,
                        seat=SeatId(f"{org}-s{k}"),
                        kind=FactKind.ACTIVATED,
                        effective_on=date(2026, 8, 1 + k),
                        recorded_at=at,
                        actor="test",
                        org=org,
                        holder=f"holder {k}",
                        seat_kind=SeatKind.REGULAR,
                    )
                )
        ledger.append(facts, LedgerHead(seq, at))
        uow.commit()


def worker(url: str, shard: tuple[int, int] | None, start: object) -> dict[str, int]:
    """One billing worker process: waits for the start signal, then bills ``PERIOD``."""
    engine = make_engine(url)
    # Each worker has its own clock, like two hosts: a real clock's skew tolerance lets the
    # second record after the first (issuing moves the ledger's recorded instant on).
    clock = FixedClock(BILLING_CLOCK, timedelta(microseconds=1), SystemClock.SKEW)
    services = Services(SqlUnitOfWork(engine), clock)
    start.wait()  # type: ignore[attr-defined]
    report = bill_run(services, load_catalog().unwrap(), PERIOD, shard=shard).unwrap()
    engine.dispose()
    return dict(Counter(o.outcome.value for o in report.outcomes))


def run_workers(url: str, shards: list[tuple[int, int] | None]) -> list[dict[str, int]]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Event()
        with ctx.Pool(len(shards)) as pool:
            pending = [pool.apply_async(worker, (url, shard, start)) for shard in shards]
            start.set()
            return [p.get(timeout=120) for p in pending]


def check_one_invoice_each(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    with uow.transaction(write=False) as store:
        issued = store.invoices(None, PERIOD)
        assert sorted(i.org for i in issued) == ORGS
        for invoice in issued:
            assert verify(store, invoice).ok, invoice.id


@pytest.mark.parametrize("shards", [[None, None], [(0, 2), (1, 2)]], ids=["racing", "sharded"])
def test_two_workers_issue_exactly_one_invoice_per_organisation(
    engine: Engine, database_url: str, shards: list[tuple[int, int] | None]
) -> None:
    populate(engine)
    outcomes = run_workers(database_url, shards)
    issued = sum(o.get(Outcome.ISSUED.value, 0) for o in outcomes)
    assert issued == len(ORGS)
    if shards[0] is None:
        # Each worker saw every organisation: the one that came second says "already issued".
        assert sum(o.get(Outcome.ALREADY_ISSUED.value, 0) for o in outcomes) == len(ORGS)
    else:
        assert all(set(o) == {Outcome.ISSUED.value} for o in outcomes)
    check_one_invoice_each(engine)


def test_shards_partition_the_organisations() -> None:
    for n in (1, 2, 3, 7):
        parts = [[o for o in ORGS if shard_of(o, n) == k] for k in range(n)]
        assert sorted(o for part in parts for o in part) == sorted(ORGS)
    assert shard_of(OrgId("org-00"), 5) == shard_of(OrgId("org-00"), 5)
    with pytest.raises(ValueError, match="need 0 <= k < n"):
        bill_run(None, None, PERIOD, shard=(2, 2))  # type: ignore[arg-type]
