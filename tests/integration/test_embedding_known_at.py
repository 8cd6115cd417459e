"""The embedding API answers an instant after the ledger's head as known at the head.

``seats_on``, ``seats_within`` and ``count_on`` with a ``known_at`` later than
the last recorded fact answer with everything recorded so far, and the
answer's cut (``as_known_at``) is that fact's instant, flagged by
``cut_at_head``: asked again with the cut, later, the rows are the same
(INV-2), while the later instant itself may then answer otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import seatledger
from seatledger import Ledger

SEPT_30 = date(2025, 9, 30)
FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with seatledger.connect(str(tmp_path / "ledger.db"), today=date(2025, 9, 1)) as opened:
        opened.add_organisation("acme", "Acme Care")
        opened.activate("s-1", "acme")
        opened.activate("s-2", "acme")
        yield opened


def test_a_future_known_at_is_answered_at_the_head_and_its_cut_stays_true(
    ledger: Ledger,
) -> None:
    answer = ledger.seats_on("acme", SEPT_30, known_at=FUTURE)
    head = answer.as_known_at
    assert head is not None
    assert head < FUTURE
    assert (answer.asked_known_at, answer.cut_at_head) == (FUTURE, True)
    assert [r.seat for r in answer.rows] == ["s-1", "s-2"]
    within = ledger.seats_within("acme", date(2025, 9, 1), SEPT_30, known_at=FUTURE)
    assert (within.as_known_at, within.cut_at_head) == (head, True)
    assert ledger.count_on("acme", SEPT_30, known_at=FUTURE) == 2

    later = ledger.with_today(date(2025, 9, 20))
    later.deactivate("s-2", on=date(2025, 9, 15), reason="left")

    moved = ledger.seats_on("acme", SEPT_30, known_at=FUTURE)
    assert [r.seat for r in moved.rows] == ["s-1"]
    assert moved.as_known_at is not None
    assert moved.as_known_at > head
    again = ledger.seats_on("acme", SEPT_30, known_at=head)
    assert (again.as_known_at, again.cut_at_head) == (head, False)
    assert again.rows == answer.rows
    assert ledger.seats_within("acme", date(2025, 9, 1), SEPT_30, known_at=head).rows == (
        within.rows
    )
    assert ledger.count_on("acme", SEPT_30, known_at=head) == 2
    assert ledger.count_on("acme", SEPT_30, known_at=FUTURE) == 1


def test_a_past_known_at_is_its_own_cut(ledger: Ledger) -> None:
    head = ledger.seats_on("acme", SEPT_30).as_known_at
    assert head is not None
    ledger.with_today(date(2025, 9, 2)).activate("s-3", "acme")
    answer = ledger.seats_on("acme", SEPT_30, known_at=head)
    assert (answer.as_known_at, answer.asked_known_at, answer.cut_at_head) == (head, head, False)
    assert [r.seat for r in answer.rows] == ["s-1", "s-2"]
