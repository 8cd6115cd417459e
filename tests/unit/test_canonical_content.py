"""The canonical form an invoice's content hash is computed over."""

from __future__ import annotations

from datetime import date

import pytest

from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import _seat_text, _text
from seatledger.domain.queries import SeatRow
from seatledger.domain.seat import SeatKind

ROWS = [
    SeatRow(
        seat=SeatId("s-1"),
        holder="Zoë Ångström \u201cquoted\u201d",
        kind=SeatKind.STUDENT,
        activated_on=date(2025, 1, 31),
        deactivated_on=date(2025, 12, 1),
        paying_org=OrgId("north"),
        billed_from=date(2025, 3, 1),
        billed_until=date(2025, 12, 1),
        addons=frozenset({"library", "exam", "coaching"}),
    ),
    SeatRow(
        seat=SeatId("s-2"),
        holder="",
        kind=SeatKind.REGULAR,
        activated_on=date(2024, 2, 29),
        deactivated_on=None,
        paying_org=OrgId("south"),
        billed_from=date(2024, 2, 29),
        billed_until=None,
        addons=frozenset(),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.seat)
def test_an_evidence_seat_has_the_same_canonical_form_as_any_attrs_value(row: SeatRow) -> None:
    generic = {a.name: _text(getattr(row, a.name)) for a in SeatRow.__attrs_attrs__}
    assert _seat_text(row) == generic
    assert _text(row) == generic
