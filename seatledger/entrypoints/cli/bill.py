"""``seatledger bill run``: bill one period for every organisation (or one), or forecast it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from seatledger.adapters.serialisation import money, run_document
from seatledger.domain.dates import Period
from seatledger.domain.identifiers import OrgId
from seatledger.domain.services import billing
from seatledger.domain.services.billing import Outcome, RunReport
from seatledger.entrypoints.cli.app import App, pass_app
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say, stderr_is_terminal


@click.group()
def bill() -> None:
    """Run billing: turn the seats counted on each reference date into invoices.

    \b
    Example:
      seatledger bill run --period 2025-09
      seatledger bill run --period 2025-10 --dry-run
    """


@bill.command("run")
@click.option("--period", "period_text", required=True, metavar="YYYY-MM", help="The month billed.")
@click.option("--org", "org_id", metavar="ORG", help="Only this organisation.")
@click.option("--dry-run", is_flag=True, help="Forecast the invoices; issue nothing.")
@pass_app
def run(app: App, period_text: str, org_id: str | None, dry_run: bool) -> None:
    """Bill the month YYYY-MM for every organisation (or --org ORG); safe to run again.

    Each organisation is billed in its own transaction. An invoice already
    issued is found, never issued twice. A period is billed once its count
    date has ended in every time zone (from the next day, 12:00 UTC; with
    --today, from the next day), so a transfer approved on the count date is
    always seen; before that an organisation is reported 'not due yet'
    (refused with --org), and --dry-run forecasts it instead.
    Annual contracts are invoiced in the run for the month their year
    starts. Corrections to earlier invoiced periods become adjustment lines.
    A progress bar is shown on stderr when it is a terminal.

    \b
    Example:
      seatledger bill run --period 2025-09
      seatledger bill run --period 2025-09 --org north
      seatledger --json bill run --period 2025-10 --dry-run
    """
    period = unwrap(Period.parse(period_text))
    services = app.services()
    catalog = app.catalog()
    with _progress(enabled=stderr_is_terminal(), period=period) as step:
        report = unwrap(
            billing.bill_run(
                services,
                catalog,
                period,
                org=org_id,
                dry_run=dry_run,
                progress=step,
                actor=app.actor,
            )
        )
    if app.as_json:
        emit_json(run_document(report))
    else:
        print_report(report)
    if report.failed:
        _report_failures(report, as_json=app.as_json)


def _report_failures(report: RunReport, *, as_json: bool) -> None:
    """Name each organisation that could not be billed, say what was issued, and exit 1."""
    issued = [d.id for d in report.invoices if d.status.value == "issued"]
    failed = report.failed
    if as_json:
        click.echo(
            json.dumps(
                {
                    "error": {
                        "code": "billing-failed",
                        "message": f"{len(failed)} organisation(s) could not be billed",
                        "failed": [
                            {
                                "org": o.org,
                                "code": o.error.code if o.error else "",
                                "message": o.note,
                            }
                            for o in failed
                        ],
                        "issued": issued,
                    }
                }
            ),
            err=True,
        )
    else:
        click.echo(f"{len(failed)} organisation(s) could not be billed:", err=True)
        for o in failed:
            code = o.error.code if o.error else "failed"
            click.echo(f"  {o.org}: {code}: {o.note}", err=True)
        done = ", ".join(issued) if issued else "nothing"
        click.echo(
            f"Every other organisation was billed; issued in this run: {done}. "
            "Fix the failed ones and run again: what was issued is not issued twice.",
            err=True,
        )
    raise click.exceptions.Exit(1)


def print_report(report: RunReport) -> None:
    """Per-organisation outcomes, then a summary; a dry run says it is a forecast."""
    if report.dry_run:
        say(f"FORECAST for {report.period} (dry run): nothing was issued")
    else:
        say(f"billing run for {report.period}")
    if not report.outcomes:
        say("no organisations to bill")
        return
    print_table(
        ("org", "outcome", "invoice", "seats", "total", "note"),
        [
            (
                o.org,
                o.outcome.value,
                o.invoice.id if o.invoice else None,
                len(o.invoice.evidence.seats) if o.invoice else None,
                f"{money(o.invoice.total, o.invoice.currency)} {o.invoice.currency}"
                if o.invoice
                else None,
                o.note or None,
            )
            for o in report.outcomes
        ]
        + [
            (
                o.org,
                o.outcome.value,
                doc.id,
                len(doc.evidence.seats),
                f"{money(doc.total, doc.currency)} {doc.currency}",
                "overage invoice",
            )
            for o in report.outcomes
            for doc in o.extra
        ],
    )
    counts = Counter(o.outcome for o in report.outcomes)
    summary = ", ".join(f"{n} {outcome.value}" for outcome, n in counts.items())
    totals: dict[str, Decimal] = {}
    key = Outcome.FORECAST if report.dry_run else Outcome.ISSUED
    for o in report.outcomes:
        if o.outcome is key and o.invoice is not None:
            for doc in (o.invoice, *o.extra):
                totals[doc.currency] = totals.get(doc.currency, Decimal(0)) + doc.total
    amounts = ", ".join(f"{money(v, c)} {c}" for c, v in sorted(totals.items())) or "nothing"
    if report.dry_run:
        say(f"{summary}. Forecast total: {amounts}. This is a FORECAST: no invoice was issued.")
    else:
        say(f"{summary}. Issued in this run: {amounts}.")


@contextmanager
def _progress(*, enabled: bool, period: Period) -> Iterator[Callable[[int, int, OrgId], None]]:
    """A progress bar on stderr, one step per organisation, only on a terminal."""
    if not enabled:
        yield lambda done, total, org: None
        return
    with Progress(
        TextColumn("billing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(str(period), total=None)

        def step(done: int, total: int, org: OrgId) -> None:
            progress.update(task, completed=done, total=total, description=f"{period}: {org}")

        yield step
