"""Writing roster exports in the published layouts, for tests: OneRoster 1.2 CSV and Canvas SIS."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from seatledger.adapters.roster_files import (
    CANVAS_ENROLLMENTS,
    CANVAS_USERS,
    ONEROSTER_ENROLLMENTS,
    ONEROSTER_ORGS,
    ONEROSTER_USERS,
)

BOM = "\ufeff"


def _csv(header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> str:
    lines = [",".join(header)]
    lines += [",".join(row.get(column, "") for column in header) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def oneroster_files(
    *,
    orgs: Sequence[Mapping[str, str]] = (),
    users: Sequence[Mapping[str, str]] = (),
    enrollments: Sequence[Mapping[str, str]] = (),
    modes: Mapping[str, str] | None = None,
    version: str = "1.2",
) -> dict[str, str]:
    """The files of a OneRoster 1.2 export; ``modes`` per file (default bulk, absent if empty)."""
    chosen = {
        "orgs": "bulk" if orgs else "absent",
        "users": "bulk" if users else "absent",
        "enrollments": "bulk",
        **(modes or {}),
    }
    manifest = [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "oneroster.version", "value": version},
        {"propertyName": "file.academicSessions", "value": "absent"},
        {"propertyName": "file.classes", "value": "absent"},
        *({"propertyName": f"file.{name}", "value": mode} for name, mode in chosen.items()),
        {"propertyName": "source.systemName", "value": "Test SIS"},
    ]
    files = {"manifest.csv": _csv(("propertyName", "value"), manifest)}
    if chosen["orgs"] != "absent":
        files["orgs.csv"] = _csv(ONEROSTER_ORGS, orgs)
    if chosen["users"] != "absent":
        files["users.csv"] = _csv(ONEROSTER_USERS, users)
    files["enrollments.csv"] = _csv(ONEROSTER_ENROLLMENTS, enrollments)
    return files


def canvas_files(
    *, users: Sequence[Mapping[str, str]] = (), enrollments: Sequence[Mapping[str, str]] = ()
) -> dict[str, str]:
    """The files of a Canvas SIS import (columns in the documented order)."""
    files = {"enrollments.csv": _csv(CANVAS_ENROLLMENTS, enrollments)}
    if users:
        files["users.csv"] = _csv(CANVAS_USERS, users)
    return files


def write_folder(path: Path, files: Mapping[str, str], *, bom: bool = False) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_bytes(((BOM if bom else "") + text).encode("utf-8"))
    return path


def write_zip(path: Path, files: Mapping[str, str], *, bom: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, ((BOM if bom else "") + text).encode("utf-8"))
    return path


def enrollment(
    sourced: str,
    user: str,
    school: str,
    *,
    role: str = "student",
    begin: str = "",
    end: str = "",
    status: str = "",
    klass: str = "c1",
) -> dict[str, str]:
    return {
        "sourcedId": sourced, "status": status, "classSourcedId": klass,
        "schoolSourcedId": school, "userSourcedId": user, "role": role, "primary": "false",
        "beginDate": begin, "endDate": end,
    }  # fmt: skip


def user(sourced: str, given: str, family: str, *, status: str = "") -> dict[str, str]:
    return {
        "sourcedId": sourced, "status": status, "enabledUser": "true",
        "username": given.lower(), "givenName": given, "familyName": family,
    }  # fmt: skip


def org(sourced: str, name: str, kind: str, parent: str = "") -> dict[str, str]:
    return {"sourcedId": sourced, "name": name, "type": kind, "parentSourcedId": parent}
