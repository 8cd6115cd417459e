"""A small OneRoster 1.2 export imported twice: the seats it opens, then the changes of a night.

Run it with ``python examples/roster_demo.py``; it writes the export and the
ledger in a temporary directory and leaves nothing behind.
"""

from __future__ import annotations

import tempfile
import zipfile
from datetime import date
from pathlib import Path

import seatledger

MANIFEST = """propertyName,value
manifest.version,1.0
oneroster.version,1.2
file.orgs,bulk
file.users,bulk
file.enrollments,bulk
file.classes,absent
"""
ORGS = """sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
north,,,North District,district,,
alpha,,,Alpha School,school,,north
"""
USERS = """sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,\
middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,\
resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,\
primaryOrgSourcedId,pronouns
u1,,,true,ann,,Ann,Smith,,,,,,,,,,,,,,alpha,
u2,,,true,bob,,Bob,Jones,,,,,,,,,,,,,,alpha,
u3,,,true,cy,,Cy,Young,,,,,,,,,,,,,,alpha,
"""
HEADER = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
    "primary,beginDate,endDate\n"
)
NIGHT_1 = HEADER + (
    "e1,,,math,alpha,u1,student,true,2025-09-01,2026-06-30\n"
    "e2,,,art,alpha,u1,student,false,2025-09-03,2026-06-30\n"
    "e3,,,math,alpha,u2,student,true,2025-09-01,2025-09-30\n"
    "e4,,,math,alpha,u3,teacher,true,2025-09-01,\n"
)
# A month later: Ann left (no longer listed), Bob came back for a new course.
NIGHT_2 = HEADER + "e5,,,music,alpha,u2,student,true,2025-11-03,\n"


def write_export(path: Path, enrollments: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in (("manifest.csv", MANIFEST), ("orgs.csv", ORGS), ("users.csv", USERS),
                           ("enrollments.csv", enrollments)):  # fmt: skip
            archive.writestr(name, text)
    return path


def show(report: seatledger.RosterReport) -> None:
    counts = (len(report.activate), len(report.deactivate), len(report.unchanged))
    print(f"{report.source}: %d activated, %d deactivated, %d unchanged" % counts)
    for change in (*report.activate, *report.deactivate):
        until = f" until {change.deactivated_on}" if change.deactivated_on else ""
        print(f"  {change.action.value:<10} {change.seat:<10} {change.holder:<16} "
              f"on {change.on}{until}")  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = str(Path(folder) / "seats.db")
        with seatledger.connect(url, today=date(2025, 10, 15), actor="sync") as ledger:
            ledger.add_organisation("alpha", "Alpha School")
            show(ledger.import_roster(write_export(Path(folder) / "night1.zip", NIGHT_1),
                                      format="oneroster"))  # fmt: skip
        with seatledger.connect(url, today=date(2025, 11, 3), actor="sync") as ledger:
            # Ann's deactivation is one of two seats: force past the 10 % threshold.
            show(ledger.import_roster(write_export(Path(folder) / "night2.zip", NIGHT_2),
                                      format="oneroster", force=True))  # fmt: skip
            billable = ledger.seats_on("alpha", date(2025, 11, 3))
            print("billable on 2025-11-03:", ", ".join(row.seat for row in billable.rows))


if __name__ == "__main__":
    main()
