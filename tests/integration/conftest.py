"""Real databases for the SQL adapter's tests: a SQLite file per test, and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from seatledger.adapters.clock import FixedClock
from seatledger.adapters.sql import SqlUnitOfWork, make_engine, upgrade
from seatledger.domain.ports import Clock
from seatledger.domain.services.context import Services

START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no schema yet): a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database without the schema."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    """An engine on a database migrated to the newest revision."""
    upgrade(bare_engine)
    return bare_engine


@pytest.fixture
def uow(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def services(uow: SqlUnitOfWork, clock: FixedClock) -> Services:
    return Services(uow, clock)


@pytest.fixture
def make_services(engine: Engine) -> Callable[[Clock], Services]:
    return lambda clock: Services(SqlUnitOfWork(engine), clock)
