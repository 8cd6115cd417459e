"""``seatledger seats``: which seats an organisation pays for on a date or over a range."""

from __future__ import annotations

import click

from seatledger.adapters.serialisation import seat_rows_csv, seats_answer_document
from seatledger.domain.dates import iso_instant
from seatledger.domain.queries import RangeMode
from seatledger.domain.services import questions
from seatledger.domain.services.questions import SeatsAnswer
from seatledger.entrypoints.cli.app import App, known_at_option, pass_app, required_day
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say

FORMATS = ("table", "csv", "json")


@click.command()
@click.argument("org_id", metavar="ORG")
@click.option("--on", "on_text", metavar="DATE", help="The seats billed on this date.")
@click.option("--from", "from_text", metavar="DATE", help="First day of a range (included).")
@click.option("--to", "to_text", metavar="DATE", help="Last day of a range (included).")
@click.option(
    "--throughout",
    is_flag=True,
    help="With --from/--to: only seats billed on every day of the range "
    "[default: on at least one day].",
)
@click.option(
    "--as-known-at",
    "known_at_text",
    metavar="ISO-INSTANT",
    help="Answer with only what was recorded by then, e.g. 2017-09-01T23:59:59Z; an instant "
    "after the last recorded fact is answered as known at that fact, and the answer says so "
    "[default: everything recorded so far].",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    help="table, csv (for spreadsheets) or json [default: table, or json with --json].",
)
@pass_app
def seats(
    app: App,
    org_id: str,
    on_text: str | None,
    from_text: str | None,
    to_text: str | None,
    throughout: bool,
    known_at_text: str | None,
    format_: str | None,
) -> None:
    """List the seats ORG pays for on a date, or within a date range.

    A seat counts on a date D iff activated_on <= D < deactivated_on (a seat
    deactivated on D is not counted on D) and ORG pays for it on D. Each row
    shows the seat's activation and deactivation dates, the latter also when
    it lies after the date asked about. Give either --on, or --from and --to.

    \b
    Example:
      seatledger seats xtra --on 2017-09-01
      seatledger seats xtra --on 2017-09-01 --format csv > xtra-2017-09-01.csv
      seatledger seats xtra --from 2017-09-01 --to 2017-09-30 --throughout
      seatledger --json seats xtra --on 2017-09-01 --as-known-at 2017-09-02T00:00:00Z
    """
    ranged = from_text is not None or to_text is not None
    if on_text is not None and ranged:
        raise click.UsageError("give either --on DATE, or --from DATE --to DATE, not both")
    if on_text is None and not ranged:
        raise click.UsageError("give --on DATE, or --from DATE --to DATE")
    if ranged and (from_text is None or to_text is None):
        raise click.UsageError("a range needs both --from DATE and --to DATE")
    if throughout and not ranged:
        raise click.UsageError("--throughout applies to a range: give --from and --to")
    # Every input is checked before the database is opened.
    known_at = known_at_option(known_at_text)
    on = required_day(on_text) if on_text is not None else None
    first = required_day(from_text) if from_text is not None else None
    last = required_day(to_text) if to_text is not None else None
    services = app.services()
    if on is not None:
        answer = unwrap(questions.seats_on(services, org_id, on, known_at, reader=app.actor))
    else:
        assert first is not None
        assert last is not None
        mode = RangeMode.THROUGHOUT if throughout else RangeMode.OVERLAPPING
        answer = unwrap(
            questions.seats_within(services, org_id, first, last, mode, known_at, reader=app.actor)
        )
    chosen = format_ or ("json" if app.as_json else "table")
    if chosen == "json":
        emit_json(seats_answer_document(answer))
    elif chosen == "csv":
        click.echo(seat_rows_csv(answer.rows), nl=False)
    else:
        print_answer(answer)


def print_answer(answer: SeatsAnswer) -> None:
    say(headline(answer))
    if not answer.rows:
        return
    print_table(
        (
            "seat",
            "holder",
            "kind",
            "activated_on",
            "deactivated_on",
            "paying_org",
            "billed_from",
            "billed_until",
            "addons",
        ),
        [
            (
                r.seat,
                r.holder,
                r.kind.value,
                r.activated_on,
                r.deactivated_on,
                r.paying_org,
                r.billed_from,
                r.billed_until,
                r.addons,
            )
            for r in answer.rows
        ],
    )


def headline(answer: SeatsAnswer) -> str:
    """One line saying what was asked and how many seats answer it."""
    if answer.on is not None:
        asked = f"billable on {answer.on.isoformat()}"
    else:
        assert answer.first is not None
        assert answer.last is not None
        assert answer.mode is not None
        how = "on every day" if answer.mode is RangeMode.THROUGHOUT else "on any day"
        asked = f"billed {how} from {answer.first.isoformat()} to {answer.last.isoformat()}"
    known = (
        f" as known at {iso_instant(answer.as_known_at)}"
        if answer.as_known_at is not None
        else " (nothing recorded yet)"
    )
    if answer.asked_known_at is not None and answer.cut_at_head:
        # Asked after the last recorded fact: the answer stands for that fact's instant.
        known += (
            f" (the last recorded instant: {iso_instant(answer.asked_known_at)} lies after it, "
            "so the answer stands for the ledger as it is now)"
        )
    return f"{answer.org}: {answer.count} seats {asked}{known}"
