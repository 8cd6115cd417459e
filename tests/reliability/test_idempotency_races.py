"""Two retries of one keyed write racing each other: one write, one answer (INV-15).

Each thread opens its own ledger (its own engine and connections), and a
barrier releases them together. The key is checked and stored under the
store's write lock, in the same transaction as the write, so the second
racer finds the key and replays the first result (same arguments) or is
refused (other arguments). Both SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import seatledger
from seatledger import LedgerRefused
from seatledger.entrypoints.bootstrap import init_database

TODAY = date(2025, 9, 1)
ROUNDS = 5


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    init_database(url)
    return url


def count(db_url: str, table: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def race(db_url: str, calls: list[Callable[[seatledger.Ledger], object]]) -> list[object]:
    """Run each call in its own thread on its own ledger, released together."""
    barrier = threading.Barrier(len(calls))
    answers: list[object] = [None] * len(calls)

    def racer(i: int) -> None:
        with seatledger.connect(db_url, today=TODAY, actor="lms") as ledger:
            barrier.wait(timeout=30)
            try:
                answers[i] = calls[i](ledger)
            except BaseException as exc:  # kept, so the test names it
                answers[i] = exc

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_two_racing_retries_with_one_key_record_the_usage_once(db_url: str) -> None:
    with seatledger.connect(db_url, today=TODAY) as ledger:
        ledger.add_organisation("acme", "Acme")
    for n in range(ROUNDS):
        key = f"race-{n}"
        answers = race(
            db_url,
            [lambda led, k=key: led.record_usage("acme", "new-dossier", idempotency_key=k)] * 2,
        )
        assert not any(isinstance(a, BaseException) for a in answers), answers
        assert answers[0] == answers[1]
        assert count(db_url, "usage_records") == n + 1
        assert count(db_url, "idempotency_keys") == n + 1


def test_racing_writes_with_one_key_and_other_arguments_one_wins_one_is_refused(
    db_url: str,
) -> None:
    with seatledger.connect(db_url, today=TODAY) as ledger:
        ledger.add_organisation("acme", "Acme")
    answers = race(
        db_url,
        [
            lambda led: led.activate("s-1", "acme", idempotency_key="k"),
            lambda led: led.activate("s-2", "acme", idempotency_key="k"),
        ],
    )
    refused = [a for a in answers if isinstance(a, LedgerRefused)]
    assert len(refused) == 1, answers
    assert refused[0].code == "idempotency-key-reused"
    assert count(db_url, "seat_facts") == 1
    assert count(db_url, "idempotency_keys") == 1
