"""``seatledger init``: create or upgrade the database."""

from __future__ import annotations

import os

import click

from seatledger.domain.services import operators
from seatledger.entrypoints.bootstrap import init_database
from seatledger.entrypoints.cli.app import PASSPHRASE_VARIABLE, App, pass_app
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, say


@click.command()
@click.option(
    "--operator",
    "operator_name",
    metavar="NAME",
    help="Register NAME as the first operator, closing the ledger: from then on every write "
    "is authorised (docs/decisions/0011). Do this when installing a shared ledger. With "
    "SEATLEDGER_PASSPHRASE set, NAME gets that passphrase (decision 0029).",
)
@pass_app
def init(app: App, operator_name: str | None) -> None:
    """Create the database's schema, or upgrade it to the newest revision.

    Safe to run again: a database that is up to date is left as it is. Other
    commands create a fresh SQLite file on first use, but never upgrade an
    older schema by themselves: run this (after a backup) when asked to.

    \b
    Example:
      seatledger init
      seatledger --db postgresql+psycopg://billing@db/seatledger init
      seatledger --json --db ledger.db init
      seatledger --db postgresql+psycopg://billing@db/seatledger init --operator olga
    """
    report = init_database(app.settings.db_url)
    closed_by = None
    if operator_name is not None:
        # The first operator is registered by whoever installs; later ones need an operator.
        passphrase = os.environ.get(PASSPHRASE_VARIABLE)
        closed_by = unwrap(
            operators.add_operator(
                app.services(),
                operator_name,
                actor=app.actor,
                passphrase=passphrase,
                pins=app.pins,
            )
        ).name
    if app.as_json:
        emit_json(
            {
                "database": report.database,
                "previous_revision": report.previous_revision,
                "revision": report.revision,
                "changed": report.changed,
                "operator": closed_by,
                "secrets_encrypted": report.secrets_encrypted,
            }
        )
        return
    if report.previous_revision is None:
        say(f"created the seatledger schema in {report.database}: revision {report.revision}")
    elif report.changed:
        say(
            f"upgraded {report.database} from revision {report.previous_revision} "
            f"to {report.revision}"
        )
    else:
        say(f"{report.database} is up to date: revision {report.revision}")
    if report.secrets_encrypted:
        say(f"encrypted {report.secrets_encrypted} webhook secret(s) stored in plain text")
    if closed_by is not None:
        say(f"operator {closed_by} registered: the ledger is closed")
