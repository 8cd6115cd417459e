"""Migrations: a database made at revision 0001 upgrades to the head with its data intact;
the head revision is known without Alembic; the command line starts without Alembic."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from returns.result import Success
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from seatledger.adapters.clock import FixedClock
from seatledger.adapters.sql import (
    SchemaNotCurrent,
    SqlUnitOfWork,
    head_revision,
    is_current,
    require_current,
    schema_revision,
    upgrade,
)
from seatledger.adapters.sql.migrate import HEAD_REVISION, scripts_head_revision
from seatledger.adapters.sql.tables import metadata
from seatledger.domain.audit import AuditFilter
from seatledger.domain.authorisation import Action, Role
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead
from seatledger.domain.queries import RangeMode
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.services import seats
from seatledger.domain.services.context import Services


def test_the_head_revision_constant_is_the_migration_scripts_head() -> None:
    assert head_revision() == HEAD_REVISION == scripts_head_revision()


def answers(engine: Engine) -> list[object]:
    """Every question the 0001 schema can answer, for both organisations, now and as known then."""
    result: list[object] = []
    with SqlUnitOfWork(engine).transaction(write=False) as ledger:
        cut = datetime(2026, 9, 1, 9, 3, tzinfo=UTC)
        for org in (OrgId("north"), OrgId("south")):
            for known_at in (None, cut):
                for day in (date(2026, 8, 1), date(2026, 8, 20), date(2026, 9, 1)):
                    result.append(ledger.billable_on(org, day, known_at))
                    result.append(ledger.count_billable(org, day, known_at))
                august = (date(2026, 8, 1), date(2026, 8, 31))
                for mode in RangeMode:
                    result.append(ledger.active_within(org, *august, mode, known_at))
        result.append(ledger.head())
        result.append([ledger.seat_facts(s) for s in ("s1", "s2", "s3")])  # type: ignore[arg-type]
    return result


def write_old_history(engine: Engine, clock: FixedClock) -> None:
    """Two organisations, three seats activated by "ops" and one deactivated, as at 0001."""
    with SqlUnitOfWork(engine).transaction(write=True) as ledger:
        ledger.add_organisation(Organisation(OrgId("north"), "North"), clock.now())
        clock.advance(timedelta(seconds=1))
        ledger.add_organisation(Organisation(OrgId("south"), "South"), clock.now())
        seats_at_0001 = (("s1", "north"), ("s2", "north"), ("s3", "south"))
        for seq, (seat, org) in enumerate(seats_at_0001, start=1):
            clock.advance(timedelta(minutes=1))
            fact = SeatFact(
                seq=seq, seat=SeatId(seat), kind=FactKind.ACTIVATED,
                effective_on=date(2026, 8, 1),
                recorded_at=clock.now(), actor="ops", reason="back-filled", org=OrgId(org),
                seat_kind=SeatKind.STUDENT, addons=frozenset({"library"}),
            )  # fmt: skip
            ledger.append([fact], LedgerHead(seq, clock.now()))
        clock.advance(timedelta(minutes=5))
        late = SeatFact(
            seq=4, seat=SeatId("s2"), kind=FactKind.DEACTIVATED, effective_on=date(2026, 8, 15),
            recorded_at=clock.now(), actor="ops", reason="left",
        )  # fmt: skip
        ledger.append([late], LedgerHead(4, clock.now()))
        ledger.conn.commit()


def test_the_upgrade_back_fills_the_audit_trail_from_the_facts(bare_engine: Engine) -> None:
    upgrade(bare_engine, "0001")
    clock = FixedClock(datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    write_old_history(bare_engine, clock)
    upgrade(bare_engine)
    with SqlUnitOfWork(bare_engine).transaction(write=False) as ledger:
        trail = ledger.audit(AuditFilter())
        north = ledger.audit(AuditFilter(org=OrgId("north")))
        s2 = ledger.audit(AuditFilter(seat=SeatId("s2")))
    assert [(e.action, e.seat, e.org, e.actor, e.role) for e in trail] == [
        (Action.SEAT_ACTIVATE, "s1", "north", "ops", Role.OPEN),
        (Action.SEAT_ACTIVATE, "s2", "north", "ops", Role.OPEN),
        (Action.SEAT_ACTIVATE, "s3", "south", "ops", Role.OPEN),
        (Action.SEAT_DEACTIVATE, "s2", "north", "ops", Role.OPEN),
    ]
    assert [e.subject for e in trail] == ["fact #1", "fact #2", "fact #3", "fact #4"]
    assert trail[3].summary == "deactivated on 2026-08-15; reason: left"
    assert [e.seq for e in north] == [1, 2, 4]
    assert [e.action for e in s2] == [Action.SEAT_ACTIVATE, Action.SEAT_DEACTIVATE]
    with (
        bare_engine.connect() as conn,
        conn.begin(),
        pytest.raises(IntegrityError, match="append-only"),
    ):
        conn.execute(text("DELETE FROM audit_log"))


def test_a_database_at_0001_with_history_upgrades_to_the_head_with_its_answers_unchanged(
    bare_engine: Engine,
) -> None:
    upgrade(bare_engine, "0001")
    assert schema_revision(bare_engine) == "0001"
    assert not is_current(bare_engine)
    with pytest.raises(
        SchemaNotCurrent, match=f"revision 0001, this seatledger needs {HEAD_REVISION}"
    ):
        require_current(bare_engine)
    # Today's use cases need today's schema: the old history is written through the store.
    clock = FixedClock(datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    write_old_history(bare_engine, clock)
    services = Services(SqlUnitOfWork(bare_engine), clock)
    before = answers(bare_engine)

    upgrade(bare_engine)
    assert schema_revision(bare_engine) == HEAD_REVISION
    require_current(bare_engine)
    assert answers(bare_engine) == before
    # The organisations are read with their zone changes, a table of 0009: none yet.
    with SqlUnitOfWork(bare_engine).transaction(write=False) as ledger:
        assert ledger.list_organisations() == [
            Organisation(OrgId("north"), "North"),
            Organisation(OrgId("south"), "South"),
        ]
    with bare_engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert differences == []
    # The facts recorded before the upgrade are protected too.
    with (
        bare_engine.connect() as conn,
        conn.begin(),
        pytest.raises(IntegrityError, match="append-only"),
    ):
        conn.execute(text("DELETE FROM seat_facts"))
    # New history goes on where the old ended.
    clock.advance(timedelta(minutes=1))
    assert isinstance(seats.activate(services, "s4", "north", actor="ops"), Success)


def test_a_newer_database_than_this_seatledger_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    assert schema_revision(engine) == "0099"
    assert not is_current(engine)
    with pytest.raises(SchemaNotCurrent, match="revision 0099"):
        require_current(engine)


def test_the_revision_of_a_blank_database_is_none_without_creating_anything(
    bare_engine: Engine,
) -> None:
    assert schema_revision(bare_engine) is None
    assert inspect(bare_engine).get_table_names() == []


STARTUP_PROBE = """
import sys
from seatledger.adapters.sql import SqlUnitOfWork, is_current, make_engine, require_current
engine = make_engine(sys.argv[1])
assert is_current(engine)
require_current(engine)
with SqlUnitOfWork(engine).transaction(write=False) as store:
    store.list_organisations()
    store.invoices(None, None)
heavy = sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("alembic", "psycopg", "mako")
    or name.startswith("sqlalchemy.dialects.postgresql")
)
print(",".join(heavy))
"""


def test_opening_a_sqlite_store_imports_neither_alembic_nor_postgresql(tmp_path: Path) -> None:
    """Every command opens the store: Alembic and the PostgreSQL dialect cost ~0.45 s to import."""
    from seatledger.adapters.sql import make_engine

    url = f"sqlite:///{tmp_path / 'fast.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    probe = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE, url],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == ""
