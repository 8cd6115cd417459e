"""``seatledger operator`` and ``seatledger audit``: who may act, and who did what and when."""

from __future__ import annotations

import click

from seatledger.adapters.serialisation import audit_csv, audit_document, operator_document
from seatledger.domain.services import operators
from seatledger.entrypoints.cli.app import App, day_option, pass_app, read_passphrase
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say

FORMATS = ("table", "csv", "json")


@click.group()
def operator() -> None:
    """Register the vendor's billing staff (operators); the first one closes the ledger.

    A ledger without operators is open: every --actor may do everything. Once
    an operator is registered, each write is allowed only to an operator or
    to an admin of the organisation concerned (docs/decisions/0011).

    \b
    Example:
      seatledger --actor olga operator add olga      # closes the ledger
      seatledger --actor olga operator add piet
      seatledger operator list
    """


@operator.command("add")
@click.argument("name", metavar="NAME")
@click.option(
    "--with-passphrase",
    is_flag=True,
    help="Give NAME a passphrase (12 to 1024 characters, stored only as a salted scrypt "
    "hash), read from a hidden prompt or SEATLEDGER_PASSPHRASE: with it the operator proves "
    "who they are, as unlocking an admin without a PIN needs.",
)
@pass_app
def add(app: App, name: str, with_passphrase: bool) -> None:
    """Register NAME as an operator (in a closed ledger, only an operator may).

    \b
    Example:
      seatledger --actor olga operator add olga --with-passphrase
    """
    passphrase = (
        read_passphrase(f"passphrase for operator {name}", confirm=True)
        if with_passphrase
        else None
    )
    added = unwrap(
        operators.add_operator(
            app.services(), name, actor=app.actor, passphrase=passphrase, pins=app.pins
        )
    )
    if app.as_json:
        emit_json(operator_document(added))
        return
    say(f"operator {added.name} registered; the ledger is closed: writes are authorised")


@operator.command("list")
@pass_app
def list_(app: App) -> None:
    """List the operators (none: the ledger is open).

    \b
    Example:
      seatledger --json operator list
    """
    found = operators.list_operators(app.services())
    if app.as_json:
        emit_json({"closed": bool(found), "operators": [operator_document(o) for o in found]})
        return
    if not found:
        say("no operators: the ledger is open, every actor may do everything")
        return
    print_table(
        ("operator", "added at", "added by"),
        [(o.name, operator_document(o)["added_at"], o.added_by) for o in found],
    )


@click.command()
@click.option("--org", "org_id", metavar="ORG", help="Entries of ORG (either side of a transfer).")
@click.option("--seat", "seat_id", metavar="SEAT", help="Entries of SEAT.")
@click.option(
    "--from",
    "from_text",
    metavar="YYYY-MM-DD",
    help="Recorded on or after this day (in ORG's time zone with --org, else UTC).",
)
@click.option("--to", "to_text", metavar="YYYY-MM-DD", help="Recorded on or before this day.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    help="table, csv (for spreadsheets) or json [default: table, or json with --json].",
)
@pass_app
def audit(
    app: App,
    org_id: str | None,
    seat_id: str | None,
    from_text: str | None,
    to_text: str | None,
    format_: str | None,
) -> None:
    """Who did what and when: every change, its actor and the role that allowed it.

    \b
    Example:
      seatledger audit --org north
      seatledger audit --seat p-17 --from 2025-10-01 --to 2025-10-31
      seatledger audit --org north --format csv > north-audit.csv
    """
    first, last = day_option(from_text), day_option(to_text)
    entries = unwrap(
        operators.audit_trail(
            app.services(), org=org_id, seat=seat_id, first=first, last=last, reader=app.actor
        )
    )
    chosen = format_ or ("json" if app.as_json else "table")
    if chosen == "json":
        emit_json({"entries": [audit_document(e) for e in entries]})
    elif chosen == "csv":
        click.echo(audit_csv(entries), nl=False)
    elif not entries:
        say("no audit entries match")
    else:
        print_table(
            ("#", "recorded at", "actor", "role", "action", "org", "seat", "subject", "summary"),
            [
                (
                    e.seq,
                    audit_document(e)["recorded_at"],
                    e.actor,
                    e.role.value,
                    e.action.value,
                    " / ".join(o for o in (e.org, e.other_org) if o),
                    e.seat or "",
                    e.subject or "",
                    e.summary,
                )
                for e in entries
            ],
        )
