"""``seatledger seat``: a seat's life (activate, deactivate, complete, reactivate), its
corrections, its history, and bulk import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from seatledger.adapters import result_codecs as codecs
from seatledger.adapters.csv_import import open_import_file
from seatledger.adapters.serialisation import history_document, to_json
from seatledger.domain.dates import iso_instant
from seatledger.domain.seat import ADDON_CHANGES, FactKind, SeatFact, SeatKind
from seatledger.domain.services import commands as c
from seatledger.domain.services import imports, seats
from seatledger.domain.services.seats import HistoryEntry
from seatledger.domain.timeline import ActiveInterval
from seatledger.entrypoints.cli.app import (
    App,
    accepts_idempotency_key,
    day_option,
    pass_app,
    required_day,
)
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import (
    emit_json,
    print_table,
    say,
    stderr_is_terminal,
)

ON_HELP = "Effective date YYYY-MM-DD [default: today in the paying organisation's time zone]."
REASON_HELP = "Why; required when --on lies before today (a backdated fact)."


@click.group()
def seat() -> None:
    """Change and inspect one seat; import many.

    Every change appends a fact with its effective date, the instant it was
    recorded, the actor and the reason; nothing is ever edited or deleted.

    \b
    Example:
      seatledger seat activate s-001 --org xtra --holder "Ada Lovelace" --addon library
      seatledger seat deactivate s-001 --on 2017-09-15 --reason "left in September"
      seatledger seat history s-001
    """


def kind_option(text: str | None) -> SeatKind | None:
    return None if text is None else unwrap(SeatKind.parse(text))


@accepts_idempotency_key
@seat.command()
@click.argument("seat_id", metavar="SEAT")
@click.option("--org", "org_id", required=True, metavar="ORG", help="The organisation that pays.")
@click.option("--on", "on_text", metavar="DATE", help=ON_HELP)
@click.option("--kind", metavar="regular|student", default="regular", show_default=True)
@click.option("--holder", default="", help="Who holds the seat (a name or an external id).")
@click.option(
    "--addon",
    "addons",
    multiple=True,
    metavar="NAME",
    help="An add-on of the catalog, e.g. library (any other name is refused as unknown-addon).",
)
@click.option("--reason", help=REASON_HELP)
@pass_app
def activate(
    app: App,
    seat_id: str,
    org_id: str,
    on_text: str | None,
    kind: str,
    holder: str,
    addons: tuple[str, ...],
    reason: str | None,
) -> None:
    """Open the new seat SEAT, billed to ORG from --on (counted on that day).

    \b
    Example:
      seatledger seat activate s-001 --org xtra --holder "Ada Lovelace"
      seatledger seat activate s-002 --org xtra --kind student --addon library \\
          --on 2017-08-28 --reason "signed up on paper"
    """
    day, seat_kind = day_option(on_text), kind_option(kind) or SeatKind.REGULAR
    # Add-ons are checked against the catalog, which is read only when one is named.
    fact = unwrap(
        app.execute(
            c.ActivateSeat(seat_id, org_id, app.actor, day, seat_kind, holder, addons, reason)
        )
    )
    report_fact(app, fact)


def _closing_command(
    name: str, command_class: type[c.DeactivateSeat | c.CompleteSeat], doc: str
) -> click.Command:
    @click.argument("seat_id", metavar="SEAT")
    @click.option("--on", "on_text", metavar="DATE", help=ON_HELP)
    @click.option("--reason", help=REASON_HELP)
    @pass_app
    def command(app: App, seat_id: str, on_text: str | None, reason: str | None) -> None:
        day = day_option(on_text)
        fact = unwrap(app.execute(command_class(seat_id, app.actor, day, reason)))
        report_fact(app, fact)

    command.__doc__ = doc
    return accepts_idempotency_key(seat.command(name)(command))


deactivate = _closing_command(
    "deactivate",
    c.DeactivateSeat,
    """End SEAT's active interval on --on: it is not billed on that day or after.

    A seat deactivated before a reference date is not counted for that period.

    \b
    Example:
      seatledger seat deactivate s-001
      seatledger seat deactivate s-001 --on 2017-09-15 --reason "left in September"
    """,
)

complete = _closing_command(
    "complete",
    c.CompleteSeat,
    """Mark SEAT's training completed on --on: billing stops as for a deactivation.

    \b
    Example:
      seatledger seat complete s-001 --on 2025-06-30 --reason "graduated"
    """,
)


@accepts_idempotency_key
@seat.command()
@click.argument("seat_id", metavar="SEAT")
@click.option("--on", "on_text", metavar="DATE", help=ON_HELP)
@click.option("--reason", help=REASON_HELP)
@click.option("--kind", metavar="regular|student", help="A new kind [default: unchanged].")
@click.option("--holder", help="A new holder [default: unchanged].")
@click.option(
    "--addon",
    "addons",
    multiple=True,
    metavar="NAME",
    help="The add-ons from now on [default: unchanged].",
)
@pass_app
def reactivate(
    app: App,
    seat_id: str,
    on_text: str | None,
    reason: str | None,
    kind: str | None,
    holder: str | None,
    addons: tuple[str, ...],
) -> None:
    """Open a new active interval for the deactivated or completed seat SEAT.

    The seat keeps its holder, kind and add-ons unless new ones are given.

    \b
    Example:
      seatledger seat reactivate s-001
      seatledger seat reactivate s-001 --kind regular --reason "qualified, now regular"
    """
    day, seat_kind, new_addons = day_option(on_text), kind_option(kind), addons or None
    fact = unwrap(
        app.execute(
            c.ReactivateSeat(seat_id, app.actor, day, reason, seat_kind, holder, new_addons)
        )
    )
    report_fact(app, fact)


@accepts_idempotency_key
@seat.command()
@click.argument("seat_id", metavar="SEAT")
@click.argument("seq", metavar="FACT_SEQ", type=int)
@click.option("--on", "on_text", required=True, metavar="DATE", help="The right effective date.")
@click.option("--reason", help="Why the old date was wrong (required).")
@pass_app
def correct(app: App, seat_id: str, seq: int, on_text: str, reason: str | None) -> None:
    """Record that fact FACT_SEQ of SEAT really happened on --on.

    The correction supersedes the old fact, which stays in the history:
    answers "as known at" an earlier instant still see the old date.
    FACT_SEQ is the number 'seat history' shows.

    \b
    Example:
      seatledger seat correct s-001 7 --on 2017-08-29 --reason "HR: left in August"
    """
    day = required_day(on_text)
    fact = unwrap(app.execute(c.CorrectFact(seat_id, seq, day, app.actor, reason)))
    report_fact(app, fact)


@accepts_idempotency_key
@seat.command()
@click.argument("seat_id", metavar="SEAT")
@click.argument("seq", metavar="FACT_SEQ", type=int)
@click.option("--reason", help="Why the fact never happened (required).")
@pass_app
def retract(app: App, seat_id: str, seq: int, reason: str | None) -> None:
    """Record that fact FACT_SEQ of SEAT never happened (it stays in the history).

    \b
    Example:
      seatledger seat retract s-001 9 --reason "deactivated by mistake"
    """
    fact = unwrap(app.execute(c.RetractFact(seat_id, seq, app.actor, reason)))
    report_fact(app, fact)


@seat.group()
def addon() -> None:
    """Add an add-on to a seat, or remove one, from a date on.

    The change holds from --on to the end of the seat's active interval; a
    reactivation states its own add-ons (by default those held when it is
    recorded). A seat counted on a reference date is billed for the add-ons
    it holds that day.

    \b
    Example:
      seatledger seat addon remove s-001 library --on 2025-10-01 --reason "library cancelled"
      seatledger seat addon add s-001 library
    """


def _addon_command(
    name: str, command_class: type[c.AddAddon | c.RemoveAddon], doc: str
) -> click.Command:
    @click.argument("seat_id", metavar="SEAT")
    @click.argument("addon_name", metavar="NAME")
    @click.option("--on", "on_text", metavar="DATE", help=ON_HELP)
    @click.option("--reason", help=REASON_HELP)
    @pass_app
    def command(
        app: App, seat_id: str, addon_name: str, on_text: str | None, reason: str | None
    ) -> None:
        day = day_option(on_text)
        fact = unwrap(app.execute(command_class(seat_id, addon_name, app.actor, day, reason)))
        report_fact(app, fact)

    command.__doc__ = doc
    return accepts_idempotency_key(addon.command(name)(command))


addon_add = _addon_command(
    "add",
    c.AddAddon,
    """SEAT holds add-on NAME from --on on (default: today).

    Refused if SEAT already holds NAME that day (addon-already-held) or is
    not active that day (seat-not-active).

    \b
    Example:
      seatledger seat addon add s-001 library
      seatledger seat addon add s-001 library --on 2025-09-01 --reason "ordered in September"
    """,
)

addon_remove = _addon_command(
    "remove",
    c.RemoveAddon,
    """SEAT no longer holds add-on NAME from --on on (default: today).

    The add-on is not billed for --on itself nor any later reference date
    of that active interval. Refused if SEAT does not hold NAME that day
    (addon-not-held) or is not active that day (seat-not-active).

    \b
    Example:
      seatledger seat addon remove s-001 library
      seatledger seat addon remove s-001 library --on 2025-10-01 --reason "cancelled"
    """,
)


@seat.command()
@click.argument("seat_id", metavar="SEAT")
@pass_app
def history(app: App, seat_id: str) -> None:
    """Show every fact of SEAT and the intervals they add up to today.

    Each fact: its number, kind, effective date, recorded instant, actor,
    reason, and what it supersedes or is superseded by; transfer facts also
    the sending organisation and the request id. Then the active intervals
    [from, until) and who pays over which dates.

    \b
    Example:
      seatledger seat history s-001
      seatledger --json seat history s-001
    """
    found = unwrap(seats.history(app.services(), seat_id, reader=app.actor))
    if app.as_json:
        emit_json(history_document(found))
        return
    print_table(
        (
            "#",
            "kind",
            "effective",
            "recorded",
            "actor",
            "org",
            "reason",
            "supersedes",
            "by",
            "from",
            "request",
        ),
        [_history_row(entry) for entry in found.entries],
        title=f"seat {found.seat}: facts",
    )
    print_table(
        ("from", "until", "ended by", "holder", "kind", "addons"),
        [
            (
                i.start,
                i.end,
                i.ended_by.value if i.ended_by else None,
                i.holder,
                i.seat_kind.value,
                _addons_text(i),
            )
            for i in found.timeline.intervals
        ],
        title="active intervals [from, until)",
    )
    print_table(
        ("org", "from", "until"),
        [(o.org, o.start, o.end) for o in found.timeline.owners],
        title="paying organisation [from, until)",
    )


def _addons_text(interval: ActiveInterval) -> str:
    """The add-ons an interval opens with, then each change: ``library; from 2025-10-01: -``."""

    def names(addons: frozenset[str]) -> str:
        return ", ".join(sorted(addons)) or "-"

    changes = [f"from {day.isoformat()}: {names(a)}" for day, a in interval.addon_changes]
    return "; ".join([names(interval.addons), *changes])


def _history_row(entry: HistoryEntry) -> tuple[object, ...]:
    fact = entry.fact
    kind = fact.kind.value
    if fact.kind in ADDON_CHANGES:
        kind = f"{kind} {', '.join(sorted(fact.addons))}"
    return (
        fact.seq,
        kind,
        fact.effective_on,
        fact.recorded_at,
        fact.actor,
        fact.org,
        fact.reason,
        fact.supersedes,
        entry.superseded_by,
        fact.from_org,
        fact.request,
    )


@accepts_idempotency_key
@seat.command("import")
@click.argument(
    "path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@pass_app
def import_(app: App, path: Path) -> None:
    """Import seats with their past from a CSV file: all rows, or none.

    The header names the columns, in any order:
    seat,org,activated_on,deactivated_on,kind,holder and optionally addons
    (names separated by ';'). deactivated_on may be empty (still active),
    kind may be empty (regular). Dates are YYYY-MM-DD. The file is UTF-8.
    Every problem is listed by line and column, and then nothing is imported.
    Imported facts are backdated with the reason "imported from FILE".

    \b
    Example:
      seatledger seat import seats.csv
    \b
    seats.csv:
      seat,org,activated_on,deactivated_on,kind,holder,addons
      s-001,xtra,2017-03-01,,regular,Ada Lovelace,library
      s-002,xtra,2017-03-01,2017-09-15,student,Alan Turing,
    """
    with _progress(enabled=stderr_is_terminal()) as step:
        step(f"reading {path.name}")
        # Streamed: checked and written a chunk of rows at a time, in one transaction (0041).
        file = unwrap(open_import_file(path))
        catalog = app.catalog() if "addons" in file.columns else None
        step(f"importing {path.name}")
        summary = unwrap(
            app.once(
                "seat.import",
                # A key remembers the file by its bytes' SHA-256, not by its rows.
                {"file_sha256": file.digest, "source": path.name, "actor": app.actor},
                lambda s: imports.import_seat_chunks(
                    s, file.chunks, source=path.name, actor=app.actor, catalog=catalog
                ),
                codecs.IMPORT_SUMMARY,
            )
        )
    if app.as_json:
        emit_json({"source": path.name, **to_json(summary)})
        return
    say(
        f"imported {summary.seats} seats from {path.name} ({summary.deactivated} of them "
        f"deactivated): {summary.facts} facts recorded"
    )


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the current step, only when stderr is a terminal."""
    if not enabled:
        yield lambda _: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)
        yield lambda text: progress.update(task, description=text)


def report_fact(app: App, fact: SeatFact) -> None:
    """Print a newly recorded fact: JSON with --json, else one sentence."""
    if app.as_json:
        document: dict[str, Any] = to_json(fact)
        emit_json(document)
        return
    say(describe(fact))


def describe(fact: SeatFact) -> str:
    what = {
        FactKind.ACTIVATED: f"activated for {fact.org}",
        FactKind.DEACTIVATED: "deactivated",
        FactKind.COMPLETED: "completed",
        FactKind.REACTIVATED: "reactivated",
        FactKind.RETRACTED: f"fact #{fact.supersedes} retracted",
        FactKind.ADDON_ADDED: f"add-on {', '.join(sorted(fact.addons))} added",
        FactKind.ADDON_REMOVED: f"add-on {', '.join(sorted(fact.addons))} removed",
    }.get(fact.kind, fact.kind.value)
    if fact.supersedes is not None and fact.kind is not FactKind.RETRACTED:
        what = f"{what} (correcting fact #{fact.supersedes})"
    because = f": {fact.reason}" if fact.reason else ""
    return (
        f"seat {fact.seat} {what} on {fact.effective_on.isoformat()}{because} "
        f"[fact #{fact.seq}, recorded {iso_instant(fact.recorded_at)} by {fact.actor}]"
    )
