"""seatledger benchmarks: each target against a baseline timed in the same run.

    python benchmarks/run.py --db URL --scale small|full

``--db`` is a SQLite file path (or ``sqlite:///…``) or a PostgreSQL URL; on
PostgreSQL everything happens in the schema ``--schema`` (default
``bench_<scale>``), created if missing. An empty database is first filled by
``generate.py`` (deterministic). Then:

(a) bulk import of new seats: ``SqlLedger.append`` and the ``import_seats``
    use case, vs a raw ``executemany`` INSERT of as many rows into a scratch
    table (fresh scratch database / schema);
(b) the billable seats of the 10,000-seat organisation on a reference date,
    with their dates (``SqlLedger.billable_on``), vs the bare SQL SELECT of
    those span rows;
(c) the monthly billing run over all organisations (``bill_run``, in a child
    process), vs the bare SQL floor: one ``GROUP BY org_id`` count of the
    billable seats; run twice: the previous month (no earlier invoices) and
    the last month (one earlier invoice per organisation, so adjustments are
    considered);
(d) peak memory (``ru_maxrss``) of the child process that runs (c).

On PostgreSQL every table of the schema gets a ``VACUUM (ANALYZE)`` before (b)
and (c), as autovacuum would give a deployed server (its seconds are reported).

The billing runs work on a copy (SQLite) or after a ``TRUNCATE`` of the
invoices, their outbox and audit entries, with the ledger head's recorded
instant put back (PostgreSQL), so the script can be re-run. Prints a table and
writes JSON to ``benchmarks/results/``. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

from seatledger.adapters.catalog.loader import load_catalog
from seatledger.adapters.clock import FixedClock
from seatledger.adapters.sql import SqlUnitOfWork, make_engine, upgrade
from seatledger.adapters.sql.engine import parse_url
from seatledger.adapters.sql.repository import SqlLedger
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.services.billing import bill_run
from seatledger.domain.services.context import Services
from seatledger.domain.services.imports import ImportRow, import_seats

RESULTS = Path(__file__).resolve().parent / "results"
IMPORT_SEATS = 100_000
COVERING = "start_on <= :d AND (end_on IS NULL OR end_on > :d) AND known_until IS NULL"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """The median wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


@contextmanager
def autocommit(url: str) -> Iterator[Connection]:
    """A connection outside any transaction (what ``CREATE SCHEMA`` and ``VACUUM`` need)."""
    base = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with base.connect() as conn:
            yield conn
    finally:
        base.dispose()


def with_schema(url: str, schema: str) -> str:
    with autocommit(url) as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return (
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


def vacuum_analyze(url: str, schema: str) -> float:
    """``VACUUM (ANALYZE)`` every table of ``schema``; the seconds it took.

    What autovacuum does on a deployed server after a bulk load: planner statistics,
    and a visibility map so that index-only scans need not visit the table. Run
    explicitly because a server may have autovacuum off (this development machine
    does), and then a freshly generated database has neither.
    """
    start = time.perf_counter()
    with autocommit(url) as conn:
        tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
            {"s": schema},
        ).scalars()
        for table in list(tables):
            conn.execute(text(f'VACUUM (ANALYZE) "{schema}"."{table}"'))
    return time.perf_counter() - start


def drop_schema(url: str, schema: str) -> None:
    with autocommit(url) as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


# --- (a) import ----------------------------------------------------------------------
def bench_import(url: str, n: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    uow = SqlUnitOfWork(engine)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    orgs = [OrgId(f"i{k:03d}") for k in range(100)]
    with uow.transaction(write=True) as raw:
        ledger: SqlLedger = raw
        for org in orgs:
            at += timedelta(microseconds=1)
            ledger.add_organisation(Organisation(org, org, "Europe/Amsterdam", "EUR", True), at)
        uow.commit()
    at += timedelta(seconds=1)

    def facts(prefix: str, first_seq: int) -> list[SeatFact]:
        return [
            SeatFact(
                seq=first_seq + i,
                seat=SeatId(f"{prefix}{i:07d}"),
                kind=FactKind.ACTIVATED,
                effective_on=date(2025, 1 + i % 12, 1 + i % 28),
                recorded_at=at,
                actor="bench",
                reason="imported",
                org=orgs[i % len(orgs)],
                holder=f"holder {i}",
                seat_kind=SeatKind.REGULAR,
            )
            for i in range(n)
        ]

    def append() -> None:
        built = facts("a", 1)
        with uow.transaction(write=True) as raw:
            raw.append(built, LedgerHead(n, at))
            uow.commit()

    append_s, _ = timed(append)

    rows = [
        ImportRow(
            line=i + 2,
            seat=SeatId(f"u{i:07d}"),
            org=orgs[i % len(orgs)],
            activated_on=date(2025, 1 + i % 12, 1 + i % 28),
            deactivated_on=date(2025, 12, 30) if i % 5 == 0 else None,
            kind=SeatKind.REGULAR,
            holder=f"holder {i}",
        )
        for i in range(n)
    ]
    services = Services(
        uow, FixedClock(datetime(2026, 1, 2, tzinfo=UTC), timedelta(microseconds=1))
    )
    use_case_s, summary = timed(lambda: import_seats(services, rows, source="bench", actor="bench"))
    summary.unwrap()

    # The baseline: a raw executemany INSERT of n rows shaped like seat_facts.
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE scratch_facts (seq BIGINT PRIMARY KEY, seat_id VARCHAR(64), "
            "kind VARCHAR(32), effective_on DATE, recorded_at BIGINT, actor VARCHAR(500), "
            "reason VARCHAR(500), org_id VARCHAR(64), holder VARCHAR(500), "
            "seat_kind VARCHAR(32), addons TEXT)"
        )
    params = [
        (
            i,
            f"b{i:07d}",
            "activated",
            date(2025, 1 + i % 12, 1 + i % 28),
            1_700_000_000_000_000,
            "bench",
            "imported",
            orgs[i % len(orgs)],
            f"holder {i}",
            "regular",
            "[]",
        )
        for i in range(n)
    ]
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO scratch_facts VALUES ({', '.join([mark] * 11)})"

    def raw_insert() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql, params)

    raw_s, _ = timed(raw_insert)
    engine.dispose()
    return {
        "seats": n,
        "append_seconds": append_s,
        "append_seats_per_s": n / append_s,
        "import_use_case_seconds": use_case_s,
        "import_use_case_seats_per_s": n / use_case_s,
        "baseline_raw_insert_seconds": raw_s,
        "baseline_rows_per_s": n / raw_s,
        "ratio_append_to_baseline": append_s / raw_s,
        "ratio_use_case_to_baseline": use_case_s / raw_s,
    }


# --- (b) billable on a date ------------------------------------------------------------
def bench_billable(engine: Engine, on: date) -> dict[str, Any]:
    uow = SqlUnitOfWork(engine)
    big = generate.org_id(0)

    def query() -> int:
        with uow.transaction(write=False) as store:
            return len(store.billable_on(big, on, None))

    def bare() -> int:
        with engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT * FROM billing_spans WHERE org_id = :o AND {COVERING}"),
                {"o": big, "d": on},
            ).all()
            return len(rows)

    query()  # warm the caches of both, once
    bare()
    q_s, seats = timed(query, 7)
    b_s, rows = timed(bare, 7)
    return {
        "org": big,
        "on": on.isoformat(),
        "seats": seats,
        "span_rows": rows,
        "seconds": q_s,
        "baseline_seconds": b_s,
        "ratio": q_s / b_s,
    }


# --- (c), (d) the billing run --------------------------------------------------------------
def floor(engine: Engine, on: date) -> tuple[float, int, int]:
    def count() -> tuple[int, int]:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT org_id, count(*) FROM billing_spans WHERE {COVERING} GROUP BY org_id"
                ),
                {"d": on},
            ).all()
        return len(rows), sum(int(r[1]) for r in rows)

    seconds, (orgs, seats) = timed(count, 3)
    return seconds, orgs, seats


def billing_child(url: str, period: str, clock: str) -> dict[str, Any]:
    engine = make_engine(url)
    services = Services(
        SqlUnitOfWork(engine),
        FixedClock(datetime.fromisoformat(clock), timedelta(microseconds=1)),
    )
    catalog = load_catalog(None).unwrap()
    start = time.perf_counter()
    report = bill_run(services, catalog, Period.parse(period).unwrap()).unwrap()
    seconds = time.perf_counter() - start
    outcomes = Counter(o.outcome.value for o in report.outcomes)
    seats = sum(len(i.evidence.seats) for i in report.invoices)
    del report
    engine.dispose()
    return {
        "seconds": seconds,
        "outcomes": dict(outcomes),
        "seats_counted": seats,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def fresh_billing_copy(url: str, engine: Engine) -> str:
    """A database to bill in, without invoices: a file copy (SQLite), a TRUNCATE (PostgreSQL)."""
    if engine.dialect.name == "sqlite":
        source = Path(str(parse_url(url).database))
        copy = source.with_name(source.stem + "-billing.db")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("", "-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)
        shutil.copyfile(source, copy)
        return str(copy)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE invoice_evidence_seats, invoices, outbox")
        # The audit entries of earlier runs' invoices go too (the table refuses DELETE,
        # not TRUNCATE), and the head's recorded instant, which issuing moves on, goes
        # back to the last thing the generator recorded: otherwise a second benchmark
        # run's clock would be before the head and the run would be refused.
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE kept_audit ON COMMIT DROP AS "
            "SELECT * FROM audit_log WHERE left(action, 8) <> 'invoice.'"
        )
        conn.exec_driver_sql("TRUNCATE audit_log")
        conn.exec_driver_sql("INSERT INTO audit_log SELECT * FROM kept_audit")
        conn.exec_driver_sql(
            "UPDATE ledger_head SET last_recorded_at = greatest("
            "(SELECT max(recorded_at) FROM seat_facts),"
            " (SELECT max(recorded_at) FROM contract_versions),"
            " (SELECT max(recorded_at) FROM usage_records),"
            " (SELECT max(created_at) FROM organisations))"
        )
    return url


# --- main ------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    generate.add_arguments(parser)
    parser.add_argument("--schema", default="", help="PostgreSQL schema (default bench_<scale>)")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated parts to skip: a,b,c (c2: the second billing run only)",
    )
    args = parser.parse_args()
    params = generate.params_of(args)
    skip = set(filter(None, args.skip.split(",")))
    url = args.db
    postgres = parse_url(url).get_backend_name() == "postgresql"
    schema = args.schema or f"bench_{args.scale}"
    if postgres:
        url = with_schema(args.db, schema)
    results: dict[str, Any] = {
        "database": "postgresql" if postgres else "sqlite",
        "scale": args.scale,
        "params": vars(params),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    engine = make_engine(url)
    if not generate.generated(engine):
        print(f"generating {params} …", file=sys.stderr)
        results["generate_seconds"] = generate.generate(url, params)
    if postgres:
        print(f"VACUUM (ANALYZE) of schema {schema} …", file=sys.stderr)
        results["vacuum_analyze_seconds"] = vacuum_analyze(args.db, schema)
    with engine.connect() as conn:
        results["rows"] = {
            t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one())
            for t in ("organisations", "seat_facts", "billing_spans", "usage_records")
        }
    print(f"data: {results['rows']}", file=sys.stderr)

    if "a" not in skip:
        print("(a) import …", file=sys.stderr)
        if postgres:
            scratch = f"{schema}_import"
            drop_schema(args.db, scratch)
            results["import"] = bench_import(with_schema(args.db, scratch), IMPORT_SEATS)
            drop_schema(args.db, scratch)
        else:
            scratch_file = Path(str(parse_url(url).database)).with_name("import-scratch.db")
            for suffix in ("", "-wal", "-shm"):
                Path(str(scratch_file) + suffix).unlink(missing_ok=True)
            results["import"] = bench_import(str(scratch_file), IMPORT_SEATS)

    last = params.last_period()
    on = last.last_day
    if "b" not in skip:
        print("(b) billable on a date …", file=sys.stderr)
        results["billable_on"] = bench_billable(engine, on)

    if "c" not in skip:
        after = generate.clock_after(params)
        billing_url = fresh_billing_copy(url, engine)
        billing_engine = make_engine(billing_url)
        previous = generate.month(params.months - 2)
        for hour, (label, period) in enumerate((("first_run", previous), ("second_run", last))):
            if label == "second_run" and "c2" in skip:
                continue
            print(f"(c) billing run {period} …", file=sys.stderr)
            f_s, f_orgs, f_seats = floor(billing_engine, period.last_day)
            # Each run an hour after the one before: issuing moves the ledger's recorded
            # instant on, so a run cannot start before the previous one's last invoice.
            clock = (after + timedelta(hours=hour)).isoformat()
            run = in_child(billing_child, billing_url, str(period), clock)
            run.update(
                period=str(period),
                floor_seconds=f_s,
                floor_orgs=f_orgs,
                floor_seats=f_seats,
                ratio=run["seconds"] / f_s,
            )
            results[label] = run
        billing_engine.dispose()
    engine.dispose()
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report(results)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{results['database']}-{args.scale}-{results['started'][:19]}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"written {out}")


def report(r: dict[str, Any]) -> None:
    print(f"\nseatledger benchmarks: {r['database']}, scale {r['scale']}, rows {r.get('rows')}")
    if "vacuum_analyze_seconds" in r:
        print(f"(VACUUM (ANALYZE) before measuring: {r['vacuum_analyze_seconds']:.1f} s)")
    print(f"{'measure':<48} {'value':>14} {'baseline':>14} {'ratio':>8}  target")
    if "import" in r:
        i = r["import"]
        base = f"{i['baseline_rows_per_s']:,.0f}/s"
        print(f"{'(a) import, append (seats/s)':<48} {i['append_seats_per_s']:>14,.0f} "
              f"{base:>14} {i['ratio_append_to_baseline']:>8.2f}  >= 50,000/s")  # fmt: skip
        print(f"{'(a) import, import_seats use case (seats/s)':<48} "
              f"{i['import_use_case_seats_per_s']:>14,.0f} {base:>14} "
              f"{i['ratio_use_case_to_baseline']:>8.2f}  >= 50,000/s")  # fmt: skip
    if "billable_on" in r:
        b = r["billable_on"]
        label = f"(b) billable on {b['on']}, {b['seats']} seats (ms)"
        print(f"{label:<48} {b['seconds'] * 1000:>14.1f} {b['baseline_seconds'] * 1000:>14.1f} "
              f"{b['ratio']:>8.2f}  < 50 ms")  # fmt: skip
    for key in ("first_run", "second_run"):
        if key in r:
            c = r[key]
            label = f"(c) billing run {c['period']} (s)"
            print(f"{label:<48} {c['seconds']:>14.2f} {c['floor_seconds']:>14.3f} "
                  f"{c['ratio']:>8.1f}  <= 1.5x floor, < 30 s")  # fmt: skip
            print(f"{'(d) peak memory of that run (MiB)':<48} {c['peak_rss_mib']:>14.0f} "
                  f"{'':>14} {'':>8}  < 1024 MiB")  # fmt: skip
            print(f"    outcomes {c['outcomes']}, seats counted {c['seats_counted']:,}")


if __name__ == "__main__":
    main()
