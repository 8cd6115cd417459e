"""``seatledger usage``: things billed per use (new dossiers, paid questionnaires), in arrears."""

from __future__ import annotations

from typing import Any

import click

from seatledger.adapters.serialisation import to_json
from seatledger.domain.dates import iso_instant
from seatledger.domain.errors import InvalidQuantity, UnknownUsageRecord
from seatledger.domain.services import commands as c
from seatledger.domain.services import usage as usage_cases
from seatledger.domain.usage import UsageEntry
from seatledger.entrypoints.cli.app import (
    App,
    accepts_idempotency_key,
    day_option,
    known_at_option,
    pass_app,
)
from seatledger.entrypoints.cli.errors import refuse, unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say


@click.group()
def usage() -> None:
    """Record usage billed on the next invoice (in arrears); list, correct and retract it.

    \b
    Example:
      seatledger usage record kauri new-dossier --quantity 3
      seatledger usage record north paid-questionnaire --on 2025-09-14
      seatledger usage list kauri --from 2025-09-01 --to 2025-09-30
      seatledger usage correct 17 --quantity 2 --reason "one dossier was a duplicate"
      seatledger usage retract 18 --reason "recorded for the wrong client"
    """


@accepts_idempotency_key
@usage.command("record")
@click.argument("org_id", metavar="ORG")
@click.argument("kind", metavar="KIND")
@click.option("--quantity", "quantity_text", default="1", show_default=True, metavar="N")
@click.option("--on", "on_text", metavar="DATE", help="When it was used [default: today].")
@pass_app
def record(app: App, org_id: str, kind: str, quantity_text: str, on_text: str | None) -> None:
    """Record N uses of KIND (a usage kind of the catalog) by ORG on --on.

    Usage dated in a month is billed on the invoice of the next month, at
    the price of ORG's plan (new dossiers cost 5.00 on starter and nothing
    on standard or blended, in the shipped catalog).

    \b
    Example:
      seatledger usage record kauri new-dossier --quantity 3
      seatledger --json usage record north paid-questionnaire --on 2025-09-14
    """
    quantity, day = _quantity(quantity_text), day_option(on_text)
    recorded = unwrap(app.execute(c.RecordUsage(org_id, kind, quantity, day, app.actor)))
    if app.as_json:
        emit_json(to_json(recorded))
        return
    say(
        f"{recorded.quantity} x {recorded.kind} for {recorded.org} on {recorded.on.isoformat()} "
        f"[#{recorded.seq}, recorded {iso_instant(recorded.recorded_at)} by {recorded.actor}]; "
        "billed on the next period's invoice"
    )


def _quantity(text: str) -> int:
    cleaned = text.strip()
    # At most 1,000,000: more than 7 digits is refused before it is converted.
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned.lstrip("0")) > 7:
        refuse(InvalidQuantity(text[:40]))
    return int(cleaned)


def _record_number(text: str) -> int:
    cleaned = text.strip().lstrip("#")
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned.lstrip("0")) > 18:
        refuse(UnknownUsageRecord(text[:40]))
    return int(cleaned)


@usage.command("list")
@click.argument("org_id", metavar="ORG")
@click.option("--from", "first_text", metavar="DATE", help="First day of use (included).")
@click.option("--to", "last_text", metavar="DATE", help="Last day of use (included).")
@click.option(
    "--as-known-at",
    "known_text",
    metavar="ISO-INSTANT",
    help="List the records as they were known at that instant [default: now].",
)
@pass_app
def list_(
    app: App, org_id: str, first_text: str | None, last_text: str | None, known_text: str | None
) -> None:
    """List ORG's usage records, corrected and retracted ones too.

    Each record: its number, kind, quantity, day of use, the instant it was
    recorded and by whom, and its status as known then: in force, corrected
    (by which record, why) or retracted (why). Only records in force are
    billed.

    \b
    Example:
      seatledger usage list kauri
      seatledger usage list kauri --from 2025-09-01 --to 2025-09-30
      seatledger --json usage list kauri --as-known-at 2025-10-01T00:00:00Z
    """
    first, last = day_option(first_text), day_option(last_text)
    known_at = known_at_option(known_text)
    listing = unwrap(
        usage_cases.list_usage(
            app.services(), org_id, first=first, last=last, known_at=known_at, reader=app.actor
        )
    )
    if app.as_json:
        emit_json(
            {
                "org": listing.org,
                "from": first.isoformat() if first else None,
                "to": last.isoformat() if last else None,
                "as_known_at": iso_instant(listing.as_known_at) if listing.as_known_at else None,
                "records": [usage_entry_document(e) for e in listing.entries],
            }
        )
        return
    cut = f" as known at {iso_instant(listing.as_known_at)}" if listing.as_known_at else ""
    if not listing.entries:
        say(f"no usage recorded for {listing.org}{cut}")
        return
    print_table(
        ("#", "kind", "quantity", "on", "recorded", "actor", "status", "note"),
        [
            (
                e.record.seq,
                e.record.kind,
                e.record.quantity,
                e.record.on,
                e.record.recorded_at,
                e.record.actor,
                e.status,
                _note(e),
            )
            for e in listing.entries
        ],
        title=f"usage of {listing.org}{cut}",
    )


def _note(entry: UsageEntry) -> str:
    notes: list[str] = []
    if entry.corrects is not None:
        notes.append(f"corrects #{entry.corrects.supersedes}: {entry.corrects.reason}")
    if entry.superseded is not None:
        if entry.superseded.replaced_by is not None:
            notes.append(f"by #{entry.superseded.replaced_by}")
        else:
            notes.append(f"retracted: {entry.superseded.reason}")
    return "; ".join(notes) or "-"


def usage_entry_document(entry: UsageEntry) -> dict[str, Any]:
    """A usage record with its status, what it corrects and what superseded it."""
    document: dict[str, Any] = to_json(entry.record)
    corrects, superseded = entry.corrects, entry.superseded
    document.update(
        {
            "status": entry.status,
            "corrects": corrects.supersedes if corrects else None,
            "reason": corrects.reason if corrects else None,
            "superseded_by": superseded.replaced_by if superseded else None,
            "superseded_at": iso_instant(superseded.recorded_at) if superseded else None,
            "superseded_reason": superseded.reason if superseded else None,
        }
    )
    return document


@accepts_idempotency_key
@usage.command("correct")
@click.argument("record_text", metavar="RECORD")
@click.option("--quantity", "quantity_text", required=True, metavar="N", help="The right count.")
@click.option("--on", "on_text", metavar="DATE", help="The right day [default: the record's].")
@click.option("--reason", required=True, metavar="TEXT", help="Why it is corrected.")
@pass_app
def correct(
    app: App, record_text: str, quantity_text: str, on_text: str | None, reason: str
) -> None:
    """Correct usage record RECORD: a new record replaces it from now on.

    The old record stays listed, marked corrected; billing "as known" before
    now is unchanged, and the next invoice settles the difference for an
    invoice that billed it as an adjustment.

    \b
    Example:
      seatledger usage correct 17 --quantity 2 --reason "one dossier was a duplicate"
      seatledger usage correct 17 --quantity 3 --on 2025-09-02 --reason "wrong day"
    """
    seq, quantity, day = _record_number(record_text), _quantity(quantity_text), day_option(on_text)
    entry = unwrap(app.execute(c.CorrectUsage(seq, quantity, day, reason, app.actor)))
    if app.as_json:
        emit_json(usage_entry_document(entry))
        return
    new = entry.record
    say(
        f"usage #{new.seq}: {new.quantity} x {new.kind} for {new.org} on {new.on.isoformat()} "
        f"corrects #{entry.corrects.supersedes if entry.corrects else '?'} "
        f"[recorded {iso_instant(new.recorded_at)} by {new.actor}]"
    )


@accepts_idempotency_key
@usage.command("retract")
@click.argument("record_text", metavar="RECORD")
@click.option("--reason", required=True, metavar="TEXT", help="Why it never happened.")
@pass_app
def retract(app: App, record_text: str, reason: str) -> None:
    """Retract usage record RECORD: it never happened, and is billed no more from now on.

    The record stays listed, marked retracted; billing "as known" before now
    is unchanged.

    \b
    Example:
      seatledger usage retract 18 --reason "recorded for the wrong client"
    """
    seq = _record_number(record_text)
    entry = unwrap(app.execute(c.RetractUsage(seq, reason, app.actor)))
    if app.as_json:
        emit_json(usage_entry_document(entry))
        return
    old, withdrawn = entry.record, entry.superseded
    at = iso_instant(withdrawn.recorded_at) if withdrawn else "-"
    say(
        f"usage #{old.seq} ({old.quantity} x {old.kind} for {old.org} on {old.on.isoformat()}) "
        f"retracted [recorded {at} by {withdrawn.actor if withdrawn else '-'}]"
    )
