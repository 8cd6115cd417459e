"""``seatledger init``: create or upgrade the database."""

from __future__ import annotations

import click

from seatledger.entrypoints.bootstrap import init_database
from seatledger.entrypoints.cli.app import App, pass_app
from seatledger.entrypoints.cli.output import emit_json, say


@click.command()
@pass_app
def init(app: App) -> None:
    """Create the database's schema, or upgrade it to the newest revision.

    Safe to run again: a database that is up to date is left as it is. Other
    commands create a fresh SQLite file on first use, but never upgrade an
    older schema by themselves: run this (after a backup) when asked to.

    \b
    Example:
      seatledger init
      seatledger --db postgresql+psycopg://billing@db/seatledger init
      seatledger --json --db ledger.db init
    """
    report = init_database(app.settings.db_url)
    if app.as_json:
        emit_json(
            {
                "database": report.database,
                "previous_revision": report.previous_revision,
                "revision": report.revision,
                "changed": report.changed,
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
