"""``seatledger usage``: things billed per use (new dossiers, paid questionnaires), in arrears."""

from __future__ import annotations

import click

from seatledger.adapters import result_codecs as codecs
from seatledger.adapters.serialisation import to_json
from seatledger.domain.dates import iso_instant
from seatledger.domain.errors import InvalidQuantity
from seatledger.domain.services import contracts
from seatledger.entrypoints.cli.app import App, accepts_idempotency_key, day_option, pass_app
from seatledger.entrypoints.cli.errors import refuse, unwrap
from seatledger.entrypoints.cli.output import emit_json, say


@click.group()
def usage() -> None:
    """Record usage billed on the next invoice (in arrears).

    \b
    Example:
      seatledger usage record kauri new-dossier --quantity 3
      seatledger usage record north paid-questionnaire --on 2025-09-14
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
    cleaned = quantity_text.strip()
    if not cleaned.isascii() or not cleaned.isdigit():
        refuse(InvalidQuantity(quantity_text))
    catalog, quantity, day = app.catalog(), int(cleaned), day_option(on_text)
    recorded = unwrap(
        app.once(
            "usage.record",
            {"org": org_id, "kind": kind, "quantity": quantity, "on": day, "actor": app.actor},
            lambda s: contracts.record_usage(
                s, catalog, org_id, kind, quantity=quantity, on=day, actor=app.actor
            ),
            codecs.USAGE_RECORD,
        )
    )
    if app.as_json:
        emit_json(to_json(recorded))
        return
    say(
        f"{recorded.quantity} x {recorded.kind} for {recorded.org} on {recorded.on.isoformat()} "
        f"[#{recorded.seq}, recorded {iso_instant(recorded.recorded_at)} by {recorded.actor}]; "
        "billed on the next period's invoice"
    )
