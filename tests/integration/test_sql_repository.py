"""Every method of the SQL ledger repository, against real databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest
from sqlalchemy import Engine, func, select

from seatledger.adapters.memory import InMemoryLedger
from seatledger.adapters.sql import SqlUnitOfWork
from seatledger.adapters.sql.repository import CHUNK
from seatledger.adapters.sql.tables import billing_spans
from seatledger.domain.admins import Admin
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.ports import LedgerHead
from seatledger.domain.queries import RangeMode
from seatledger.domain.seat import FactKind, SeatFact, SeatKind

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
ACME = OrgId("acme")
BETA = OrgId("beta")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes, microseconds=7)


def fact(seq: int, seat: str, kind: FactKind, on: date, minutes: int, **fields: object) -> SeatFact:
    return SeatFact(
        seq=seq,
        seat=SeatId(seat),
        kind=kind,
        effective_on=on,
        recorded_at=at(minutes),
        actor="tester",
        **fields,  # type: ignore[arg-type]
    )


def with_orgs(uow: SqlUnitOfWork) -> None:
    with uow.transaction(write=True) as ledger:
        ledger.add_organisation(Organisation(ACME, "Acme", "Europe/Amsterdam", "EUR"), at(0))
        ledger.add_organisation(
            Organisation(BETA, "Beta", "America/New_York", "USD", billing_relationship=False),
            at(0),
        )
        uow.commit()


HISTORY = [
    # s1: activated 1 Aug for acme, moved to beta on 15 Sep, deactivated 1 Oct.
    fact(
        1,
        "s1",
        FactKind.ACTIVATED,
        date(2026, 8, 1),
        1,
        org=ACME,
        holder="Ann",
        seat_kind=SeatKind.STUDENT,
        addons=frozenset({"library", "forms"}),
        reason="backfill",
    ),
    fact(2, "s2", FactKind.ACTIVATED, date(2026, 8, 10), 1, org=ACME, holder="Bob"),
    fact(3, "s1", FactKind.OWNER_CHANGED, date(2026, 9, 15), 2, org=BETA, from_org=ACME),
    fact(4, "s1", FactKind.DEACTIVATED, date(2026, 10, 1), 3),
    # A backdated correction: s2 really started on 20 Aug.
    fact(5, "s2", FactKind.ACTIVATED, date(2026, 8, 20), 4, org=ACME, holder="Bob", supersedes=2),
]


def appended(uow: SqlUnitOfWork, facts: list[SeatFact]) -> InMemoryLedger:
    """Append facts grouped by recorded instant to the SQL ledger and to a memory one."""
    memory = InMemoryLedger()
    memory.add_organisation(Organisation(ACME, "Acme"), at(0))
    groups: dict[datetime, list[SeatFact]] = {}
    for f in facts:
        groups.setdefault(f.recorded_at, []).append(f)
    for instant, group in groups.items():
        head = LedgerHead(group[-1].seq, instant)
        with uow.transaction(write=True) as ledger:
            ledger.append(group, head)
            uow.commit()
        memory.append(group, head)
    return memory


def test_organisations_are_stored_listed_by_id_and_move_the_head_instant(
    uow: SqlUnitOfWork,
) -> None:
    with_orgs(uow)
    with uow.transaction(write=False) as ledger:
        assert ledger.get_organisation(ACME) == Organisation(ACME, "Acme")
        assert ledger.get_organisation(OrgId("nobody")) is None
        assert [o.id for o in ledger.list_organisations()] == ["acme", "beta"]
        beta = ledger.get_organisation(BETA)
        assert beta is not None
        assert beta.billing_relationship is False
        assert beta.timezone == "America/New_York"
        assert ledger.head() == LedgerHead(0, at(0))


def test_facts_come_back_exactly_as_appended_in_recorded_order(uow: SqlUnitOfWork) -> None:
    with_orgs(uow)
    appended(uow, HISTORY)
    with uow.transaction(write=False) as ledger:
        assert list(ledger.seat_facts(SeatId("s1"))) == [HISTORY[0], HISTORY[2], HISTORY[3]]
        assert list(ledger.seat_facts(SeatId("s2"))) == [HISTORY[1], HISTORY[4]]
        assert list(ledger.seat_facts(SeatId("s3"))) == []
        assert ledger.head() == LedgerHead(5, at(4))
        stored = ledger.seat_facts(SeatId("s1"))[0]
        assert stored.recorded_at.tzinfo is UTC
        assert stored.recorded_at.microsecond == 7


def test_instants_in_any_offset_are_stored_as_the_same_utc_instant(uow: SqlUnitOfWork) -> None:
    with_orgs(uow)
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 9, 2, 11, 30, 0, 123456, tzinfo=plus_two)
    f = attrs.evolve(HISTORY[0], recorded_at=local)
    with uow.transaction(write=True) as ledger:
        ledger.append([f], LedgerHead(1, local))
        uow.commit()
    with uow.transaction(write=False) as ledger:
        (stored,) = ledger.seat_facts(SeatId("s1"))
        assert stored.recorded_at == local
        assert stored.recorded_at == datetime(2026, 9, 2, 9, 30, 0, 123456, tzinfo=UTC)
        assert stored.recorded_at.utcoffset() == timedelta(0)


def test_a_naive_instant_is_refused_before_it_reaches_the_database(uow: SqlUnitOfWork) -> None:
    with_orgs(uow)
    naive = attrs.evolve(HISTORY[0], recorded_at=datetime(2026, 9, 2, 9, 0))
    with uow.transaction(write=True) as ledger, pytest.raises(ValueError, match="naive"):
        ledger.append([naive], LedgerHead(1, at(1)))


def test_existing_seats_are_found_across_many_chunks(uow: SqlUnitOfWork) -> None:
    with_orgs(uow)
    many = [
        fact(i + 1, f"seat-{i:05d}", FactKind.ACTIVATED, date(2026, 8, 1), 1, org=ACME)
        for i in range(CHUNK * 2 + 17)
    ]
    with uow.transaction(write=True) as ledger:
        ledger.append(many, LedgerHead(len(many), at(1)))
        uow.commit()
    asked = {SeatId(f"seat-{i:05d}") for i in range(0, CHUNK * 3, 3)} | {SeatId("nope")}
    with uow.transaction(write=False) as ledger:
        found = ledger.existing_seats(asked)
    assert found == {s for s in asked if s != "nope" and int(s[5:]) < CHUNK * 2 + 17}


def test_a_write_transaction_without_commit_leaves_nothing(uow: SqlUnitOfWork) -> None:
    with_orgs(uow)
    with uow.transaction(write=True) as ledger:
        ledger.append(HISTORY[:2], LedgerHead(2, at(1)))
        ledger.add_admin(Admin(ACME, "alice", "hash"))
    with uow.transaction(write=False) as ledger:
        assert ledger.existing_seats({SeatId("s1"), SeatId("s2")}) == set()
        assert ledger.head() == LedgerHead(0, at(0))
        assert ledger.get_admin(ACME, "alice") is None
        assert ledger.billable_on(ACME, date(2026, 9, 1), None) == []


def test_a_failing_write_transaction_is_rolled_back(uow: SqlUnitOfWork) -> None:
    with_orgs(uow)

    def append_then_fail() -> None:
        with uow.transaction(write=True) as ledger:
            ledger.append(HISTORY[:2], LedgerHead(2, at(1)))
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        append_then_fail()
    with uow.transaction(write=False) as ledger:
        assert ledger.head().last_seq == 0


def test_commit_outside_a_write_transaction_is_a_bug(uow: SqlUnitOfWork) -> None:
    with pytest.raises(RuntimeError):
        uow.commit()
    with uow.transaction(write=False), pytest.raises(RuntimeError):
        uow.commit()


@pytest.mark.parametrize(
    ("on", "known_minutes"),
    [
        (date(2026, 8, 15), None),
        (date(2026, 8, 15), 3),
        (date(2026, 8, 25), None),
        (date(2026, 9, 14), 1),
        (date(2026, 9, 15), None),
        (date(2026, 9, 15), 1),
        (date(2026, 9, 30), None),
        (date(2026, 10, 1), 2),
        (date(2026, 10, 1), None),
        (date(2026, 7, 1), 0),
    ],
)
def test_billable_on_and_its_count_answer_as_the_memory_ledger(
    uow: SqlUnitOfWork, on: date, known_minutes: int | None
) -> None:
    with_orgs(uow)
    memory = appended(uow, HISTORY)
    memory.add_organisation(Organisation(BETA, "Beta"), at(0))
    known = at(known_minutes) if known_minutes is not None else None
    with uow.transaction(write=False) as ledger:
        for org in (ACME, BETA):
            assert ledger.billable_on(org, on, known) == memory.billable_on(org, on, known)
            assert ledger.count_billable(org, on, known) == memory.count_billable(org, on, known)


@pytest.mark.parametrize("mode", list(RangeMode))
@pytest.mark.parametrize("known_minutes", [None, 1, 2, 3, 4, 5])
def test_active_within_answers_as_the_memory_ledger(
    uow: SqlUnitOfWork, mode: RangeMode, known_minutes: int | None
) -> None:
    with_orgs(uow)
    memory = appended(uow, HISTORY)
    known = at(known_minutes) if known_minutes is not None else None
    ranges = [
        (date(2026, 8, 1), date(2026, 8, 31)),
        (date(2026, 8, 15), date(2026, 9, 20)),
        (date(2026, 9, 15), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 12, 31)),
    ]
    with uow.transaction(write=False) as ledger:
        for org in (ACME, BETA):
            for first, last in ranges:
                expected = memory.active_within(org, first, last, mode, known)
                assert ledger.active_within(org, first, last, mode, known) == expected


def test_the_seat_rows_carry_holder_kind_addons_and_both_seat_dates(uow: SqlUnitOfWork) -> None:
    with_orgs(uow)
    appended(uow, HISTORY)
    with uow.transaction(write=False) as ledger:
        (row,) = ledger.billable_on(BETA, date(2026, 9, 20), None)
    assert row.seat == "s1"
    assert row.holder == "Ann"
    assert row.kind is SeatKind.STUDENT
    assert row.addons == frozenset({"library", "forms"})
    assert (row.activated_on, row.deactivated_on) == (date(2026, 8, 1), date(2026, 10, 1))
    assert (row.billed_from, row.billed_until) == (date(2026, 9, 15), date(2026, 10, 1))
    assert row.paying_org == BETA


def test_a_backdated_correction_closes_the_old_span_and_never_deletes_it(
    uow: SqlUnitOfWork, engine: Engine
) -> None:
    with_orgs(uow)
    appended(uow, HISTORY)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                billing_spans.c.start_on, billing_spans.c.known_from, billing_spans.c.known_until
            )
            .where(billing_spans.c.seat_id == "s2")
            .order_by(billing_spans.c.known_from)
        ).all()
        total = conn.execute(select(func.count()).select_from(billing_spans)).scalar_one()
    assert [tuple(r) for r in rows] == [
        (date(2026, 8, 10), at(1), at(4)),
        (date(2026, 8, 20), at(4), None),
    ]
    # s1: one span (acme, open) then two (acme until 15 Sep, beta open), then both closed by 1 Oct.
    assert total == 2 + 1 + 2 + 2


def test_admins_are_added_found_saved_and_listed_per_organisation(uow: SqlUnitOfWork) -> None:
    with_orgs(uow)
    with uow.transaction(write=True) as ledger:
        ledger.add_admin(Admin(ACME, "zoe", "h1"))
        ledger.add_admin(Admin(ACME, "alice", "h2"))
        ledger.add_admin(Admin(BETA, "bob", "h3"))
        uow.commit()
    with uow.transaction(write=True) as ledger:
        ledger.save_admin(Admin(ACME, "alice", "h2", failed_attempts=5, locked=True))
        uow.commit()
    with uow.transaction(write=False) as ledger:
        assert ledger.get_admin(ACME, "alice") == Admin(ACME, "alice", "h2", 5, True)
        assert ledger.get_admin(BETA, "alice") is None
        assert [a.id for a in ledger.list_admins(ACME)] == ["alice", "zoe"]
        assert ledger.list_admins(BETA) == [Admin(BETA, "bob", "h3")]
        assert ledger.list_admins(OrgId("nobody")) == []


def test_transfer_facts_are_found_by_either_organisation_and_by_request(
    uow: SqlUnitOfWork,
) -> None:
    with_orgs(uow)
    gamma = OrgId("gamma")
    with uow.transaction(write=True) as ledger:
        ledger.add_organisation(Organisation(gamma, "Gamma"), at(0))
        uow.commit()
    d = date(2026, 9, 1)
    facts = [
        fact(1, "s1", FactKind.ACTIVATED, d, 1, org=ACME),
        fact(2, "s2", FactKind.ACTIVATED, d, 1, org=BETA),
        fact(3, "s1", FactKind.TRANSFER_REQUESTED, d, 2, org=BETA, from_org=ACME, request="r1",
             expires_on=date(2026, 9, 30)),
        fact(4, "s2", FactKind.TRANSFER_REQUESTED, d, 3, org=gamma, from_org=BETA, request="r2"),
        fact(5, "s1", FactKind.TRANSFER_REJECTED, d, 4, request="r1", reason="no"),
    ]  # fmt: skip
    memory = appended(uow, facts)
    with uow.transaction(write=False) as ledger:
        for org in (ACME, BETA, gamma, OrgId("nobody"), None):
            assert ledger.transfer_facts(org) == memory.transfer_facts(org)
        assert [f.seq for f in ledger.transfer_facts(ACME)] == [3, 5]
        assert [f.seq for f in ledger.transfer_facts(BETA)] == [3, 4, 5]
        assert [f.seq for f in ledger.transfer_facts(None)] == [3, 4, 5]
        assert [f.seq for f in ledger.request_facts("r1")] == [3, 5]
        assert ledger.request_facts("r9") == []
        assert ledger.request_facts("r1")[0].expires_on == date(2026, 9, 30)
