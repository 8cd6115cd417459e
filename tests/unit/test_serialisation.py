"""JSON documents and CSV rows: dates and instants as strings, renames at the edge."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from seatledger.adapters.serialisation import (
    CSV_COLUMNS,
    csv_row,
    history_document,
    neutralise_formula,
    seat_rows_csv,
    seats_answer_document,
    to_json,
)
from seatledger.domain.identifiers import OrgId, SeatId
from seatledger.domain.organisation import Organisation
from seatledger.domain.queries import RangeMode, SeatRow
from seatledger.domain.seat import FactKind, SeatFact, SeatKind
from seatledger.domain.services.imports import ImportSummary
from seatledger.domain.services.questions import SeatsAnswer
from seatledger.domain.services.seats import HistoryEntry, SeatHistory
from seatledger.domain.timeline import timeline

REPORT = datetime(2017, 9, 1, 23, 59, 59, tzinfo=UTC)


def row(seat: str = "s-001", holder: str = "Ada Lovelace", **changes: object) -> SeatRow:
    fields: dict[str, object] = {
        "seat": SeatId(seat),
        "holder": holder,
        "kind": SeatKind.REGULAR,
        "activated_on": date(2017, 3, 1),
        "deactivated_on": date(2017, 9, 15),
        "paying_org": OrgId("xtra"),
        "billed_from": date(2017, 3, 1),
        "billed_until": date(2017, 9, 15),
        "addons": frozenset({"library", "coaching"}),
    }
    fields.update(changes)
    return SeatRow(**fields)  # type: ignore[arg-type]


def test_a_seats_answer_on_a_date_has_exactly_the_keys_of_the_cli_contract():
    answer = SeatsAnswer(OrgId("xtra"), date(2017, 9, 1), None, None, None, REPORT, (row(),))
    document = seats_answer_document(answer)
    assert list(document) == ["org", "on", "as_known_at", "count", "seats"]
    assert document["on"] == "2017-09-01"
    assert document["as_known_at"] == "2017-09-01T23:59:59.000000Z"
    assert document["count"] == 1
    assert document["seats"][0] == {
        "seat": "s-001",
        "holder": "Ada Lovelace",
        "kind": "regular",
        "activated_on": "2017-03-01",
        "deactivated_on": "2017-09-15",
        "paying_org": "xtra",
        "billed_from": "2017-03-01",
        "billed_until": "2017-09-15",
        "addons": ["coaching", "library"],
    }


def test_a_range_answer_says_from_to_and_mode_and_not_on():
    answer = SeatsAnswer(
        OrgId("xtra"), None, date(2017, 9, 1), date(2017, 9, 30), RangeMode.THROUGHOUT, None, ()
    )
    document = seats_answer_document(answer)
    assert document == {
        "org": "xtra",
        "from": "2017-09-01",
        "to": "2017-09-30",
        "mode": "throughout",
        "as_known_at": None,
        "count": 0,
        "seats": [],
    }


def test_a_seat_still_active_has_a_null_deactivation_date_in_json():
    answer = SeatsAnswer(
        OrgId("xtra"),
        date(2017, 9, 1),
        None,
        None,
        None,
        REPORT,
        (row(deactivated_on=None, billed_until=None, addons=frozenset()),),
    )
    seat = seats_answer_document(answer)["seats"][0]
    assert seat["deactivated_on"] is None
    assert seat["billed_until"] is None
    assert seat["addons"] == []
    json.dumps(seats_answer_document(answer))


def test_an_organisation_is_keyed_by_org_not_by_the_domains_id():
    document = to_json(Organisation(OrgId("xtra"), "Xtra Lease", "America/Chicago", "USD"))
    assert document == {
        "org": "xtra",
        "name": "Xtra Lease",
        "timezone": "America/Chicago",
        "currency": "USD",
        "billing_relationship": True,
    }


def test_a_fact_has_its_recorded_instant_in_utc_with_a_z():
    fact = SeatFact(
        seq=7,
        seat=SeatId("s-001"),
        kind=FactKind.DEACTIVATED,
        effective_on=date(2017, 9, 15),
        recorded_at=datetime(2017, 10, 2, 9, 30, tzinfo=UTC),
        actor="lisa",
        reason="left in September",
    )
    document = to_json(fact)
    assert document["kind"] == "deactivated"
    assert document["effective_on"] == "2017-09-15"
    assert document["recorded_at"] == "2017-10-02T09:30:00.000000Z"
    assert document["reason"] == "left in September"


def test_a_history_lists_facts_with_who_superseded_them_and_the_intervals():
    activated = SeatFact(
        1,
        SeatId("s-001"),
        FactKind.ACTIVATED,
        date(2017, 3, 1),
        REPORT,
        "lisa",
        org=OrgId("xtra"),
        holder="Ada",
        seat_kind=SeatKind.REGULAR,
    )
    closed = SeatFact(2, SeatId("s-001"), FactKind.DEACTIVATED, date(2017, 9, 15), REPORT, "lisa")
    fixed = SeatFact(
        3,
        SeatId("s-001"),
        FactKind.DEACTIVATED,
        date(2017, 8, 29),
        REPORT,
        "jean",
        reason="HR",
        supersedes=2,
    )
    facts = [activated, closed, fixed]
    history = SeatHistory(
        SeatId("s-001"),
        (HistoryEntry(activated, None), HistoryEntry(closed, 3), HistoryEntry(fixed, None)),
        timeline(SeatId("s-001"), facts).unwrap(),
    )
    document = history_document(history)
    assert [(f["seq"], f["supersedes"], f["superseded_by"]) for f in document["facts"]] == [
        (1, None, None),
        (2, None, 3),
        (3, 2, None),
    ]
    assert document["active_intervals"] == [
        {
            "start": "2017-03-01",
            "end": "2017-08-29",
            "ended_by": "deactivated",
            "holder": "Ada",
            "seat_kind": "regular",
            "addons": [],
        }
    ]
    assert document["payer_intervals"] == [{"org": "xtra", "start": "2017-03-01", "end": None}]


def test_an_import_summary_is_plain_numbers():
    assert to_json(ImportSummary(403, 12, 415)) == {"seats": 403, "deactivated": 12, "facts": 415}


def test_csv_rows_have_the_cli_header_and_empty_cells_for_open_dates():
    text = seat_rows_csv([row(deactivated_on=None, billed_until=None)])
    header, line = text.splitlines()
    assert header == ",".join(CSV_COLUMNS)
    assert line == "s-001,Ada Lovelace,regular,2017-03-01,,xtra,2017-03-01,,coaching;library"


def test_a_holder_named_equals_sum_is_neutralised_against_formula_injection():
    assert csv_row(row(holder="=SUM(A1:A9)"))["holder"] == "'=SUM(A1:A9)"
    for dangerous in ("+1", "-1", "@cmd", "\tx", "\rx"):
        assert neutralise_formula(dangerous) == "'" + dangerous
    assert neutralise_formula("Ada") == "Ada"
    assert neutralise_formula("2017-09-01") == "2017-09-01"


def test_a_holder_with_a_comma_and_quotes_survives_the_csv_round_trip():
    import csv
    import io

    text = seat_rows_csv([row(holder='Lovelace, Ada "the Countess"')])
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["holder"] == 'Lovelace, Ada "the Countess"'
