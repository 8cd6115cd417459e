"""``seatledger roster import``: an LMS roster export (OneRoster 1.2, Canvas SIS) as seats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from seatledger.adapters.serialisation import to_json
from seatledger.domain.errors import RosterProblem
from seatledger.domain.identifiers import OrgId
from seatledger.domain.rosters import (
    DEFAULT_BILLABLE,
    RosterFormat,
    RosterMode,
    RosterPolicy,
    RosterReport,
    SeatChange,
    parse_billable_roles,
)
from seatledger.domain.services.rosters import DEFAULT_ZONE, NewOrganisations
from seatledger.entrypoints.cli.app import App, accepts_idempotency_key, pass_app
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, say
from seatledger.entrypoints.rosters import RosterImport, import_roster


@click.group()
def roster() -> None:
    """Sync seats from a learning-management system's roster export.

    OneRoster 1.2 CSV and Canvas SIS exports, as a zip file or a folder; see
    docs/rosters.md.

    \b
    Example:
      seatledger roster import export.zip --format oneroster --dry-run
    """


@accepts_idempotency_key
@roster.command("import")
@click.argument(
    "path", metavar="PATH", type=click.Path(exists=True, file_okay=True, path_type=Path)
)
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice([f.value for f in RosterFormat]),
    help="oneroster: the OneRoster 1.2 CSV binding; canvas: the Canvas SIS import format.",
)
@click.option(
    "--mode",
    type=click.Choice([m.value for m in RosterMode]),
    help="bulk: the export is the whole roster, seats it no longer lists are deactivated "
    "today; delta: only the rows given [default: the manifest's file.enrollments for "
    "OneRoster, delta for Canvas].",
)
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.option(
    "--billable-roles",
    metavar="ROLE[:KIND],...",
    help="The roles that take a seat, each as a student or regular seat "
    "[default: student; a role named student takes a student seat, others a regular one].",
)
@click.option(
    "--force",
    is_flag=True,
    help="Import a bulk roster even if it deactivates more than --threshold of an "
    "organisation's seats.",
)
@click.option(
    "--threshold",
    type=click.IntRange(0, 100),
    default=10,
    show_default=True,
    metavar="PERCENT",
    help="The share of an organisation's active seats a bulk roster may deactivate.",
)
@click.option(
    "--pay-level",
    default="school",
    show_default=True,
    metavar="TYPE",
    help="OneRoster: the orgs.csv type that pays (school, district, ...): the enrollment's "
    "school, or the first organisation of that type above it (parentSourcedId).",
)
@click.option(
    "--org", "payer", metavar="ORG", help="Canvas: the organisation that pays for every seat."
)
@click.option(
    "--bill-completed/--no-bill-completed",
    default=False,
    show_default=True,
    help="Canvas: whether a completed enrollment still holds a seat (if not, it completes it).",
)
@click.option(
    "--bill-inactive/--no-bill-inactive",
    default=True,
    show_default=True,
    help="Canvas: whether an inactive enrollment still holds a seat.",
)
@click.option(
    "--create-organisations",
    is_flag=True,
    help="Create unknown paying organisations from the roster (needs "
    "--billing-relationship or --no-billing-relationship) instead of refusing their rows.",
)
@click.option(
    "--billing-relationship/--no-billing-relationship",
    default=None,
    help="Whether organisations created from the roster are invoiced by the vendor.",
)
@click.option("--timezone", default=DEFAULT_ZONE, show_default=True, metavar="TZ",
              help="The time zone of organisations created from the roster.")  # fmt: skip
@click.option("--currency", default="EUR", show_default=True,
              help="The currency of organisations created from the roster.")  # fmt: skip
@pass_app
def import_(
    app: App,
    path: Path,
    fmt: str,
    mode: str | None,
    dry_run: bool,
    billable_roles: str | None,
    force: bool,
    threshold: int,
    pay_level: str,
    payer: str | None,
    bill_completed: bool,
    bill_inactive: bool,
    create_organisations: bool,
    billing_relationship: bool | None,
    timezone: str,
    currency: str,
) -> None:
    """Import a roster export (a zip file or a folder) as seat changes: all, or none.

    One seat per user per paying organisation, however many classes; activated
    from the earliest beginDate, deactivated the day after the latest endDate
    (OneRoster's endDate is the last day). tobedeleted (OneRoster) and deleted
    (Canvas) enrollments deactivate. Every refused row is named with its file
    and line, and then nothing is imported; importing the same export again
    changes nothing. See docs/rosters.md.

    \b
    Examples:
      seatledger roster import export.zip --format oneroster --dry-run
      seatledger roster import export.zip --format oneroster --billable-roles student,teacher
      seatledger roster import canvas/ --format canvas --org xtra --mode bulk
    """
    roster_format = RosterFormat(fmt)
    if roster_format is RosterFormat.CANVAS and payer is None:
        raise click.UsageError("--format canvas needs --org ORG: the organisation that pays")
    if create_organisations and billing_relationship is None:
        raise click.UsageError(
            "--create-organisations needs --billing-relationship or --no-billing-relationship: "
            "say whether the vendor invoices the organisations it creates"
        )
    roles = (
        DEFAULT_BILLABLE if billable_roles is None else unwrap(parse_billable_roles(billable_roles))
    )
    policy = RosterPolicy(
        billable=dict(roles),
        pay_level=pay_level,
        org=OrgId(payer) if payer is not None else None,
        bill_completed=bill_completed,
        bill_inactive=bill_inactive,
        threshold=threshold,
        force=force,
    )
    create = (
        NewOrganisations(bool(billing_relationship), timezone, currency)
        if create_organisations
        else None
    )
    asked = RosterImport(
        path=path,
        format=roster_format,
        mode=RosterMode(mode) if mode is not None else None,
        policy=policy,
        actor=app.actor,
        dry_run=dry_run,
        create=create,
    )
    report = unwrap(import_roster(app.services(), asked, app.idempotency_key))
    if app.as_json:
        emit_json(report_document(report))
        return
    for line in report_lines(report):
        say(line)


def report_document(report: RosterReport) -> dict[str, Any]:
    """The JSON of a report: counts under the four keys, and the rows under ``rows``."""
    document: dict[str, Any] = {
        "source": report.source,
        "format": report.format.value,
        "mode": report.mode.value,
        "dry_run": report.dry_run,
        "activate": len(report.activate),
        "deactivate": len(report.deactivate),
        "unchanged": len(report.unchanged),
        "refused": len(report.refused),
        "ignored": len(report.ignored),
        "created_organisations": list(report.created_organisations),
        "threshold": [to_json(b) for b in report.threshold],
        "facts": report.facts,
        "rows": {
            "activate": [_change(c) for c in report.activate],
            "deactivate": [_change(c) for c in report.deactivate],
            "unchanged": [to_json(u) for u in report.unchanged],
            "refused": [_problem(p) for p in report.refused],
            "ignored": [_problem(p) for p in report.ignored],
        },
    }
    return document


def report_lines(report: RosterReport) -> list[str]:
    """The report for people: one summary line, then one line per change and refusal."""
    verb = "would change" if report.dry_run else "changed"
    lines = [
        f"roster {report.source} ({report.format.value}, {report.mode.value}) {verb}: "
        f"{len(report.activate)} to activate, {len(report.deactivate)} to deactivate, "
        f"{len(report.unchanged)} unchanged, {len(report.refused)} refused, "
        f"{len(report.ignored)} ignored"
        + ("" if report.dry_run else f"; {report.facts} facts recorded")
    ]
    if report.created_organisations:
        lines.append("  organisations created: " + ", ".join(report.created_organisations))
    for change in (*report.activate, *report.deactivate):
        lines.append("  " + _describe(change))
    for problem in report.refused:
        lines.append(f"  refused: {problem.describe()}")
    for breach in report.threshold:
        lines.append(
            f"  threshold: {breach.deactivating} of {breach.seats} active seats of "
            f"{breach.org} would be deactivated"
        )
    return lines


def _describe(change: SeatChange) -> str:
    text = f"{change.action.value} {change.seat} ({change.holder}) for {change.org} on {change.on}"
    if change.deactivated_on is not None:
        text += f", deactivated on {change.deactivated_on}"
    return f"{text}: {change.why}"


def _change(change: SeatChange) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "seat": change.seat,
        "org": change.org,
        "holder": change.holder,
        "kind": change.kind.value,
        "on": change.on.isoformat(),
        "deactivated_on": change.deactivated_on.isoformat() if change.deactivated_on else None,
        "why": change.why,
    }


def _problem(problem: RosterProblem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "reason": problem.reason}
