"""Parsing an import file: well-formed rows out, or every bad cell by line and column."""

from __future__ import annotations

from datetime import date

from returns.result import Failure, Success

from seatledger.adapters.csv_import import FILE, parse_import
from seatledger.domain.errors import ImportRejected, RowProblem
from seatledger.domain.seat import SeatKind
from seatledger.domain.services.imports import ImportRow

HEADER = "seat,org,activated_on,deactivated_on,kind,holder"


def parsed(text: str | bytes) -> list[ImportRow]:
    data = text.encode() if isinstance(text, str) else text
    result = parse_import(data, source="seats.csv")
    assert isinstance(result, Success), result
    return result.unwrap()


def problems(text: str | bytes) -> list[tuple[int, str]]:
    data = text.encode() if isinstance(text, str) else text
    result = parse_import(data, source="seats.csv")
    assert isinstance(result, Failure), result
    rejected = result.failure()
    assert isinstance(rejected, ImportRejected)
    assert rejected.source == "seats.csv"
    return [(p.line, p.column) for p in rejected.problems]


def rejection(text: str) -> ImportRejected:
    result = parse_import(text.encode(), source="seats.csv")
    assert isinstance(result, Failure)
    return result.failure()


def test_a_well_formed_file_becomes_rows_numbered_by_their_line_in_the_file():
    rows = parsed(
        f"{HEADER}\n"
        "s-001,xtra,2017-03-01,,regular,Ada Lovelace\n"
        "s-002,xtra,2017-03-02,2017-09-15,student,Alan Turing\n"
    )
    assert rows == [
        ImportRow(2, "s-001", "xtra", date(2017, 3, 1), None, SeatKind.REGULAR, "Ada Lovelace"),
        ImportRow(
            3, "s-002", "xtra", date(2017, 3, 2), date(2017, 9, 15), SeatKind.STUDENT, "Alan Turing"
        ),
    ]


def test_columns_may_come_in_any_order_and_addons_are_split_on_semicolons():
    rows = parsed(
        "holder,kind,addons,deactivated_on,activated_on,org,seat\n"
        "Grace Hopper,STUDENT, Library ;extra-time,,2017-01-09,xtra,s-003\n"
    )
    assert rows[0].seat == "s-003"
    assert rows[0].kind is SeatKind.STUDENT
    assert rows[0].addons == frozenset({"library", "extra-time"})


def test_an_empty_kind_means_a_regular_seat_and_blank_lines_are_skipped():
    rows = parsed(f"{HEADER}\n\ns-004,xtra,2017-01-09,,,\n\n")
    assert [(r.line, r.kind, r.holder) for r in rows] == [(3, SeatKind.REGULAR, "")]


def test_an_excel_byte_order_mark_and_windows_line_ends_are_accepted():
    rows = parsed(("\ufeff" + HEADER + "\r\ns-005,xtra,2017-01-09,,regular,Ada\r\n").encode())
    assert [r.seat for r in rows] == ["s-005"]


def test_an_american_date_9_1_2017_is_refused_naming_line_and_column():
    assert problems(f"{HEADER}\ns-001,xtra,9/1/2017,,regular,Ada\n") == [(2, "activated_on")]
    message = rejection(f"{HEADER}\ns-001,xtra,9/1/2017,,regular,Ada\n").message
    assert "'9/1/2017'" in message
    assert "line 2, column activated_on" in message


def test_the_30th_of_february_is_refused_as_no_such_day():
    rejected = rejection(f"{HEADER}\ns-001,xtra,2017-01-01,2025-02-30,regular,Ada\n")
    assert [(p.line, p.column) for p in rejected.problems] == [(2, "deactivated_on")]
    assert "no such day" in rejected.problems[0].problem


def test_every_bad_cell_of_every_row_is_reported_not_just_the_first():
    found = problems(
        f"{HEADER}\n"
        "s 1,xtra,2017-01-01,,regular,Ada\n"
        "s-2,-bad-org,2017-01-01,,teacher,Alan\n"
        "s-3,xtra,,,regular,Grace\n"
    )
    assert found == [(2, "seat"), (3, "org"), (3, "kind"), (4, "activated_on")]


def test_an_unknown_kind_is_refused_with_the_kinds_that_exist():
    rejected = rejection(f"{HEADER}\ns-001,xtra,2017-01-01,,teacher,Ada\n")
    assert rejected.problems[0] == RowProblem(
        2, "kind", "'teacher' is not a seat kind: expected regular or student"
    )


def test_a_missing_required_column_is_named_on_line_1():
    assert problems("seat,org,activated_on,kind,holder\ns-1,xtra,2017-01-01,regular,Ada\n") == [
        (1, "deactivated_on")
    ]


def test_an_unknown_or_repeated_column_is_refused():
    assert problems(HEADER + ",colour,seat\n") == [(1, "colour"), (1, "seat")]


def test_an_empty_file_is_refused_with_the_header_it_needs():
    rejected = rejection("")
    assert [(p.line, p.column) for p in rejected.problems] == [(1, FILE)]
    assert "empty" in rejected.problems[0].problem
    assert HEADER in rejected.problems[0].problem


def test_a_file_with_only_a_header_has_no_rows():
    assert parsed(HEADER + "\n") == []


def test_a_latin_1_file_is_refused_naming_the_line_and_column_of_the_bad_byte():
    data = f"{HEADER}\ns-001,xtra,2017-01-01,,regular,Ada\ns-002,xtra,2017-01-01,,regular,".encode()
    data += "José\n".encode("latin-1")
    assert problems(data) == [(3, "holder")]
    result = parse_import(data, source="seats.csv")
    assert isinstance(result, Failure)
    assert "not UTF-8" in result.failure().problems[0].problem


def test_a_row_with_too_many_cells_is_refused():
    assert problems(f"{HEADER}\ns-001,xtra,2017-01-01,,regular,Ada,extra\n") == [(2, FILE)]


def test_a_holder_with_a_control_character_is_refused():
    assert problems(f'{HEADER}\ns-001,xtra,2017-01-01,,regular,"Ada\x07"\n') == [(2, "holder")]


def test_a_bad_addon_name_is_refused():
    assert problems(HEADER + ",addons\ns-001,xtra,2017-01-01,,regular,Ada,lib rary\n") == [
        (2, "addons")
    ]
