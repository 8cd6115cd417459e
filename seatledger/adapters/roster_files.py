"""Reading roster exports: a zip file or a folder of CSV files in, a ``Roster`` out.

Two published layouts, with their exact column names:

* the IMS OneRoster 1.2 CSV binding: ``manifest.csv`` (``propertyName,value``;
  ``oneroster.version`` must be 1.2, and each ``file.*`` says ``bulk``,
  ``delta`` or ``absent``), ``orgs.csv``, ``users.csv`` and ``enrollments.csv``
  (other files of the binding are allowed and not read);
* the Canvas SIS import format: ``users.csv`` and ``enrollments.csv``.

Files are UTF-8, with or without a byte-order mark. A file set that is not the
format it claims (no manifest, another version, a column the format does not
have, a required column missing, bytes that are not UTF-8) is refused as
``roster-wrong-format`` before any row is read; a row that cannot be read is
named with its file and line (the header is line 1), and the use case refuses
the whole roster if there is any.
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Final

from returns.result import Failure, Result, Success

from seatledger.domain.dates import parse_date, parse_instant
from seatledger.domain.errors import RosterProblem, RosterRejected, RosterWrongFormat
from seatledger.domain.rosters import (
    Roster,
    RosterDay,
    RosterEnrollment,
    RosterFormat,
    RosterMode,
    RosterOrg,
    RosterUser,
    RowStatus,
)

MANIFEST_COLUMNS: Final = ("propertyName", "value")
ONEROSTER_ORGS: Final = (
    "sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId",
)  # fmt: skip
ONEROSTER_USERS: Final = (
    "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
    "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
    "agentSourcedIds", "grades", "password", "userMasterIdentifier", "resourceSourcedIds",
    "preferredGivenName", "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId",
    "pronouns",
)  # fmt: skip
ONEROSTER_ENROLLMENTS: Final = (
    "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
    "userSourcedId", "role", "primary", "beginDate", "endDate",
)  # fmt: skip
# The columns seatledger reads must be there; the others of the layout may be.
ONEROSTER_REQUIRED: Final = {
    "orgs.csv": ("sourcedId", "status", "name", "type", "parentSourcedId"),
    "users.csv": ("sourcedId", "status", "givenName", "familyName"),
    "enrollments.csv": ONEROSTER_ENROLLMENTS,
}
CANVAS_USERS: Final = (
    "user_id", "integration_id", "login_id", "password", "ssha_password",
    "authentication_provider_id", "first_name", "last_name", "full_name", "sortable_name",
    "short_name", "email", "pronouns", "declared_user_type", "canvas_password_notification",
    "home_account", "status",
)  # fmt: skip
CANVAS_ENROLLMENTS: Final = (
    "course_id", "root_account", "start_date", "end_date", "user_id", "user_integration_id",
    "role", "role_id", "section_id", "status", "associated_user_id",
    "limit_section_privileges", "notify", "temporary_enrollment_source_user_id",
)  # fmt: skip
CANVAS_REQUIRED: Final = {
    "users.csv": ("user_id", "login_id", "status"),
    "enrollments.csv": ("user_id", "role", "status"),
}
_ONEROSTER_STATUS: Final = {"": RowStatus.ACTIVE, "active": RowStatus.ACTIVE,
                            "tobedeleted": RowStatus.DELETED}  # fmt: skip
_CANVAS_STATUS: Final = {
    "active": RowStatus.ACTIVE,
    "deleted": RowStatus.DELETED,
    "deleted_last_completed": RowStatus.DELETED,
    "completed": RowStatus.COMPLETED,
    "inactive": RowStatus.INACTIVE,
}
_CANVAS_USER_STATUS: Final = {"active": False, "suspended": False, "deleted": True}
_FILE_MODES: Final = ("bulk", "delta", "absent")


class _WrongFormat(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def read_roster(
    path: Path, fmt: RosterFormat, mode: RosterMode | None = None
) -> Result[Roster, RosterWrongFormat | RosterRejected]:
    """Read a roster export (zip or folder); ``mode`` None takes the manifest's (Canvas: delta)."""
    expected = "OneRoster 1.2 CSV" if fmt is RosterFormat.ONEROSTER else "Canvas SIS"
    try:
        files = _files(path)
        if fmt is RosterFormat.ONEROSTER:
            return _oneroster(path.name, files, mode)
        return Success(_canvas(files, mode or RosterMode.DELTA))
    except _WrongFormat as wrong:
        return Failure(RosterWrongFormat(path.name, expected, wrong.problem))


def roster_digest(files: Mapping[str, bytes]) -> str:
    """SHA-256 of the files' names and bytes, in name order: the roster's content."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _files(path: Path) -> dict[str, bytes]:
    """The CSV files of a folder or a zip file, by name (a zip's one top folder is allowed)."""
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
    if not zipfile.is_zipfile(path):
        raise _WrongFormat("expected a zip file or a folder of CSV files")
    found: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = PurePosixPath(info.filename).name
            if name in found:
                raise _WrongFormat(f"the zip file holds two files named {name}")
            found[name] = archive.read(info)
    return found


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _WrongFormat(f"{name} is not UTF-8 (byte {exc.start})") from exc


def _rows(
    name: str, data: bytes, published: Sequence[str], required: Sequence[str], *, extensions: bool
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header, checked against the layout, and each row as (line, cells by column)."""
    reader = csv.reader(_text(name, data).splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _WrongFormat(f"the header of {name} is not valid CSV ({exc})") from exc
    if not header:
        raise _WrongFormat(f"{name} is empty: expected the header {','.join(published)}")
    columns = [cell.strip() for cell in header]
    for column in columns:
        if column in published or (extensions and column.startswith("metadata.")):
            continue
        raise _WrongFormat(f"{name} has a column {column!r} that the layout does not have")
    missing = [c for c in required if c not in columns]
    if missing:
        raise _WrongFormat(f"{name} lacks the column(s) {', '.join(missing)}")
    if len(set(columns)) != len(columns):
        raise _WrongFormat(f"{name} names a column twice")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        line = 1
        try:
            for cells in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(columns):
                    yield line, {"": f"the row has {len(cells)} cells, the header {len(columns)}"}
                    continue
                yield line, {c: v.strip() for c, v in zip(columns, cells, strict=True)}
        except csv.Error as exc:
            yield line + 1, {"": f"not valid CSV ({exc})"}

    return columns, rows()


def _manifest(files: Mapping[str, bytes]) -> tuple[dict[str, str], dict[str, int]]:
    if "manifest.csv" not in files:
        raise _WrongFormat("there is no manifest.csv")
    _, rows = _rows(
        "manifest.csv", files["manifest.csv"], MANIFEST_COLUMNS, MANIFEST_COLUMNS, extensions=False
    )
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, cells in rows:
        if "" in cells:
            raise _WrongFormat(f"manifest.csv line {line}: {cells['']}")
        values[cells["propertyName"]] = cells["value"]
        lines[cells["propertyName"]] = line
    version = values.get("oneroster.version")
    if version != "1.2":
        raise _WrongFormat(f"manifest.csv gives oneroster.version {version!r}, not '1.2'")
    return values, lines


def _file_mode(values: Mapping[str, str], files: Mapping[str, bytes], name: str) -> str:
    stem = name.removesuffix(".csv")
    mode = values.get(f"file.{stem}", "absent")
    if mode not in _FILE_MODES:
        raise _WrongFormat(f"manifest.csv gives file.{stem} {mode!r}, not bulk, delta or absent")
    if mode == "absent" and name in files:
        raise _WrongFormat(f"manifest.csv says {name} is absent, but it is there")
    if mode != "absent" and name not in files:
        raise _WrongFormat(f"manifest.csv says {name} is {mode}, but there is no {name}")
    return mode


def _oneroster(
    source: str, files: Mapping[str, bytes], asked: RosterMode | None
) -> Result[Roster, RosterRejected]:
    values, lines = _manifest(files)
    enrollments_mode = _file_mode(values, files, "enrollments.csv")
    if enrollments_mode == "absent":
        raise _WrongFormat(
            "manifest.csv says enrollments.csv is absent: there is nothing to import"
        )
    users_mode = _file_mode(values, files, "users.csv")
    orgs_mode = _file_mode(values, files, "orgs.csv")
    mode = RosterMode(enrollments_mode)
    if asked is not None and asked is not mode:
        problem = RosterProblem(
            "manifest.csv",
            lines["file.enrollments"],
            f"file.enrollments is {mode.value}, but --mode {asked.value} was asked",
        )
        return Failure(RosterRejected(source, (problem,)))
    _, enrollment_rows = _rows(
        "enrollments.csv", files["enrollments.csv"], ONEROSTER_ENROLLMENTS,
        ONEROSTER_REQUIRED["enrollments.csv"], extensions=True,
    )  # fmt: skip
    orgs_rows = None
    if orgs_mode != "absent":
        _, orgs_rows = _rows(
            "orgs.csv", files["orgs.csv"], ONEROSTER_ORGS, ONEROSTER_REQUIRED["orgs.csv"],
            extensions=True,
        )  # fmt: skip
    users_rows = None
    if users_mode != "absent":
        _, users_rows = _rows(
            "users.csv", files["users.csv"], ONEROSTER_USERS, ONEROSTER_REQUIRED["users.csv"],
            extensions=True,
        )  # fmt: skip
    problems: list[RosterProblem] = []
    orgs: dict[str, RosterOrg] | None = None
    if orgs_rows is not None:
        orgs = {}
        for line, cells in orgs_rows:
            if _broken("orgs.csv", line, cells, problems):
                continue
            status = _status("orgs.csv", line, cells["status"], _ONEROSTER_STATUS, problems)
            if status is None or status is RowStatus.DELETED:
                continue
            sourced = cells["sourcedId"]
            if not _unique("orgs.csv", line, sourced, orgs, problems):
                continue
            orgs[sourced] = RosterOrg(
                sourced, cells["name"], cells["type"], cells["parentSourcedId"] or None,
                "orgs.csv", line,
            )  # fmt: skip
    users: dict[str, RosterUser] | None = None
    if users_rows is not None:
        users = {}
        for line, cells in users_rows:
            if _broken("users.csv", line, cells, problems):
                continue
            status = _status("users.csv", line, cells["status"], _ONEROSTER_STATUS, problems)
            if status is None:
                continue
            sourced = cells["sourcedId"]
            if not _unique("users.csv", line, sourced, users, problems):
                continue
            name = " ".join(p for p in (cells["givenName"], cells["familyName"]) if p)
            users[sourced] = RosterUser(
                sourced, name, status is RowStatus.DELETED, "users.csv", line
            )
    enrollments: list[RosterEnrollment] = []
    seen: dict[str, int] = {}
    for line, cells in enrollment_rows:
        if _broken("enrollments.csv", line, cells, problems):
            continue
        before = len(problems)
        status = _status("enrollments.csv", line, cells["status"], _ONEROSTER_STATUS, problems)
        begin = _date("enrollments.csv", line, "beginDate", cells["beginDate"], problems)
        end = _date("enrollments.csv", line, "endDate", cells["endDate"], problems)
        sourced = cells["sourcedId"]
        if sourced and sourced in seen:
            problems.append(
                RosterProblem(
                    "enrollments.csv",
                    line,
                    f"sourcedId {sourced!r} is also on line {seen[sourced]}",
                )
            )
            continue
        seen[sourced] = line
        if not cells["userSourcedId"] or not cells["schoolSourcedId"] or not cells["role"]:
            problems.append(
                RosterProblem(
                    "enrollments.csv", line, "userSourcedId, schoolSourcedId and role are required"
                )
            )
            continue
        if status is None or len(problems) > before:
            continue
        enrollments.append(
            RosterEnrollment(
                "enrollments.csv",
                line,
                cells["userSourcedId"],
                cells["schoolSourcedId"],
                cells["role"],
                status,
                begin,
                end,
            )
        )
    return Success(
        Roster(
            format=RosterFormat.ONEROSTER,
            mode=mode,
            enrollments=tuple(enrollments),
            users=users,
            users_bulk=users_mode == "bulk",
            orgs=orgs,
            orgs_bulk=orgs_mode == "bulk",
            problems=tuple(problems),
            digest=roster_digest(files),
        )
    )


def _canvas(files: Mapping[str, bytes], mode: RosterMode) -> Roster:
    if "enrollments.csv" not in files:
        raise _WrongFormat("there is no enrollments.csv")
    if "manifest.csv" in files:
        raise _WrongFormat("it has a manifest.csv (a OneRoster export? use --format oneroster)")
    _, enrollment_rows = _rows(
        "enrollments.csv", files["enrollments.csv"], CANVAS_ENROLLMENTS,
        CANVAS_REQUIRED["enrollments.csv"], extensions=False,
    )  # fmt: skip
    users_rows = None
    if "users.csv" in files:
        _, users_rows = _rows(
            "users.csv", files["users.csv"], CANVAS_USERS, CANVAS_REQUIRED["users.csv"],
            extensions=False,
        )  # fmt: skip
    problems: list[RosterProblem] = []
    users: dict[str, RosterUser] | None = None
    if users_rows is not None:
        users = {}
        for line, cells in users_rows:
            if _broken("users.csv", line, cells, problems):
                continue
            deleted = _CANVAS_USER_STATUS.get(cells["status"])
            if deleted is None:
                problems.append(
                    RosterProblem(
                        "users.csv",
                        line,
                        f"status {cells['status']!r} is not active, suspended or deleted",
                    )
                )
                continue
            sourced = cells["user_id"]
            if not _unique("users.csv", line, sourced, users, problems):
                continue
            name = cells.get("full_name") or " ".join(
                p for p in (cells.get("first_name", ""), cells.get("last_name", "")) if p
            )
            users[sourced] = RosterUser(sourced, name, deleted, "users.csv", line)
    enrollments: list[RosterEnrollment] = []
    for line, cells in enrollment_rows:
        if _broken("enrollments.csv", line, cells, problems):
            continue
        before = len(problems)
        status = _status("enrollments.csv", line, cells["status"], _CANVAS_STATUS, problems)
        begin = _instant(
            "enrollments.csv", line, "start_date", cells.get("start_date", ""), problems
        )
        end = _instant("enrollments.csv", line, "end_date", cells.get("end_date", ""), problems)
        if not cells["user_id"] or not cells["role"]:
            problems.append(RosterProblem("enrollments.csv", line, "user_id and role are required"))
            continue
        if status is None or len(problems) > before:
            continue
        enrollments.append(
            RosterEnrollment(
                "enrollments.csv", line, cells["user_id"], None, cells["role"], status, begin, end
            )
        )
    return Roster(
        format=RosterFormat.CANVAS,
        mode=mode,
        enrollments=tuple(enrollments),
        users=users,
        users_bulk=False,
        problems=tuple(problems),
        digest=roster_digest(files),
    )


def _broken(name: str, line: int, cells: Mapping[str, str], problems: list[RosterProblem]) -> bool:
    if "" in cells:
        problems.append(RosterProblem(name, line, cells[""]))
        return True
    return False


def _unique(
    name: str, line: int, sourced: str, seen: Mapping[str, object], problems: list[RosterProblem]
) -> bool:
    if not sourced:
        problems.append(RosterProblem(name, line, "the identifier is empty"))
        return False
    if sourced in seen:
        problems.append(RosterProblem(name, line, f"{sourced!r} is listed twice"))
        return False
    return True


def _status(
    name: str,
    line: int,
    text: str,
    vocabulary: Mapping[str, RowStatus],
    problems: list[RosterProblem],
) -> RowStatus | None:
    found = vocabulary.get(text)
    if found is None:
        allowed = ", ".join(repr(k) for k in vocabulary if k)
        problems.append(RosterProblem(name, line, f"status {text!r} is not one of {allowed}"))
    return found


def _date(
    name: str, line: int, column: str, text: str, problems: list[RosterProblem]
) -> RosterDay | None:
    """A date cell: the date, or None if it is empty or refused (the problem is recorded)."""
    if not text:
        return None
    parsed = parse_date(text)
    if isinstance(parsed, Failure):
        problems.append(RosterProblem(name, line, f"{column}: {parsed.failure().message}"))
        return None
    return parsed.unwrap()


def _instant(
    name: str, line: int, column: str, text: str, problems: list[RosterProblem]
) -> RosterDay | None:
    """An instant cell: the instant, or None if empty or refused (the problem is recorded)."""
    if not text:
        return None
    parsed = parse_instant(text)
    if isinstance(parsed, Failure):
        problems.append(RosterProblem(name, line, f"{column}: {parsed.failure().message}"))
        return None
    return parsed.unwrap()
