"""A host LMS that keeps its own users table: (a) events into the API, (b) a repository adapter."""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import seatledger
from seatledger import LedgerRefused, NewSeat, RangeMode

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from lms_host import READ_ONLY, LmsDatabase, LmsEvents, LmsUnitOfWork, seat_of

TODAY = date(2026, 10, 17)
CLIENTS = {"xtra": "America/Chicago", "nordwind": "Europe/Amsterdam", "kauri": "Pacific/Auckland"}


def fill(host: LmsDatabase, seed: int = 2017) -> None:
    """Clients and learners with random activation and deactivation dates up to TODAY."""
    rng = random.Random(seed)
    for client, zone in CLIENTS.items():
        host.add_client(client, client.title(), zone)
    for n in range(90):
        client = rng.choice(sorted(CLIENTS))
        start = date(2025, 6, 1) + timedelta(days=rng.randrange(480))
        learner = host.activate_learner(
            client, f"Learner {n}", start, is_student=rng.random() < 0.2, actor=f"admin@{client}"
        )
        if rng.random() < 0.5:
            end = start + timedelta(days=rng.randrange(0, 200))
            if end <= TODAY:
                host.deactivate_learner(learner.id, end, actor=f"admin@{client}")


DATES = [date(2025, 6, 1) + timedelta(days=d) for d in range(0, 505, 23)] + [
    date(2025, 9, 1),
    date(2026, 9, 1),
    date(2026, 9, 30),
    TODAY,
]
RANGES = [
    (date(2025, 9, 1), date(2025, 9, 30)),
    (date(2025, 12, 15), date(2026, 2, 14)),
    (date(2026, 1, 1), date(2026, 12, 31)),
    (date(2025, 6, 1), date(2025, 6, 1)),
]


# --- (a) events ---------------------------------------------------------------------


def test_events_keep_the_ledger_in_step_and_answer_the_dispute(tmp_path: Path) -> None:
    with seatledger.connect(str(tmp_path / "ledger.db"), today=TODAY, actor="lms") as ledger:
        host = LmsDatabase(tmp_path / "lms.db", hooks=LmsEvents(ledger))
        fill(host)
        for client in CLIENTS:
            for day in DATES:
                answer = ledger.seats_on(client, day)
                expected = {
                    (seat_of(x.id), x.activated_on, x.deactivated_on)
                    for x in host.active_on(client, day)
                }
                # The dispute answer: each seat with both its dates, as the host's table has them.
                got = {(r.seat, r.activated_on, r.deactivated_on) for r in answer.rows}
                assert got == expected, (client, day)
        learner = host.learners("xtra")[0]
        (first, *_) = ledger.history(seat_of(learner.id)).entries
        assert first.fact.actor == "admin@xtra"
        assert first.fact.holder == learner.name


def test_a_refused_event_rolls_back_the_hosts_change(tmp_path: Path) -> None:
    with seatledger.in_memory(TODAY) as ledger:
        host = LmsDatabase(tmp_path / "lms.db", hooks=LmsEvents(ledger))
        host.add_client("acme", "Acme")
        learner = host.activate_learner("acme", "Ada", date(2026, 9, 1), actor="admin")
        with pytest.raises(LedgerRefused) as refused:
            host.deactivate_learner(learner.id, date(2026, 8, 1), actor="admin")
        assert refused.value.code == "deactivation-before-activation"
        assert host.learners("acme")[0].deactivated_on is None


# --- (b) a repository adapter over the host's tables -----------------------------------


@pytest.fixture
def host(tmp_path: Path) -> LmsDatabase:
    clock = iter(datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=m) for m in range(10_000))
    lms = LmsDatabase(tmp_path / "lms.db", now=lambda: next(clock))
    fill(lms)
    return lms


def test_the_adapter_answers_exactly_as_seatledgers_own_sql_ledger(
    host: LmsDatabase, tmp_path: Path
) -> None:
    from_host = seatledger.over(LmsUnitOfWork(host.path), today=TODAY)
    with seatledger.connect(str(tmp_path / "ledger.db"), today=TODAY) as own:
        for client, zone in CLIENTS.items():
            own.add_organisation(client, client.title(), timezone=zone)
        own.import_seats(
            [
                NewSeat(
                    seat_of(x.id),
                    x.client_id,
                    x.activated_on,
                    x.deactivated_on,
                    kind="student" if x.is_student else "regular",
                    holder=x.name,
                )
                for x in host.learners()
            ],
            source="lms",
        )
        compared = 0
        for client in CLIENTS:
            for day in DATES:
                expected = own.seats_on(client, day).rows
                assert from_host.seats_on(client, day).rows == expected, (client, day)
                assert from_host.count_on(client, day) == len(expected)
                compared += len(expected)
            for first, last in RANGES:
                for mode in RangeMode:
                    expected = own.seats_within(client, first, last, mode=mode).rows
                    got = from_host.seats_within(client, first, last, mode=mode).rows
                    assert got == expected, (client, first, last, mode)
        assert compared > 100  # the check compared real answers, not empty ones


def test_the_adapter_shows_a_learners_history_from_its_row(host: LmsDatabase) -> None:
    ledger = seatledger.over(LmsUnitOfWork(host.path), today=TODAY)
    gone = next(x for x in host.learners() if x.deactivated_on is not None)
    history = ledger.history(seat_of(gone.id))
    assert [(e.fact.kind.value, e.fact.effective_on) for e in history.entries] == [
        ("activated", gone.activated_on),
        ("deactivated", gone.deactivated_on),
    ]
    assert [o.id for o in ledger.organisations()] == sorted(CLIENTS)


def test_the_adapter_is_read_only(host: LmsDatabase) -> None:
    ledger = seatledger.over(LmsUnitOfWork(host.path), today=TODAY)
    with pytest.raises(NotImplementedError, match=READ_ONLY):
        ledger.activate("learner-9999", "xtra")
    with pytest.raises(NotImplementedError, match=READ_ONLY):
        ledger.add_organisation("new", "New")


def test_as_known_at_before_a_rows_update_does_not_see_it(host: LmsDatabase) -> None:
    fixed = datetime(2026, 10, 1, tzinfo=UTC)
    ledger = seatledger.over(LmsUnitOfWork(host.path, recorded_at=fixed), today=TODAY)
    assert ledger.count_on("xtra", TODAY) > 0
    before = fixed - timedelta(seconds=1)
    assert ledger.seats_on("xtra", TODAY, known_at=before).count == 0
