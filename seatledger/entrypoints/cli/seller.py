"""``seatledger seller``: the vendor as the seller on every invoice document."""

from __future__ import annotations

from typing import Any

import click

from seatledger.adapters import result_codecs as codecs
from seatledger.adapters.serialisation import to_json
from seatledger.domain.parties import Seller
from seatledger.domain.services import parties
from seatledger.entrypoints.cli.app import App, accepts_idempotency_key, pass_app
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say


@click.group()
def seller() -> None:
    """The seller named on every invoice and credit note: legal name, VAT id, address, bank.

    \b
    Example:
      seatledger seller set --name "Leerlijn BV" --vat-id BE0123456749 \\
          --address "Kerkstraat 1" --city Gent --postcode 9000 --country BE \\
          --iban BE68539007547034 --peppol-id 0208:0123456749 --invoice-series SL
      seatledger seller show
    """


@accepts_idempotency_key
@seller.command("set")
@click.option("--name", "legal_name", metavar="TEXT", help="The seller's legal name.")
@click.option(
    "--vat-id", metavar="ID", help="VAT id with its country prefix, checked (BE0123456749)."
)
@click.option("--address", metavar="TEXT", help="Street and number.")
@click.option("--city", metavar="TEXT", help="City.")
@click.option("--postcode", metavar="TEXT", help="Postcode.")
@click.option("--country", metavar="CC", help="ISO 3166-1 country code (BE, NL).")
@click.option("--iban", metavar="IBAN", help="The account invoices are paid to, checked.")
@click.option(
    "--peppol-id", metavar="SCHEME:ID", help="Peppol electronic address (0208:0123456749)."
)
@click.option(
    "--invoice-series",
    metavar="PREFIX",
    help="Prefix of the legal numbers (SL: SL-2025-000001; credit notes SL-CN-2025-000001) "
    "[default: none: 2025-000001].",
)
@click.option(
    "--payment-days",
    type=click.IntRange(0, 365),
    metavar="N",
    help="Days from issue to due date [default: 30].",
)
@pass_app
def set_(
    app: App,
    legal_name: str | None,
    vat_id: str | None,
    address: str | None,
    city: str | None,
    postcode: str | None,
    country: str | None,
    iban: str | None,
    peppol_id: str | None,
    invoice_series: str | None,
    payment_days: int | None,
) -> None:
    """Set the seller's details for the documents issued from now on; options left out stay.

    The first time, --name, --vat-id, --address, --city, --postcode and
    --country are needed. Every value is checked (the VAT id by its
    country's rule); documents already issued keep the seller they froze.

    \b
    Example:
      seatledger seller set --name "Leerlijn BV" --vat-id BE0123456749 \\
          --address "Kerkstraat 1" --city Gent --postcode 9000 --country BE
      seatledger seller set --iban BE68539007547034 --payment-days 14
    """
    changes = parties.PartyChanges(
        legal_name=legal_name, vat_id=vat_id, address=address, city=city, postcode=postcode,
        country=country, peppol_id=peppol_id,
    )  # fmt: skip
    found = unwrap(
        app.once(
            "seller.set",
            {"party": changes.as_changes(), "iban": iban, "invoice_series": invoice_series,
             "payment_days": payment_days, "actor": app.actor},
            lambda s: parties.set_seller(
                s, changes, iban=iban, invoice_series=invoice_series,
                payment_days=payment_days, actor=app.actor,
            ),
            codecs.SELLER,
        )
    )  # fmt: skip
    if app.as_json:
        emit_json(seller_document(found))
        return
    say(f"seller set: {found.name} ({found.party.vat_id}), {found.party.country}")


@seller.command("show")
@pass_app
def show(app: App) -> None:
    """Show the seller's details.

    \b
    Example:
      seatledger seller show
      seatledger --json seller show
    """
    found = parties.get_seller(app.services())
    if app.as_json:
        emit_json(seller_document(found) if found is not None else {"seller": None})
        return
    if found is None:
        say("the seller is not set: run 'seatledger seller set'")
        return
    document = seller_document(found)
    print_table(("field", "value"), [(k, "-" if v is None else v) for k, v in document.items()])


def seller_document(found: Seller) -> dict[str, Any]:
    """The seller as flat JSON keys named like the options of ``seller set``."""
    raw: dict[str, Any] = to_json(found)
    party = raw.pop("party")
    return {**party, **raw}
