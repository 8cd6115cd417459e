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
import hashlib
import io
import os
import stat
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Final

from returns.result import Failure, Result, Success

from seatledger.adapters.bounded_files import MIB, UnreadableFile, read_bounded
from seatledger.domain.dates import parse_date
from seatledger.domain.errors import ImportRejected, RowProblem
from seatledger.domain.identifiers import OrgId, SeatId, org_id, seat_id, valid_id, valid_text
from seatledger.domain.seat import SeatKind
from seatledger.domain.services.imports import ImportChunk, ImportRow

REQUIRED_COLUMNS: Final = ("seat", "org", "activated_on", "deactivated_on", "kind", "holder")
OPTIONAL_COLUMNS: Final = ("addons",)
# Problems about the file as a whole name this pseudo-column.
FILE: Final = "(file)"


# 1,000,000 rows of about 80 bytes; larger files are refused before they are read.
MAX_IMPORT_BYTES: Final = 256 * MIB


# Rows checked and written at a time by a streamed import (decision 0041).
CHUNK_ROWS: Final = 5_000


def read_import_file(path: Path) -> Result[list[ImportRow], ImportRejected]:
    """Read (bounded: a regular file of at most 256 MiB) and parse an import file whole; see
    ``parse_import``. ``seat import`` streams the file instead (``open_import_file``)."""
    try:
        data = read_bounded(path, MAX_IMPORT_BYTES)
    except UnreadableFile as error:
        return _reject(path.name, [RowProblem(1, FILE, f"the file {error}")])
    return parse_import(data, source=path.name)


def parse_import(data: bytes, *, source: str) -> Result[list[ImportRow], ImportRejected]:
    """Parse CSV bytes into import rows, or reject the file with every problem found."""
    reader = csv.reader(_text_lines(io.BytesIO(data)), strict=True)
    header = _header(reader, source)
    if isinstance(header, Failure):
        return header
    rows: list[ImportRow] = []
    problems: list[RowProblem] = []
    for chunk in _chunks(reader, header.unwrap(), CHUNK_ROWS):
        if chunk.fatal is not None:
            return _reject(source, [chunk.fatal])
        rows.extend(chunk.rows)
        problems.extend(chunk.problems)
    if problems:
        return _reject(source, problems)
    return Success(rows)


class ImportFile:
    """An import file checked as far as its header, read again chunk by chunk on demand.

    ``chunks()`` opens the file anew each time and holds one chunk of rows at
    a time, so a file of any number of rows is read in bounded memory; the
    use case reads it twice (decision 0041). ``digest`` is the SHA-256 of its
    bytes (what an idempotency key remembers of it).
    """

    def __init__(self, path: Path, columns: list[str], digest: str) -> None:
        self.path = path
        self.source = path.name
        self.columns = columns
        self.digest = digest

    def chunks(self, size: int | None = None) -> Iterator[ImportChunk]:
        size = size or CHUNK_ROWS
        try:
            handle = _open_regular(self.path)
        except UnreadableFile as error:
            yield ImportChunk((), (), RowProblem(1, FILE, f"the file {error}"))
            return
        with handle:
            reader = csv.reader(_text_lines(handle), strict=True)
            header = _header(reader, self.source)
            if isinstance(header, Failure) or header.unwrap() != self.columns:
                yield ImportChunk((), (), RowProblem(1, FILE, "the file changed while it was read"))
                return
            yield from _chunks(reader, self.columns, size)


def open_import_file(path: Path) -> Result[ImportFile, ImportRejected]:
    """An import file that is a regular file of at most 256 MiB with a valid header."""
    try:
        handle = _open_regular(path)
    except UnreadableFile as error:
        return _reject(path.name, [RowProblem(1, FILE, f"the file {error}")])
    with handle:
        header = _header(csv.reader(_text_lines(handle), strict=True), path.name)
        if isinstance(header, Failure):
            return header
        handle.seek(0)
        digest = hashlib.sha256()
        read = 0
        while block := handle.read(MIB):
            read += len(block)
            if read > MAX_IMPORT_BYTES:
                return _reject(
                    path.name,
                    [RowProblem(1, FILE, f"the file is larger than {MAX_IMPORT_BYTES // MIB} MiB")],
                )
            digest.update(block)
    return Success(ImportFile(path, header.unwrap(), digest.hexdigest()))


def _open_regular(path: Path) -> BinaryIO:
    try:
        # O_NONBLOCK: a FIFO opened without a writer would otherwise block the open itself.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise UnreadableFile(f"cannot be read: {error.strerror or error}") from None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise UnreadableFile("is not a regular file (a device, a pipe or a folder)")
    if os.fstat(handle.fileno()).st_size > MAX_IMPORT_BYTES:
        handle.close()
        raise UnreadableFile(f"is larger than {MAX_IMPORT_BYTES // MIB} MiB")
    return handle


class _NotUtf8(Exception):
    def __init__(self, problem: RowProblem) -> None:
        self.problem = problem


def _text_lines(lines: BinaryIO) -> Iterator[str]:
    """The file's lines decoded one by one (``_NotUtf8`` at the first bad byte).

    Split at \\n as read, then as ``str.splitlines`` would (\\r alone ends a line too).
    """
    header: list[str] = []
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _NotUtf8(_not_utf8(number, raw, exc, header)) from None
        if number == 1:
            header = [c.strip().lower() for c in text.splitlines()[0].split(",")] if text else []
        yield from text.splitlines(keepends=True)


def _header(reader: Any, source: str) -> Result[list[str], ImportRejected]:
    """The header's column names (the first line, a byte-order mark allowed)."""
    try:
        header = next(reader, None)
    except _NotUtf8 as bad:
        return _reject(source, [bad.problem])
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
    return Success(columns)


def _chunks(reader: Any, columns: list[str], size: int) -> Iterator[ImportChunk]:
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
            else:
                parsed = parse_row(line, dict(zip(columns, cells, strict=True)))
                if isinstance(parsed, Failure):
                    problems.extend(parsed.failure())
                else:
                    rows.append(parsed.unwrap())
            if len(rows) + len(problems) >= size:
                yield ImportChunk(rows, problems)
                rows, problems = [], []
    except _NotUtf8 as bad:
        yield ImportChunk((), (), bad.problem)
        return
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, FILE, f"not valid CSV ({exc})"))
    if rows or problems:
        yield ImportChunk(rows, problems)


def _not_utf8(line: int, raw: bytes, exc: UnicodeDecodeError, header: list[str]) -> RowProblem:
    index = raw[: exc.start].count(b",")
    column = header[index] if line > 1 and index < len(header) else FILE
    return RowProblem(
        line,
        column,
        f"byte 0x{raw[exc.start]:02x} is not UTF-8: save the file as UTF-8 "
        "(in a spreadsheet: CSV UTF-8)",
    )


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


def _reject(source: str, problems: Sequence[RowProblem]) -> Failure[ImportRejected]:
    return Failure(ImportRejected(source, tuple(problems)))
