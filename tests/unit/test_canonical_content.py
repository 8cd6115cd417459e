"""The canonical form an invoice's content hash is computed over."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.invoice import (
    _SEATS_MARK,
    Evidence,
    PriceSheet,
    _seat_json,
    _text,
    canonical_content,
)
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


def generic(value: object) -> str:
    """The canonical text of anything, every part through ``_text`` and ``json.dumps``."""
    return json.dumps(_text(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.seat)
def test_an_evidence_seat_is_written_as_json_dumps_writes_any_attrs_value(row: SeatRow) -> None:
    assert _seat_json(row) == generic(row)


SHEET = PriceSheet(
    plan="standard", plan_name="Standard", cadence="monthly", reference_rule="month-end",
    seat_price=Decimal("39.00"), student_price=Decimal("19.50"),
    addon_prices={"library": Decimal("2.50")}, usage_prices={}, licensed=None,
    overage_price=None, vat_percent=Decimal("21"), currency="EUR", rounding="half-up",
    discount_code=None, discount_kind=None, discount_value=None, discount_applies=False,
    contract_version=1,
)  # fmt: skip
FIELDS = {"id": "INV-2025-11-north", "org": "north", "total": Decimal("47.19")}


def evidence_of(seats: list[SeatRow]) -> Evidence:
    return Evidence(
        as_known_at=datetime(2025, 12, 1, 9, 30, tzinfo=UTC),
        reference_date=date(2025, 11, 30),
        usage_from=None,
        usage_until=None,
        prices=SHEET,
        seats=tuple(seats),
        usage=(),
        adjustments=(),
    )


def expected_text(evidence: Evidence) -> str:
    return generic({"invoice": dict(FIELDS), "evidence": evidence})


texts = st.text(max_size=12)
days = st.dates(date(1, 1, 1), date(9999, 12, 31))
seat_rows = st.builds(
    SeatRow,
    seat=texts.map(SeatId),
    holder=st.one_of(texts, st.just(_SEATS_MARK)),
    kind=st.sampled_from(SeatKind),
    activated_on=days,
    deactivated_on=st.none() | days,
    paying_org=texts.map(OrgId),
    billed_from=days,
    billed_until=st.none() | days,
    addons=st.frozensets(texts, max_size=3),
)


@given(st.lists(seat_rows, max_size=6))
def test_the_canonical_text_is_json_dumps_of_everything_in_canonical_form(
    seats: list[SeatRow],
) -> None:
    evidence = evidence_of(seats)
    assert canonical_content(FIELDS, evidence) == expected_text(evidence)


def test_a_holder_named_like_the_seats_marker_falls_back_to_the_general_form() -> None:
    odd = SeatRow(
        seat=SeatId("s-3"), holder=_SEATS_MARK, kind=SeatKind.REGULAR,
        activated_on=date(2025, 1, 1), deactivated_on=None, paying_org=OrgId("north"),
        billed_from=date(2025, 1, 1), billed_until=None, addons=frozenset(),
    )  # fmt: skip
    evidence = evidence_of([*ROWS, odd])
    text = canonical_content(FIELDS, evidence)
    assert text == expected_text(evidence)
    assert json.loads(text)["evidence"]["seats"][2]["holder"] == _SEATS_MARK
