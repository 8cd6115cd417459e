"""``seatledger org``: the client organisations that are billed."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import click

from seatledger.adapters.notify.signature import new_secret as new_webhook_secret
from seatledger.adapters.serialisation import to_json
from seatledger.domain.dates import iso_instant
from seatledger.domain.organisation import Organisation
from seatledger.domain.services import commands as c
from seatledger.domain.services import contracts, notify, organisations, questions
from seatledger.domain.services.context import Services
from seatledger.domain.services.parties import PartyChanges
from seatledger.entrypoints.cli.app import App, accepts_idempotency_key, day_option, pass_app
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say


@click.group()
def org() -> None:
    """Set up and look at the organisations seats are billed to.

    \b
    Example:
      seatledger org add xtra --name "Xtra Lease" --timezone America/Chicago
      seatledger org list
      seatledger --json org show xtra
    """


@accepts_idempotency_key
@org.command("add")
@click.argument("org_id", metavar="ORG")
@click.option("--name", required=True, help="The organisation's name, as on its invoices.")
@click.option(
    "--timezone",
    default="Europe/Amsterdam",
    show_default=True,
    metavar="TZ",
    help="IANA time zone: its calendar decides which date 'today' is for its seats.",
)
@click.option(
    "--currency", default="EUR", show_default=True, help="ISO 4217 currency it is billed in."
)
@click.option(
    "--billing-relationship/--no-billing-relationship",
    default=True,
    show_default=True,
    help="Whether the vendor invoices it; only such an organisation can receive a seat's "
    "billing by transfer.",
)
@pass_app
def add(
    app: App, org_id: str, name: str, timezone: str, currency: str, billing_relationship: bool
) -> None:
    """Register the organisation ORG (an id of letters, digits, '.', '_' or '-').

    \b
    Example:
      seatledger org add xtra --name "Xtra Lease" --timezone America/Chicago
      seatledger org add guests --name "Guest school" --no-billing-relationship
    """
    added = unwrap(
        app.execute(
            c.AddOrganisation(org_id, name, timezone, currency, billing_relationship, app.actor)
        )
    )
    if app.as_json:
        emit_json(organisation_document(added))
        return
    relationship = "" if added.billing_relationship else ", no billing relationship"
    say(
        f"organisation {added.id} ({added.name}) added: time zone {added.timezone}, "
        f"currency {added.currency}{relationship}"
    )


@org.command("list")
@pass_app
def list_(app: App) -> None:
    """List every organisation.

    \b
    Example:
      seatledger org list
      seatledger --json org list
    """
    services = app.services()
    found = organisations.list_organisations(services)
    if app.as_json:
        emit_json({"organisations": [organisation_document(o) for o in found]})
        return
    if not found:
        say("no organisations yet: add one with 'seatledger org add'")
        return
    print_table(
        ("org", "name", "timezone", "currency", "billing relationship"),
        [
            (o.id, o.name, zone_today(o, services), o.currency, o.billing_relationship)
            for o in found
        ],
    )


@org.command("show")
@click.argument("org_id", metavar="ORG")
@pass_app
def show(app: App, org_id: str) -> None:
    """Show the organisation ORG, its subscription status and the seats it pays for today.

    The subscription status is "active", "trial" or "no active subscription"
    (no contract, or a trial ended without a plan).

    \b
    Example:
      seatledger org show xtra
      seatledger --today 2017-09-01 --json org show xtra
    """
    services = app.services()
    found = unwrap(organisations.get_organisation(services, org_id))
    today = found.today(services.clock.today)
    active = unwrap(questions.count_on(services, found.id, today))
    status = unwrap(contracts.contract_status(services, found.id))
    in_force = status.contract
    if app.as_json:
        document = organisation_document(found)
        document.update(
            {
                "timezone": found.zone_on(today),
                "timezone_added_with": found.timezone,
                "today": today.isoformat(),
                "active_seats": active,
                "subscription": status.status.value,
                "plan": in_force.plan if in_force else None,
                "cadence": in_force.cadence.value if in_force else None,
                "contract_version": in_force.version if in_force else None,
            }
        )
        emit_json(document)
        return
    plan = "-"
    if in_force is not None and in_force.plan is not None:
        plan = f"{in_force.plan}, {in_force.cadence.value} (contract version {in_force.version})"
    print_table(
        ("field", "value"),
        [
            ("org", found.id),
            ("name", found.name),
            ("timezone", found.zone_on(today)),
            *(
                (f"timezone from {c.on.isoformat()}", c.timezone)
                for c in found.zone_changes
                if c.on > today
            ),
            *(
                (f"timezone until {c.on.isoformat()}", found.zone_on(c.on - timedelta(days=1)))
                for c in found.zone_changes
                if c.on <= today
            ),
            ("currency", found.currency),
            ("billing relationship", found.billing_relationship),
            *(
                (field.replace("_", " "), value)
                for field, value in organisation_document(found).items()
                if field in BUYER_FIELDS and value is not None
            ),
            (f"seats billable today ({today.isoformat()})", active),
            ("subscription", status.status.value),
            ("plan", plan),
        ],
    )


def zone_today(organisation: Organisation, services: Services) -> str:
    return organisation.zone_on(organisation.today(services.clock.today))


@accepts_idempotency_key
@org.command("set")
@click.argument("org_id", metavar="ORG")
@click.option("--name", default=None, metavar="TEXT", help="A new display name.")
@click.option("--timezone", default=None, metavar="TZ", help="A new IANA time zone.")
@click.option(
    "--timezone-from",
    "zone_from_text",
    default=None,
    metavar="DATE",
    help="The first day in the new time zone: today or later [default: today].",
)
@click.option(
    "--billing-relationship/--no-billing-relationship",
    "relationship",
    default=None,
    help="Whether the vendor invoices ORG (only then can it receive a seat's billing).",
)
@click.option("--legal-name", metavar="TEXT", help="Its legal name, as the buyer on documents.")
@click.option(
    "--vat-id", metavar="ID", help="VAT id with its country prefix, checked (NL000099998B57)."
)
@click.option("--address", metavar="TEXT", help="Street and number.")
@click.option("--city", metavar="TEXT", help="City.")
@click.option("--postcode", metavar="TEXT", help="Postcode.")
@click.option("--country", metavar="CC", help="ISO 3166-1 country code (BE, NL).")
@click.option(
    "--peppol-id", metavar="SCHEME:ID", help="Peppol electronic address (0208:0123456749)."
)
@click.option(
    "--buyer-reference", metavar="TEXT", help="Its PO number or reference, quoted on documents."
)
@click.option("--sepa-mandate", metavar="REF", help="Reference of its SEPA direct debit mandate.")
@pass_app
def set_(
    app: App,
    org_id: str,
    name: str | None,
    timezone: str | None,
    zone_from_text: str | None,
    relationship: bool | None,
    legal_name: str | None,
    vat_id: str | None,
    address: str | None,
    city: str | None,
    postcode: str | None,
    country: str | None,
    peppol_id: str | None,
    buyer_reference: str | None,
    sepa_mandate: str | None,
) -> None:
    """Change ORG's name, time zone or billing relationship; options left out stay.

    A new time zone applies from --timezone-from on (default: today), never
    to a day already begun: past days were counted, and their count dates
    closed, in the old zone. `org show` lists the zones and their dates.

    \b
    Example:
      seatledger org set xtra --name "Xtra Lease Inc."
      seatledger org set xtra --timezone America/Denver --timezone-from 2025-11-01
      seatledger org set guests --billing-relationship
      seatledger org set xtra --legal-name "Xtra Lease BV" --vat-id NL000099998B57 \\
          --address "Dorpsstraat 3" --city Utrecht --postcode "3511 AA" --country NL \\
          --peppol-id 9944:NL000099998B57 --buyer-reference PO-4471

    The VAT id is checked by its country's rule (format and check digits);
    documents issued before keep the details they froze.
    """
    party = PartyChanges(
        legal_name=legal_name, vat_id=vat_id, address=address, city=city, postcode=postcode,
        country=country, peppol_id=peppol_id,
    )  # fmt: skip
    if zone_from_text is not None and timezone is None:
        raise click.UsageError("--timezone-from needs --timezone")
    since = day_option(zone_from_text)
    changed = unwrap(
        app.execute(
            c.SetOrganisation(
                org_id, name, timezone, since, relationship, app.actor,
                **party.as_changes(), buyer_reference=buyer_reference, sepa_mandate=sepa_mandate,
            )
        )
    )  # fmt: skip
    if app.as_json:
        emit_json(organisation_document(changed))
        return
    relationship_words = "with" if changed.billing_relationship else "without"
    zones = "; ".join(f"{c.timezone} from {c.on.isoformat()}" for c in changed.zone_changes)
    say(
        f"organisation {changed.id} ({changed.name}) set: time zone {changed.timezone}"
        + (f", then {zones}" if zones else "")
        + f", {relationship_words} a billing relationship"
    )


BUYER_FIELDS = (
    "legal_name", "vat_id", "address", "city", "postcode", "country", "peppol_id",
    "buyer_reference", "sepa_mandate",
)  # fmt: skip


def organisation_document(organisation: Organisation) -> dict[str, Any]:
    document: dict[str, Any] = to_json(organisation)
    return document


WEBHOOK_SECRET_VARIABLE = "SEATLEDGER_WEBHOOK_SECRET"


@accepts_idempotency_key
@org.command("contact")
@click.argument("org_id", metavar="ORG")
@click.option("--email", "emails", multiple=True, metavar="ADDRESS", help="Replaces the list.")
@click.option("--webhook-url", default=None, metavar="URL", help="Where webhooks are POSTed.")
@click.option(
    "--webhook-secret",
    "new_secret",
    is_flag=True,
    help=f"Set the webhook signing secret, read from {WEBHOOK_SECRET_VARIABLE} or a hidden "
    "prompt (never an argument).",
)
@click.option(
    "--rotate-secret",
    "rotate",
    is_flag=True,
    help=f"Replace the secret, still signing with the old one too until --end-rotation: the "
    f"new one from {WEBHOOK_SECRET_VARIABLE}, else a new whsec_ secret printed once.",
)
@click.option("--end-rotation", is_flag=True, help="Stop signing with the replaced secret.")
@pass_app
def contact(
    app: App,
    org_id: str,
    emails: tuple[str, ...],
    webhook_url: str | None,
    new_secret: bool,
    rotate: bool,
    end_rotation: bool,
) -> None:
    """Where ORG's notifications go: e-mail addresses and a signed webhook.

    Without options, shows the contact. The webhook secret (a whsec_ secret,
    or any text of 16 characters or more) signs every POST as Standard
    Webhooks v1 says; it is never printed, except a new one --rotate-secret
    made, once.

    \b
    Example:
      seatledger org contact north --email billing@north.example --email cfo@north.example
      SEATLEDGER_WEBHOOK_SECRET=… seatledger org contact north \\
          --webhook-url https://lms.north.example/hooks/seatledger --webhook-secret
      seatledger org contact north
      seatledger org contact north --rotate-secret     # prints the new whsec_ secret once
      seatledger org contact north --end-rotation      # once the receiver has the new one
    """
    secret, generated = None, None
    if rotate and new_secret:
        raise click.UsageError("give --webhook-secret or --rotate-secret, not both")
    if rotate:
        secret = os.environ.get(WEBHOOK_SECRET_VARIABLE) or None
        if secret is None:
            secret = generated = new_webhook_secret()
    elif new_secret or (webhook_url is not None and WEBHOOK_SECRET_VARIABLE in os.environ):
        secret = os.environ.get(WEBHOOK_SECRET_VARIABLE) or click.prompt(
            "webhook secret", hide_input=True, confirmation_prompt=True, err=True, type=str
        )
    if emails or webhook_url is not None or secret is not None or end_rotation:
        new_emails = list(emails) if emails else None
        found = unwrap(
            app.execute(
                c.SetContact(org_id, new_emails, webhook_url, secret, actor=app.actor,
                             rotate_secret=rotate, end_rotation=end_rotation)
            )
        )  # fmt: skip
    elif app.idempotency_key is not None:
        raise click.UsageError(
            "--idempotency-key is not taken by 'org contact' without options: it only shows "
            "the contact, so a key would do nothing"
        )
    else:
        found = unwrap(notify.get_contact(app.services(), org_id, reader=app.actor))
    shown = {
        "org": found.org,
        "emails": list(found.emails),
        "webhook_url": found.webhook_url,
        "webhook_secret": "set" if found.webhook_secret else None,
    }
    # Shown only while they apply: a rotation under way, a webhook disabled by a 410.
    if found.previous_secret:
        shown["previous_webhook_secret"] = "set"
    if found.webhook_disabled_at:
        shown["webhook_disabled_at"] = iso_instant(found.webhook_disabled_at)
    if generated is not None:
        # The one time a secret is shown: the receiver needs the new one.
        shown["new_webhook_secret"] = generated
    if app.as_json:
        emit_json(shown)
        return
    if generated is not None:
        say(f"new webhook secret (shown once): {generated}")
    say(f"{found.org}: e-mail {', '.join(found.emails) or '-'}")
    say(
        f"webhook {found.webhook_url or '-'}"
        + (" (secret set, never shown)" if found.webhook_secret else "")
        + (", also signing with the replaced secret" if found.previous_secret else "")
        + (", disabled: the receiver answered 410 Gone" if found.webhook_disabled_at else "")
    )
