"""The ``seatledger`` command group, its global options, and the console script ``main``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from seatledger.adapters.secret_box import SecretKeyError
from seatledger.adapters.store_errors import StoreBusy, store_failure
from seatledger.domain.services.context import Services
from seatledger.entrypoints.bootstrap import Settings, database_url, default_actor
from seatledger.entrypoints.cli.admin import admin
from seatledger.entrypoints.cli.app import App, day_option
from seatledger.entrypoints.cli.bill import bill
from seatledger.entrypoints.cli.contract import contract
from seatledger.entrypoints.cli.database import init
from seatledger.entrypoints.cli.demo import demo
from seatledger.entrypoints.cli.errors import (
    REFUSED,
    Refused,
    show_click_error,
    show_store_busy,
)
from seatledger.entrypoints.cli.invoice import invoice
from seatledger.entrypoints.cli.notify import notify, remind
from seatledger.entrypoints.cli.operator import audit, operator
from seatledger.entrypoints.cli.org import org
from seatledger.entrypoints.cli.roster import roster
from seatledger.entrypoints.cli.seat import seat
from seatledger.entrypoints.cli.seats import seats
from seatledger.entrypoints.cli.seller import seller
from seatledger.entrypoints.cli.serve import apikey, serve
from seatledger.entrypoints.cli.transfer import takeover, transfer
from seatledger.entrypoints.cli.usage import usage

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--db",
    envvar="SEATLEDGER_DB",
    metavar="URL",
    help="SQLAlchemy database URL, or a plain path to a SQLite file "
    "[env SEATLEDGER_DB; default: sqlite:///seatledger.db in the current directory].",
)
@click.option(
    "--today",
    envvar="SEATLEDGER_TODAY",
    metavar="YYYY-MM-DD",
    help="Run as if today were this date: effective dates default to it and facts are "
    "recorded on it [env SEATLEDGER_TODAY; default: the real clock].",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Machine output on stdout; an error is a JSON object on stderr.",
)
@click.option(
    "--catalog",
    envvar="SEATLEDGER_CATALOG",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Plan catalog file (TOML), read when a command prices something; an invalid one "
    "is refused as invalid-catalog [env SEATLEDGER_CATALOG; default: the catalog shipped "
    "with the package].",
)
@click.option(
    "--actor",
    envvar="SEATLEDGER_ACTOR",
    metavar="NAME",
    help="Who is acting, recorded on every fact [env SEATLEDGER_ACTOR; default: your login name].",
)
@click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Do this write at most once: run again with the same KEY and arguments, it prints "
    "the first result and changes nothing; with other arguments it is refused "
    "(idempotency-key-reused). 1-200 printable ASCII characters, no spaces (e.g. a UUID). "
    "Taken by every command that changes the ledger except bill run, remind and notify "
    "deliver; refused by reads.",
)
@click.version_option(package_name="seatledger")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str | None,
    today: str | None,
    as_json: bool,
    catalog: Path | None,
    actor: str | None,
    idempotency_key: str | None,
) -> None:
    """seatledger: the full history of every seat, who pays for it on which date, and proof.

    Dates are ISO YYYY-MM-DD; instants are ISO 8601 with a time zone. Exit codes:
    0 done, 1 refused by a rule or bad input (nothing was changed), 2 usage error.

    \b
    Example:
      seatledger init
      seatledger org add xtra --name "Xtra Lease" --timezone America/Chicago --currency USD
      seatledger seat activate s-001 --org xtra --holder "Ada Lovelace"
      seatledger --json seats xtra --on 2017-09-01
    """
    preset = ctx.obj if isinstance(ctx.obj, Services) else None
    settings = Settings(
        db_url=database_url(db),
        today=day_option(today),
        actor=actor if actor is not None else default_actor(),
        catalog=catalog,
    )
    app = App(settings=settings, as_json=as_json, preset=preset, idempotency_key=idempotency_key)
    ctx.obj = app
    ctx.call_on_close(app.close)


cli.add_command(init)
cli.add_command(demo)
cli.add_command(org)
cli.add_command(seller)
cli.add_command(seat)
cli.add_command(seats)
cli.add_command(roster)
cli.add_command(admin)
cli.add_command(contract)
cli.add_command(transfer)
cli.add_command(takeover)
cli.add_command(usage)
cli.add_command(bill)
cli.add_command(invoice)
cli.add_command(notify)
cli.add_command(remind)
cli.add_command(operator)
cli.add_command(audit)
cli.add_command(serve)
cli.add_command(apikey)


def run(
    args: Sequence[str], prog_name: str = "seatledger", *, services: Services | None = None
) -> int:
    """Run the command line on ``args`` and return the exit code (errors printed).

    ``services`` replaces the database (in-process tests over an in-memory
    ledger); ``--today`` still moves its clock.
    """
    as_json = "--json" in args
    try:
        result = cli.main(args=list(args), prog_name=prog_name, standalone_mode=False, obj=services)
    except click.ClickException as error:
        return show_click_error(error, as_json=as_json)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        return REFUSED
    except StoreBusy as busy:
        return show_store_busy(busy, as_json=as_json)
    except (DBAPIError, OSError, SecretKeyError) as error:
        # Infrastructure, not a bug: a clean code and message, never a traceback (0030).
        failure = store_failure(error)
        if failure is None:
            raise
        Refused(failure, as_json=as_json).show()
        return REFUSED
    except BrokenPipeError:
        # The reader stopped early (`seatledger seats ... | head`): not a failure of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    # Without standalone mode, click returns the code of an early exit such as --help.
    return result if isinstance(result, int) else 0


def main() -> None:
    """The console script ``seatledger``."""
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
