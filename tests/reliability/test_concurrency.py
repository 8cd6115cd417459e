"""Concurrency: racing billing runs, an approval racing a run, many writers on one SQLite file.

Threads call the use cases directly (each thread its own engine and unit of
work: the CLI's stdout redirection is process-global); processes are
spawned and run the real command line (``run``), each with its own engine.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reliability_support import Cli, billable_orgs, run_workers, snapshot, url_of
from returns.result import Success

from seatledger.adapters.sql import engine as engine_module
from seatledger.domain.dates import Period
from seatledger.domain.services import billing
from seatledger.entrypoints.bootstrap import Settings, catalog_for, init_database, open_services

ORGS = [f"o{i}" for i in range(6)]
# September is counted on the 30th and closes (has ended everywhere) on 1 October.
BILL = ["--json", "--today", "2025-10-01", "bill", "run", "--period", "2025-09"]
SAM_PIN = "482913"
# Raise for a deliberate stress run (e.g. SEATLEDGER_WRITES_PER_PROCESS=200).
WRITERS = 8
PER_WRITER = int(os.environ.get("SEATLEDGER_WRITES_PER_PROCESS", "20"))


def backends(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return url_of(tmp_path / "ledger.db")
    url: str = request.getfixturevalue("postgres_url")
    init_database(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backends(request, tmp_path)


def assert_one_invoice_per_org(db_url: str, outcomes: list[dict[str, str]]) -> None:
    """Every organisation issued exactly once; every other run found it already issued."""
    issued = Counter(o["org"] for o in outcomes if o["outcome"] == "issued")
    assert issued == Counter(ORGS), outcomes
    others = {o["outcome"] for o in outcomes if o["outcome"] != "issued"}
    assert others <= {"already issued"}, outcomes
    assert snapshot(db_url).invoice_ids == tuple(f"INV-2025-09-{o}" for o in ORGS)
    # Each issued invoice took its own legal number, with none skipped (decision 0025).
    numbers = sorted(i["number"] for i in Cli(db_url).json("invoice", "list")["invoices"])
    assert numbers == [f"2025-{n:06d}" for n in range(1, len(ORGS) + 1)]


def test_two_billing_runs_in_threads_issue_one_invoice_per_org(db_url: str, tmp_path: Path):
    billable_orgs(Cli(db_url), ORGS, seats_each=2, tmp=tmp_path)
    catalog = catalog_for(Settings()).unwrap()
    barrier = threading.Barrier(3)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def bill_in_thread() -> None:
        opened = open_services(Settings(db_url=db_url, today=date(2025, 10, 1))).unwrap()
        try:
            barrier.wait(timeout=30)
            reports.append(billing.bill_run(opened.services, catalog, Period(2025, 9)))
        except BaseException as exc:  # recorded, so the test names it
            errors.append(exc)
        finally:
            opened.close()

    threads = [threading.Thread(target=bill_in_thread) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert all(isinstance(r, Success) for r in reports), reports
    outcomes = [
        {"org": o.org, "outcome": o.outcome.value} for r in reports for o in r.unwrap().outcomes
    ]
    assert_one_invoice_per_org(db_url, outcomes)
    assert Cli(db_url).json("invoice", "verify", "--all")["verified"] == len(ORGS)


@pytest.mark.slow
def test_two_billing_runs_in_processes_issue_one_invoice_per_org(db_url: str, tmp_path: Path):
    billable_orgs(Cli(db_url), ORGS, seats_each=2, tmp=tmp_path)
    results = run_workers(db_url, [[BILL], [BILL]])
    outcomes = []
    for [(code, out, err)] in results:
        assert code == 0, err
        assert "Traceback" not in err
        outcomes.extend(json.loads(out)["outcomes"])
    assert_one_invoice_per_org(db_url, outcomes)
    # The losing run reports every organisation it found billed as "already issued".
    assert Counter(o["outcome"] for o in outcomes) == {
        "issued": len(ORGS),
        "already issued": len(ORGS),
    }
    assert Cli(db_url).json("invoice", "verify", "--all")["verified"] == len(ORGS)


def _north_south(cli: Cli) -> str:
    """North pays for p-1 and p-2; South (admin sam) is asked to take p-1 over."""
    day = "2025-09-01"
    for org in ("north", "south"):
        cli.ok("org", "add", org, "--name", org.title(), today=day)
        cli.ok("contract", "set", org, "--plan", "standard", "--cadence", "monthly", today=day)
    cli.ok("admin", "add", "south", "sam", today=day, pin=SAM_PIN)
    for seat in ("p-1", "p-2", "s-1"):
        owner = "south" if seat.startswith("s") else "north"
        cli.ok("seat", "activate", seat, "--org", owner, today=day)
    made = cli.json("transfer", "request", "p-1", "--to", "south", today="2025-09-29")
    request_id: str = made["request"]
    return request_id


def _evidence(cli: Cli, invoice: str) -> set[str]:
    return {
        s["seat"] for s in cli.json("invoice", "evidence", invoice, "--format", "json")["seats"]
    }


@pytest.mark.slow
def test_an_approval_racing_a_billing_run_gives_a_consistent_answer(db_url: str):
    """An approval on the reference date races the run that bills it the next day.

    Either the approval is recorded first, and p-1 is South's in September, or
    the run is, and the reference date is closed: an approval dated 30
    September can no longer be recorded (the simulated clock would go back),
    and p-1 stays North's. Never both, never neither.
    """
    cli = Cli(db_url)
    request_id = _north_south(cli)
    approve = ["--json", "--today", "2025-09-30", "transfer", "approve", request_id]
    approve += ["--admin", "sam"]
    results = run_workers(db_url, [[BILL], [approve]], [{}, {"SEATLEDGER_PIN": SAM_PIN}])
    by_kind = {("bill" if "outcomes" in out else "approve"): (c, out, err)
               for [(c, out, err)] in results}  # fmt: skip
    bill_code, _, bill_err = by_kind["bill"]
    assert bill_code == 0, bill_err
    approve_code, _, approve_err = by_kind["approve"]
    approved = approve_code == 0
    if not approved:
        assert approve_code == 1
        assert "clock-went-backwards" in approve_err, approve_err
    north = _evidence(cli, "INV-2025-09-north")
    south = _evidence(cli, "INV-2025-09-south")
    assert "p-2" in north
    assert "s-1" in south
    assert ("p-1" in south) is approved
    assert ("p-1" in north) is not approved
    assert cli.json("invoice", "verify", "--all")["failed"] == []


def test_an_approval_between_two_orgs_billings_counts_the_seat_once(db_url: str):
    """The interleaving that once put a seat on two invoices, now closed off (INV-1).

    Before the closing rule, North could be billed on the reference date, the
    approval (on that date) move p-1 to South, and South be billed after it:
    p-1 on both September invoices. Now neither can be billed until 30
    September has ended everywhere; after North's invoice no approval dated
    30 September can be recorded, and one dated 1 October moves October only.
    """
    cli = Cli(db_url)
    request_id = _north_south(cli)
    early = cli("bill", "run", "--period", "2025-09", "--org", "north", today="2025-09-30",
                json_=True)  # fmt: skip
    assert early.code == 1
    assert early.error()["code"] == "reference-date-not-reached"
    cli.json("bill", "run", "--period", "2025-09", "--org", "north", today="2025-10-01")
    late = cli("transfer", "approve", request_id, "--admin", "sam", today="2025-09-30",
               pin=SAM_PIN, json_=True)  # fmt: skip
    assert late.code == 1
    assert late.error()["code"] == "clock-went-backwards"
    cli.json("transfer", "approve", request_id, "--admin", "sam", today="2025-10-01", pin=SAM_PIN)
    cli.json("bill", "run", "--period", "2025-09", "--org", "south", today="2025-10-01")
    assert cli.json("invoice", "verify", "--all")["failed"] == []
    north = _evidence(cli, "INV-2025-09-north")
    south = _evidence(cli, "INV-2025-09-south")
    assert "p-1" in north
    assert "p-1" not in south
    cli.json("bill", "run", "--period", "2025-10", today="2025-11-01")
    assert "p-1" in _evidence(cli, "INV-2025-10-south")
    assert "p-1" not in _evidence(cli, "INV-2025-10-north")


def test_a_seat_moved_after_a_backdated_change_is_adjusted_on_the_senders_next_invoice(
    db_url: str,
):
    """A backdated fact recorded after North's invoice becomes an adjustment on the next one."""
    cli = Cli(db_url)
    _north_south(cli)
    cli.json("bill", "run", "--period", "2025-09", "--org", "north", today="2025-10-01")
    cli.ok("seat", "deactivate", "p-2", "--on", "2025-09-15", "--reason", "left in September",
           today="2025-10-02")  # fmt: skip
    run = cli.json("bill", "run", "--period", "2025-10", "--org", "north", today="2025-11-01")
    [invoice] = run["invoices"]
    adjustments = [line for line in invoice["lines"] if line["kind"] == "adjustment"]
    assert len(adjustments) == 1, invoice["lines"]
    assert adjustments[0]["amount"].startswith("-")
    assert cli.json("invoice", "verify", "--all")["failed"] == []


@pytest.mark.slow
def test_many_writers_on_sqlite_lose_nothing_and_never_see_a_locked_database(tmp_path: Path):
    """WRITERS processes x PER_WRITER activations on one SQLite file, all at once."""
    db = tmp_path / "ledger.db"
    cli = Cli(db)
    cli.ok("org", "add", "a", "--name", "A", today="2025-09-01")
    before = snapshot(db).seat_facts
    plans = [
        [
            ["--today", "2025-09-02", "seat", "activate", f"w{w}-s{i}", "--org", "a"]
            for i in range(PER_WRITER)
        ]
        for w in range(WRITERS)
    ]
    results = run_workers(url_of(db), plans)
    failures = [
        (code, err) for done in results for (code, _, err) in done if code != 0 or err.strip()
    ]
    assert failures == [], failures[:3]
    after = snapshot(db)
    assert after.seat_facts == before + WRITERS * PER_WRITER
    assert after.head_seq == after.max_seq
    assert len(cli.json("seats", "a", "--on", "2025-09-02")["seats"]) == WRITERS * PER_WRITER


def _hold_write_lock(db: Path, seconds: float) -> threading.Thread:
    """Another program holds SQLite's write lock (BEGIN IMMEDIATE) for ``seconds``."""
    ready = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            ready.set()
            time.sleep(seconds)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert ready.wait(10)
    return holder


def test_a_writer_waits_for_a_short_lock_instead_of_failing(tmp_path: Path):
    """The busy timeout (BUSY_TIMEOUT_SECONDS) bounds the wait: a 1 s lock is waited out."""
    db = tmp_path / "ledger.db"
    cli = Cli(db)
    cli.ok("org", "add", "a", "--name", "A", today="2025-09-01")
    holder = _hold_write_lock(db, 1.0)
    started = time.monotonic()
    outcome = cli("seat", "activate", "w1", "--org", "a", today="2025-09-02")
    holder.join()
    assert outcome.code == 0, outcome
    assert time.monotonic() - started >= 0.5
    assert snapshot(db).seat_facts == 1


def test_a_lock_held_past_the_busy_timeout_is_a_clean_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    db = tmp_path / "ledger.db"
    cli = Cli(db)
    cli.ok("org", "add", "a", "--name", "A", today="2025-09-01")
    # The same situation as a lock held for more than the real 10 s, made quick.
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = _hold_write_lock(db, 1.5)
    try:
        outcome = cli("seat", "activate", "w1", "--org", "a", today="2025-09-02", json_=True)
    finally:
        holder.join()
    assert outcome.code == 1
    assert "Traceback" not in outcome.err
    assert outcome.error()["code"] == "database-busy"
    assert snapshot(db).seat_facts == 0
