"""The ledger as a state machine: random histories driven through the use cases.

Each ``@invariant`` cites its number in docs/invariants.md. The oracle used by
INV-1 and INV-3 is deliberately naive and independent of ``timeline.fold``:
on a date D a seat is active iff the last opening or closing fact in force
dated on or before D (in application order) is an opening, and its payer is
the organisation of the last payer-setting fact dated on or before D.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from returns.result import Failure, Result, Success

from seatledger.adapters.clock import SimulatedDay
from seatledger.adapters.memory import InMemoryUnitOfWork
from seatledger.domain.errors import LedgerError
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.queries import RangeMode, SeatRow
from seatledger.domain.seat import CLOSING, MOVES_PAYER, OPENING, FactKind, SeatFact
from seatledger.domain.services import organisations, questions, seats
from seatledger.domain.services.context import Services
from seatledger.domain.timeline import timeline

START = date(2025, 1, 1)
SEATS = [f"seat-{n}" for n in range(3)]
ZONES = ["Europe/Amsterdam", "Pacific/Kiritimati", "America/Juneau", "Australia/Lord_Howe"]
PAYER_KINDS = [FactKind.OWNER_CHANGED, FactKind.TRANSFER_APPROVED, FactKind.TAKEN_OVER]
HISTORY_ONLY = [
    FactKind.TRANSFER_REQUESTED,
    FactKind.TRANSFER_REJECTED,
    FactKind.TRANSFER_WITHDRAWN,
]

backdating = st.sampled_from([0, 0, 1, 2, 3, 5, 8, 13, 30])
# Mostly with a reason, so that backdated facts are often accepted.
reasons = st.sampled_from(["late paperwork", "moved", "typo", "left", "back", None, "   "])


def in_force(facts: list[SeatFact]) -> list[SeatFact]:
    """Facts not superseded and not retractions, in application order (the oracle's view)."""
    superseded = {f.supersedes for f in facts}
    kept = [f for f in facts if f.seq not in superseded and f.kind is not FactKind.RETRACTED]
    return sorted(kept, key=lambda f: (f.effective_on, f.seq))


def oracle_active(facts: list[SeatFact], day: date) -> bool:
    last = [f for f in facts if f.effective_on <= day and (f.kind in OPENING or f.kind in CLOSING)]
    return bool(last) and last[-1].kind in OPENING


def oracle_payer(facts: list[SeatFact], day: date) -> OrgId | None:
    setting = [
        f
        for f in facts
        if f.effective_on <= day
        and (f.kind is FactKind.ACTIVATED or f.kind in MOVES_PAYER)
        and f.org is not None
    ]
    return setting[-1].org if setting else None


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.uow = InMemoryUnitOfWork()
        self.day = START
        self.services = Services(self.uow, SimulatedDay(self.day))
        self.orgs: list[str] = []
        self.seen: dict[int, SeatFact] = {}
        self.answers: list[tuple[str, date, date | None, datetime, tuple[SeatRow, ...]]] = []

    # --- helpers ------------------------------------------------------------------
    def snapshot(self) -> Any:
        ledger = self.uow.ledger
        return (
            ledger.head(),
            {s: list(f) for s, f in ledger.facts.items()},
            dict(ledger.organisations),
        )

    def check(self, before: Any, result: Result[Any, LedgerError]) -> Result[Any, LedgerError]:
        """A refusal changes nothing; an acceptance appends one command's facts."""
        if isinstance(result, Failure):
            assert isinstance(result.failure(), LedgerError), result
            assert self.snapshot() == before, f"refusal {result} changed the ledger"
        return result

    def facts(self, seat: str) -> list[SeatFact]:
        return list(self.uow.ledger.facts.get(SeatId(seat), []))

    def all_facts(self) -> list[SeatFact]:
        return sorted((f for fs in self.uow.ledger.facts.values() for f in fs), key=lambda f: f.seq)

    def window(self) -> list[date]:
        """Every date where an answer can change, the day before each, and today."""
        days = {self.day, START}
        for fact in self.all_facts():
            days.add(fact.effective_on)
            days.add(fact.effective_on - timedelta(days=1))
        return sorted(days)

    # --- rules: the world -------------------------------------------------------------
    @initialize()
    def two_organisations_and_two_seats(self) -> None:
        for org in ["acme", "globex"]:
            organisations.add_organisation(self.services, org, org.title()).unwrap()
            self.orgs.append(org)
        # Two seats from the first day, so short runs still have histories to change.
        seats.activate(self.services, SEATS[0], "acme", actor="lisa").unwrap()
        seats.activate(self.services, SEATS[1], "globex", actor="lisa").unwrap()

    @rule(zone_name=st.sampled_from(ZONES))
    @precondition(lambda self: len(self.orgs) < 4)
    def add_organisation(self, zone_name: str) -> None:
        org = f"org-{len(self.orgs)}"
        organisations.add_organisation(self.services, org, org, zone_name).unwrap()
        self.orgs.append(org)

    @rule(days=st.sampled_from([0, 0, 1, 1, 2, 5, 17]))
    def time_passes(self, days: int) -> None:
        self.day += timedelta(days=days)
        self.services = Services(self.uow, SimulatedDay(self.day))

    # --- rules: seat life -------------------------------------------------------------
    @rule(seat=st.sampled_from(SEATS), org_n=st.integers(0, 3), back=backdating, reason=reasons)
    def activate(self, seat: str, org_n: int, back: int, reason: str | None) -> None:
        org = self.orgs[org_n % len(self.orgs)]
        on = self.day - timedelta(days=back)
        before = self.snapshot()
        result = self.check(
            before,
            seats.activate(self.services, seat, org, actor="lisa", on=on, reason=reason),
        )
        if back > 0 and not reason:
            assert result.failure().code == "backdated-without-reason"

    @rule(
        seat=st.sampled_from(SEATS),
        back=backdating,
        reason=reasons,
        verb=st.sampled_from(["deactivate", "complete", "reactivate"]),
    )
    def change_activity(self, seat: str, back: int, reason: str | None, verb: str) -> None:
        on = self.day - timedelta(days=back)
        before = self.snapshot()
        use_case = getattr(seats, verb)
        result = self.check(
            before, use_case(self.services, seat, actor="lisa", on=on, reason=reason)
        )
        if isinstance(result, Success):
            assert result.unwrap().effective_on == on
        if not self.facts(seat):
            assert result.failure().code in {"unknown-seat"}

    @rule(
        seat=st.sampled_from(SEATS),
        ahead=st.integers(1, 5),
        verb=st.sampled_from(["deactivate", "complete", "reactivate", "clock-behind"]),
    )
    def an_invalid_attempt_is_refused_without_change(
        self, seat: str, ahead: int, verb: str
    ) -> None:
        before = self.snapshot()
        last = self.uow.ledger.head().last_recorded_at
        if verb == "clock-behind":
            assert last is not None
            behind = Services(self.uow, SimulatedDay(last.date() - timedelta(days=ahead)))
            result = self.check(before, organisations.add_organisation(behind, "late", "Late"))
            assert result.failure().code == "clock-went-backwards"
            return
        on = self.day + timedelta(days=ahead)
        result = self.check(
            before, getattr(seats, verb)(self.services, seat, actor="lisa", on=on, reason="plan")
        )
        assert isinstance(result, Failure)
        assert result.failure().code in {"future-date", "unknown-seat"}

    @rule(data=st.data(), back=backdating)
    @precondition(lambda self: bool(self.uow.ledger.facts))
    def correct(self, data: st.DataObject, back: int) -> None:
        fact = data.draw(st.sampled_from(self.all_facts()))
        on = self.day - timedelta(days=back)
        before = self.snapshot()
        result = self.check(
            before,
            seats.correct(self.services, fact.seat, fact.seq, on=on, actor="jean", reason="typo"),
        )
        if isinstance(result, Success):
            assert result.unwrap().supersedes == fact.seq

    @rule(data=st.data())
    @precondition(lambda self: bool(self.uow.ledger.facts))
    def retract(self, data: st.DataObject) -> None:
        fact = data.draw(st.sampled_from(self.all_facts()))
        before = self.snapshot()
        result = self.check(
            before, seats.retract(self.services, fact.seat, fact.seq, actor="jean", reason="no")
        )
        superseded = {f.supersedes for f in self.facts(fact.seat)}
        if fact.seq in superseded and fact.kind is not FactKind.RETRACTED:
            # Already superseded before this rule (or just now, by this retraction).
            assert isinstance(result, Success) or result.failure().code == "fact-not-correctable"

    @rule(
        seat=st.sampled_from(SEATS),
        org_n=st.integers(0, 3),
        back=backdating,
        kind=st.sampled_from(PAYER_KINDS + HISTORY_ONLY),
    )
    def change_payer(self, seat: str, org_n: int, back: int, kind: FactKind) -> None:
        org = self.orgs[org_n % len(self.orgs)]
        on = self.day - timedelta(days=back)
        before = self.snapshot()
        with self.uow.transaction(write=True) as ledger:
            known = ledger.seat_facts(SeatId(seat))
            result = seats.change_payer(
                self.services, ledger, SeatId(seat), known, OrgId(org), on, kind=kind, actor="x"
            )
            if isinstance(result, Success):
                self.uow.commit()
        self.check(before, result)

    # --- rules: questions -------------------------------------------------------------
    @rule(org_n=st.integers(0, 3), back=st.integers(-3, 60), length=st.none() | st.integers(0, 40))
    def ask_and_remember(self, org_n: int, back: int, length: int | None) -> None:
        org = self.orgs[org_n % len(self.orgs)]
        first = self.day - timedelta(days=back)
        if length is None:
            answer = questions.seats_on(self.services, org, first).unwrap()
            last = None
        else:
            last = first + timedelta(days=length)
            answer = questions.seats_within(self.services, org, first, last).unwrap()
        if answer.as_known_at is not None:
            self.answers.append((org, first, last, answer.as_known_at, answer.rows))

    # --- invariants -----------------------------------------------------------------
    @invariant()
    def inv_1_exactly_one_payer_on_every_active_date(self) -> None:
        """INV-1 (docs/invariants.md)."""
        ledger = self.uow.ledger
        for day in self.window():
            listed: dict[SeatId, list[OrgId]] = {}
            for org in self.orgs:
                for row in ledger.billable_on(OrgId(org), day, None):
                    listed.setdefault(row.seat, []).append(OrgId(org))
            for seat in ledger.facts:
                force = in_force(self.facts(seat))
                if oracle_active(force, day):
                    assert listed.get(seat) == [oracle_payer(force, day)], (seat, day, listed)
                else:
                    assert seat not in listed, (seat, day, listed)

    @invariant()
    def inv_2_answers_as_known_at_a_past_instant_never_change(self) -> None:
        """INV-2 (docs/invariants.md)."""
        for org, first, last, cut, rows in self.answers:
            if last is None:
                again = questions.seats_on(self.services, org, first, cut).unwrap()
            else:
                again = questions.seats_within(
                    self.services, org, first, last, RangeMode.OVERLAPPING, cut
                ).unwrap()
            assert again.rows == rows, (org, first, last, cut)

    @invariant()
    def inv_3_half_open_deactivated_on_d_is_not_counted_activated_on_d_is(self) -> None:
        """INV-3 (docs/invariants.md)."""
        ledger = self.uow.ledger
        for seat in ledger.facts:
            force = in_force(self.facts(seat))
            for fact in force:
                if fact.kind not in OPENING and fact.kind not in CLOSING:
                    continue
                same_day = [
                    f
                    for f in force
                    if f.effective_on == fact.effective_on and (f.kind in OPENING | CLOSING)
                ]
                # The last opening/closing fact of the day decides (ties in recorded order).
                if same_day[-1] is not fact:
                    continue
                counted = any(
                    row.seat == seat
                    for org in self.orgs
                    for row in ledger.billable_on(OrgId(org), fact.effective_on, None)
                )
                assert counted == (fact.kind in OPENING), (seat, fact)

    @invariant()
    def inv_4_intervals_are_half_open_ordered_and_history_is_append_only(self) -> None:
        """INV-4 (docs/invariants.md)."""
        for seat, facts in self.uow.ledger.facts.items():
            intervals = timeline(seat, facts).unwrap().intervals
            for interval in intervals:
                assert interval.end is None or interval.start <= interval.end
            for before, after in itertools.pairwise(intervals):
                assert before.end is not None
                assert before.end <= after.start
        every = self.all_facts()
        for fact in every:
            previously = self.seen.setdefault(fact.seq, fact)
            assert previously == fact, f"fact #{fact.seq} changed"
        assert set(self.seen) == {f.seq for f in every}, "a fact disappeared"
        # Recorded instants follow sequence numbers; one command shares one instant.
        for earlier, later in itertools.pairwise(every):
            assert earlier.recorded_at <= later.recorded_at
        if every:
            head = self.uow.ledger.head()
            assert head.last_seq == every[-1].seq
            assert head.last_recorded_at is not None
            assert head.last_recorded_at >= every[-1].recorded_at

    @invariant()
    def inv_6_conservation_billed_seats_equal_active_seats(self) -> None:
        """INV-6 (docs/invariants.md)."""
        ledger = self.uow.ledger
        timelines = [timeline(s, f).unwrap() for s, f in ledger.facts.items()]
        for day in self.window():
            billed = sum(ledger.count_billable(OrgId(org), day, None) for org in self.orgs)
            active = sum(1 for tl in timelines if tl.is_active_on(day))
            assert billed == active, day


LedgerMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_the_ledger_keeps_its_invariants_under_random_histories = LedgerMachine.TestCase
