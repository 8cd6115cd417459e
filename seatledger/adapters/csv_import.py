"""Reading a seat import file: CSV bytes in, ``ImportRow`` values or every problem out.

The file must be UTF-8 (a byte-order mark is allowed) with the header
``seat,org,activated_on,deactivated_on,kind,holder`` in any order, plus an
optional ``addons`` column of ``;``-separated names. Empty ``deactivated_on``
means still active; empty ``kind`` means regular. Every malformed cell is
reported with its line number (the header is line 1) and column name, so a
user can fix the whole file in one go; nothing is imported unless every row
is well-formed (the use case then checks the rows against the ledger).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Final

from returns.result import Failure, Result, Success

from seatledger.adapters.bounded_files import MIB, UnreadableFile, read_bounded
from seatledger.domain.dates import parse_date
from seatledger.domain.errors import ImportRejected, RowProblem
from seatledger.domain.identifiers import OrgId, SeatId, org_id, seat_id, valid_id, valid_text
from seatledger.domain.seat import SeatKind
from seatledger.domain.services.imports import ImportRow

REQUIRED_COLUMNS: Final = ("seat", "org", "activated_on", "deactivated_on", "kind", "holder")
OPTIONAL_COLUMNS: Final = ("addons",)
# Problems about the file as a whole name this pseudo-column.
FILE: Final = "(file)"


# 1,000,000 rows of about 80 bytes; larger files are refused before they are read.
MAX_IMPORT_BYTES: Final = 256 * MIB


def read_import_file(path: Path) -> Result[list[ImportRow], ImportRejected]:
    """Read (bounded: a regular file of at most 256 MiB) and parse an import file; see
    ``parse_import``."""
    try:
        data = read_bounded(path, MAX_IMPORT_BYTES)
    except UnreadableFile as error:
        return _reject(path.name, [RowProblem(1, FILE, f"the file {error}")])
    return parse_import(data, source=path.name)


def parse_import(data: bytes, *, source: str) -> Result[list[ImportRow], ImportRejected]:
    """Parse CSV bytes into import rows, or reject the file with every problem found."""
    text = _decode(data, source)
    if isinstance(text, Failure):
        return text
    lines = text.unwrap().splitlines(keepends=True)
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return _reject(source, [RowProblem(1, FILE, f"the header is not valid CSV ({exc})")])
    if header is None or not any(cell.strip() for cell in header):
        return _reject(
            source,
            [
                RowProblem(
                    1,
                    FILE,
                    "the file is empty: expected a header line " + ",".join(REQUIRED_COLUMNS),
                )
            ],
        )
    columns = [cell.strip().lower() for cell in header]
    header_problems = _check_header(columns)
    if header_problems:
        return _reject(source, header_problems)

    rows: list[ImportRow] = []
    problems: list[RowProblem] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                problems.append(
                    RowProblem(
                        line,
                        FILE,
                        f"the row has {len(cells)} cells but the header has {len(columns)}",
                    )
                )
                continue
            parsed = parse_row(line, dict(zip(columns, cells, strict=True)))
            if isinstance(parsed, Failure):
                problems.extend(parsed.failure())
            else:
                rows.append(parsed.unwrap())
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, FILE, f"not valid CSV ({exc})"))
    if problems:
        return _reject(source, problems)
    return Success(rows)


def parse_row(line: int, cells: dict[str, str]) -> Result[ImportRow, list[RowProblem]]:
    """One row's cells (keyed by column name) as an ``ImportRow``, or each bad cell."""
    problems: list[RowProblem] = []

    def note(column: str, problem: str) -> None:
        problems.append(RowProblem(line, column, problem))

    seat = seat_id(cells["seat"].strip())
    if isinstance(seat, Failure):
        note("seat", seat.failure().message)
    org = org_id(cells["org"].strip())
    if isinstance(org, Failure):
        note("org", org.failure().message)

    activated_on: date | None = None
    if not cells["activated_on"].strip():
        note("activated_on", "is empty: every seat needs its activation date (YYYY-MM-DD)")
    else:
        parsed_on = parse_date(cells["activated_on"])
        if isinstance(parsed_on, Failure):
            note("activated_on", parsed_on.failure().message)
        else:
            activated_on = parsed_on.unwrap()

    deactivated_on: date | None = None
    if cells["deactivated_on"].strip():
        parsed_off = parse_date(cells["deactivated_on"])
        if isinstance(parsed_off, Failure):
            note("deactivated_on", parsed_off.failure().message)
        else:
            deactivated_on = parsed_off.unwrap()

    kind = SeatKind.REGULAR
    if cells["kind"].strip():
        parsed_kind = SeatKind.parse(cells["kind"])
        if isinstance(parsed_kind, Failure):
            note("kind", parsed_kind.failure().message)
        else:
            kind = parsed_kind.unwrap()

    holder = valid_text("holder", cells["holder"], required=False)
    if isinstance(holder, Failure):
        note("holder", holder.failure().problem)

    addons: set[str] = set()
    for name in cells.get("addons", "").split(";"):
        if not name.strip():
            continue
        addon = valid_id("add-on", name.strip().lower())
        if isinstance(addon, Failure):
            note("addons", addon.failure().message)
        else:
            addons.add(addon.unwrap())

    if problems:
        return Failure(problems)
    # Every Failure above added a problem, so these all hold values now.
    assert activated_on is not None
    return Success(
        ImportRow(
            line=line,
            seat=SeatId(seat.unwrap()),
            org=OrgId(org.unwrap()),
            activated_on=activated_on,
            deactivated_on=deactivated_on,
            kind=kind,
            holder=holder.unwrap(),
            addons=frozenset(addons),
        )
    )


def _check_header(columns: Sequence[str]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    if not set(columns) & set(known):
        # Not a seat import at all (say /etc/shadow): say so without echoing any of it.
        return [
            RowProblem(
                1, FILE, "the first line is not a seat import header; expected " + ",".join(known)
            )
        ]
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            problems.append(RowProblem(1, column, "the column appears twice in the header"))
        seen.add(column)
        if column not in known:
            problems.append(
                RowProblem(1, column or "(blank)", "unknown column; expected " + ",".join(known))
            )
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(RowProblem(1, column, "required column is missing from the header"))
    return problems


def _decode(data: bytes, source: str) -> Result[str, ImportRejected]:
    try:
        return Success(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _reject(
            source,
            [
                RowProblem(
                    line,
                    _column_at(data, exc.start),
                    f"byte 0x{data[exc.start]:02x} is not UTF-8: save the file as UTF-8 "
                    "(in a spreadsheet: CSV UTF-8)",
                )
            ],
        )


def _column_at(data: bytes, offset: int) -> str:
    """The header name of the cell holding byte ``offset`` (by counting commas)."""
    header_end = data.find(b"\n")
    line_start = data.rfind(b"\n", 0, offset) + 1
    if header_end == -1 or line_start == 0:
        return FILE
    header = data[:header_end].decode("utf-8-sig", errors="replace").strip().split(",")
    index = data[line_start:offset].count(b",")
    return header[index].strip().lower() if index < len(header) else FILE


def _reject(source: str, problems: Sequence[RowProblem]) -> Failure[ImportRejected]:
    return Failure(ImportRejected(source, tuple(problems)))
