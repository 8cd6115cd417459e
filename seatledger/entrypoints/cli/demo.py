"""``seatledger demo``: the main job on a sample data set, end to end."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import click

from seatledger.domain.services.organisations import list_organisations
from seatledger.entrypoints.bootstrap import Settings, database_url, open_services
from seatledger.entrypoints.cli.app import App, pass_app
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import print_table, say
from seatledger.entrypoints.demo import run_demo


class PrintedReport:
    """The demo's story on stdout: headings, sentences and plain tables."""

    def heading(self, text: str) -> None:
        say("")
        say(f"== {text}")

    def line(self, text: str) -> None:
        say(text)

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        print_table(columns, rows)


@click.command()
@pass_app
@click.pass_context
def demo(ctx: click.Context, app: App) -> None:
    """Build a sample ledger and show what seatledger answers, end to end.

    Two years (2024-2025) of five organisations in different time zones,
    scripted day by day through the real use cases with a simulated clock:
    an opening-balance import, hundreds of activations and deactivations,
    some reported late (backdated with a reason) and a few corrected. Then
    the dispute of an overage invoice: Xtra Lease, licensed for 400 seats,
    was counted at 403 on 1 September but has 391 today. Deterministic
    (seeded). The database is a new SQLite file in a temporary directory,
    printed at the start, unless --db names one (which must be empty).

    \b
    Example:
      seatledger demo
      seatledger --db demo.db demo && seatledger --db demo.db seats xtra --on 2025-09-01
    """
    explicit = ctx.find_root().params.get("db")
    if explicit is None:
        folder = Path(tempfile.mkdtemp(prefix="seatledger-demo-"))
        url = database_url(str(folder / "demo.db"))
    else:
        url = app.settings.db_url
    opened = unwrap(open_services(Settings(db_url=url)))
    ctx.call_on_close(opened.close)
    if list_organisations(opened.services):
        raise click.UsageError(f"the demo needs an empty database, and {url} has data")
    say(f"seatledger demo: building a sample ledger in {url}")
    started = time.monotonic()
    folder_of_documents = (
        folder if explicit is None else Path(tempfile.mkdtemp(prefix="seatledger-demo-"))
    ) / "documents"
    run_demo(opened.services, PrintedReport(), documents_in=folder_of_documents)
    say("")
    say(
        f"done in {time.monotonic() - started:.1f} s. Explore it: "
        f"seatledger --db {url} seats xtra --on 2025-09-01"
    )
