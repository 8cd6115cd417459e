"""Bulk roster snapshots, imported in order, give the seats a naive reading of them gives.

The naive reading, per user (docs/rosters.md, "Bulk mode"): a user listed in
snapshot i (imported on day d_i) with begin date b holds a seat from b, or
from d_i if b lies before the day the user was last dropped; a user who is
in snapshot i-1 and not in snapshot i is dropped as of d_i. And importing
any snapshot again changes nothing, on the same day or (but for enrollments
that begin then) a later one.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from roster_exports import enrollment, oneroster_files, org, user, write_folder

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.adapters.roster_files import read_roster
from seatledger.domain.rosters import RosterFormat, RosterPolicy
from seatledger.domain.services import organisations, questions, rosters
from seatledger.domain.services.context import Services

START = date(2025, 9, 1)
USERS = ("u1", "u2", "u3", "u4")

# A snapshot: the days since the previous import, and each listed user's begin (days after START).
snapshot = st.tuples(
    st.integers(min_value=1, max_value=20),
    st.dictionaries(st.sampled_from(USERS), st.integers(min_value=0, max_value=60)),
)


def naive(history: list[tuple[date, dict[str, date]]], day: date) -> set[str]:
    """Who holds a seat on ``day``, reading the snapshots one by one."""
    intervals: dict[str, list[list[date | None]]] = {u: [] for u in USERS}
    dropped: dict[str, date] = {}
    for imported, everyone in history:
        # A user whose enrollment begins after the import is not enrolled yet.
        listed = {u: b for u, b in everyone.items() if b <= imported}
        for u in USERS:
            spans = intervals[u]
            is_open = bool(spans) and spans[-1][1] is None
            if u in listed and not is_open:
                begin = listed[u]
                if u in dropped and begin < dropped[u]:
                    begin = imported
                spans.append([begin, None])
            elif u not in listed and is_open:
                spans[-1][1] = imported
                dropped[u] = imported
    return {
        u
        for u, spans in intervals.items()
        for start, end in spans
        if start is not None and start <= day and (end is None or day < end)
    }


@settings(max_examples=40, deadline=None)
@given(st.lists(snapshot, min_size=1, max_size=5))
def test_bulk_snapshots_give_the_naive_seats_and_a_repeat_changes_nothing(
    tmp_path_factory, snapshots: list[tuple[int, dict[str, int]]]
):
    folder: Path = tmp_path_factory.mktemp("rosters")
    uow = InMemoryUnitOfWork()
    services = Services(uow, SimulatedDay(START))
    organisations.add_organisation(services, "alpha", "Alpha").unwrap()
    policy = RosterPolicy(threshold=100)
    day = START
    history: list[tuple[date, dict[str, date]]] = []
    for number, (gap, listed) in enumerate(snapshots):
        day += timedelta(days=gap)
        begins = {u: START + timedelta(days=offset) for u, offset in listed.items()}
        files = oneroster_files(
            orgs=[org("alpha", "Alpha", "school")],
            users=[user(u, "Pupil", u) for u in USERS],
            enrollments=[
                enrollment(f"e-{u}", u, "alpha", begin=b.isoformat()) for u, b in begins.items()
            ],
        )
        path = write_folder(folder / f"night{number}", files)
        roster = read_roster(path, RosterFormat.ONEROSTER).unwrap()
        services = Services(uow, SimulatedDay(day))
        rosters.import_roster(services, roster, policy, source=path.name, actor="sync").unwrap()
        history.append((day, dict(begins.items())))
        # Importing the same snapshot again (the plan, not a replay) changes nothing.
        again = rosters.import_roster(services, roster, policy, source=path.name, actor="sync")
        assert again.unwrap().facts == 0
        assert not again.unwrap().activate
        assert not again.unwrap().deactivate
        later = Services(uow, SimulatedDay(day + timedelta(days=1)))
        dry = rosters.import_roster(
            later, roster, policy, source=path.name, actor="sync", dry_run=True
        ).unwrap()
        # A day later, only enrollments beginning that day make a change.
        assert all(change.on == day + timedelta(days=1) for change in dry.activate)
        assert not dry.deactivate
    last = history[-1][0]
    probe = START
    while probe <= last:
        answer = questions.seats_on(services, "alpha", probe, None).unwrap()
        held = {row.seat.removesuffix(".alpha") for row in answer.rows}
        assert held == naive(history, probe), probe
        probe += timedelta(days=1)
