"""Shared helpers of the reliability suite: the CLI in-process and as a process, DB checks.

Deliberately not a ``conftest.py``: the end-to-end suite imports its helpers
with ``from conftest import ...``, and a second top-level ``conftest`` module
would shadow it. Tests here import from this module instead.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen
from cli_driver import OWN_VARIABLES, Outcome, environment
from sqlalchemy import create_engine, text

from seatledger.entrypoints.cli.main import run

CLI_MODULE = "seatledger.entrypoints.cli.main"


def url_of(db: Path | str) -> str:
    return db if isinstance(db, str) else f"sqlite:///{db}"


class Cli:
    """``seatledger`` on one database (a SQLite file or any URL), run in this process."""

    def __init__(self, db: Path | str, *, actor: str = "lisa") -> None:
        self.db = db
        self.env = {"SEATLEDGER_DB": url_of(db), "SEATLEDGER_ACTOR": actor}

    def __call__(
        self,
        *args: str,
        today: str | None = None,
        json_: bool = False,
        pin: str | None = None,
    ) -> Outcome:
        argv = [*(["--json"] if json_ else []), *(["--today", today] if today else []), *args]
        env = dict(self.env) if pin is None else {**self.env, "SEATLEDGER_PIN": pin}
        out, err = io.StringIO(), io.StringIO()
        with environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(argv)
        return Outcome(code, out.getvalue(), err.getvalue())

    def ok(self, *args: str, today: str | None = None, pin: str | None = None) -> str:
        outcome = self(*args, today=today, pin=pin)
        assert outcome.code == 0, outcome
        return outcome.out

    def json(self, *args: str, today: str | None = None, pin: str | None = None) -> Any:
        outcome = self(*args, today=today, json_=True, pin=pin)
        assert outcome.code == 0, outcome
        return outcome.json()


def process_env(db: Path | str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}
    clean.update({"SEATLEDGER_DB": url_of(db), "SEATLEDGER_ACTOR": "lisa"})
    clean.update(extra or {})
    return clean


def cli_argv(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", CLI_MODULE, *args]


def run_process(db: Path | str, args: Sequence[str], *, timeout: float = 120) -> Outcome:
    """``python -m seatledger.entrypoints.cli.main ARGS`` as a real process."""
    done = subprocess.run(
        cli_argv(args),
        capture_output=True,
        text=True,
        env=process_env(db),
        timeout=timeout,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def write_import(path: Path, rows: Sequence[str]) -> Path:
    header = "seat,org,activated_on,deactivated_on,kind,holder"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def billable_orgs(cli: Cli, orgs: Sequence[str], *, seats_each: int, tmp: Path) -> None:
    """Organisations on a standard monthly month-end contract from September 2025, with seats.

    Everything is recorded on 2025-09-01; the seats are activated that day,
    so ``bill run --period 2025-09`` is due on 2025-09-30.
    """
    for org in orgs:
        cli.ok("org", "add", org, "--name", f"Org {org}", today="2025-09-01")
        cli.ok(
            "contract", "set", org, "--plan", "standard", "--cadence", "monthly",
            today="2025-09-01",
        )  # fmt: skip
    if seats_each:
        rows = [
            f"{org}-s{i},{org},2025-09-01,,regular,holder {i}"
            for org in orgs
            for i in range(seats_each)
        ]
        cli.ok("seat", "import", str(write_import(tmp / "seed.csv", rows)), today="2025-09-01")


@frozen
class Snapshot:
    """What a database holds, as counted directly in SQL (no seatledger code involved)."""

    seat_facts: int
    usage: int
    invoices: int
    evidence_rows: int
    head_seq: int
    max_seq: int
    invoice_ids: tuple[str, ...]


def snapshot(db: Path | str) -> Snapshot:
    engine = create_engine(url_of(db))
    try:
        with engine.connect() as conn:

            def one(sql: str) -> int:
                return int(conn.execute(text(sql)).scalar_one() or 0)

            ids = tuple(
                r[0] for r in conn.execute(text("SELECT id FROM invoices ORDER BY id")).all()
            )
            return Snapshot(
                seat_facts=one("SELECT count(*) FROM seat_facts"),
                usage=one("SELECT count(*) FROM usage_records"),
                invoices=len(ids),
                evidence_rows=one("SELECT count(*) FROM invoice_evidence_seats"),
                head_seq=one("SELECT last_seq FROM ledger_head WHERE id = 1"),
                max_seq=max(
                    one("SELECT max(seq) FROM seat_facts"),
                    one("SELECT max(seq) FROM usage_records"),
                ),
                invoice_ids=ids,
            )
    finally:
        engine.dispose()


def integrity_check(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    return "; ".join(str(r[0]) for r in rows)


def cli_worker(
    db_url: str,
    commands: list[list[str]],
    barrier: Any,
    results: Any,
    extra_env: Mapping[str, str],
) -> None:
    """A spawned process: wait for the others, then run ``commands`` through the CLI.

    Each command goes through the console script's own ``run`` (its own
    engine, its own connections); an exception escaping it is recorded as a
    traceback on stderr, so the parent can fail with it.
    """
    import traceback

    barrier.wait(timeout=120)
    done: list[tuple[int, str, str]] = []
    for argv in commands:
        out, err = io.StringIO(), io.StringIO()
        with (
            environment({"SEATLEDGER_DB": db_url, "SEATLEDGER_ACTOR": "worker", **extra_env}),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            try:
                code = run(argv)
            except BaseException:
                code = -1
                err.write(traceback.format_exc())
        done.append((code, out.getvalue(), err.getvalue()))
    results.put(done)


def run_workers(
    db_url: str,
    plans: Sequence[list[list[str]]],
    envs: Sequence[Mapping[str, str]] | None = None,
) -> list[list[tuple[int, str, str]]]:
    """Run each plan (a list of CLI argvs) in its own spawned process, all starting together.

    ``envs`` gives each plan's extra environment (e.g. ``SEATLEDGER_PIN``).
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(plans))
    results = ctx.Queue()
    workers = [
        ctx.Process(target=cli_worker, args=(db_url, list(plan), barrier, results, dict(env)))
        for plan, env in zip(plans, envs or [{}] * len(plans), strict=True)
    ]
    for worker in workers:
        worker.start()
    collected = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0, f"worker exited with {worker.exitcode}"
    return collected


def copy_db(template: Path, target: Path) -> Path:
    """A copy of a SQLite ledger with its WAL, so each crash round starts from the same state.

    Its webhook secrets' own key file goes with it (decision 0040).
    """
    for suffix in ("", "-wal", "-shm", ".secret-key"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copy(source, f"{target}{suffix}")
    return target


def check_database(db: Path) -> None:
    """After a kill: SQLite's integrity check, the ledger head, and every invoice verifies."""
    assert integrity_check(db) == "ok"
    shot = snapshot(db)
    assert shot.head_seq == shot.max_seq, shot
    checked = Cli(db).json("invoice", "verify", "--all")
    assert checked["failed"] == [], checked
