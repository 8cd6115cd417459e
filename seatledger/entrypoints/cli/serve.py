"""``seatledger serve`` and ``seatledger apikey``: the HTTP API and the keys that call it."""

from __future__ import annotations

import click

from seatledger.adapters.serialisation import to_json
from seatledger.domain.dates import iso_instant
from seatledger.domain.services import apikeys
from seatledger.domain.services import commands as c
from seatledger.entrypoints.cli.app import App, accepts_idempotency_key, pass_app
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes.")  # fmt: skip
@pass_app
def serve(app: App, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API (docs/http.md) for the ledger named by --db.

    Stops cleanly on SIGTERM: in-flight requests finish. Every request but
    /v1/health and /v1/openapi.json needs an API key (seatledger apikey create).

    \b
    Example:
      seatledger apikey create lms-backend
      seatledger serve --port 8080
      curl -H "Authorization: Bearer slk_…" http://127.0.0.1:8080/v1/organisations
    """
    from seatledger.entrypoints.http.server import serve as run_server

    app.services()  # refuses an old or missing schema before listening
    app.close()
    run_server(app.settings, host=host, port=port, workers=workers)


@click.group()
def apikey() -> None:
    """Keys for the HTTP API: made, listed and revoked by operators.

    A key is printed once, when it is made; the ledger keeps only its hash.
    An operator key (no --org) may act for every organisation, an
    organisation key only for its own. The key's name is the actor recorded.

    \b
    Example:
      seatledger apikey create lms-backend
      seatledger apikey create north-portal --org north
      seatledger apikey revoke north-portal
    """


@accepts_idempotency_key
@apikey.command("create")
@click.argument("name")
@click.option("--org", "org_id", metavar="ORG", help="Limit the key to this organisation.")
@pass_app
def create(app: App, name: str, org_id: str | None) -> None:
    """Make the API key NAME and print it (the only time it is shown).

    \b
    Example:
      seatledger apikey create lms-backend
      seatledger --json apikey create north-portal --org north
    """
    made = unwrap(app.execute(c.CreateApiKey(name, org_id, app.actor)))
    if app.as_json:
        emit_json({**to_json(made.key), "secret": made.secret})
        return
    say(made.secret)
    click.echo(f"API key {made.key.name} for {made.key.org or 'every organisation (operator)'}: "
               "keep it now, it is not shown again", err=True)  # fmt: skip


@apikey.command("list")
@pass_app
def list_(app: App) -> None:
    """Every API key (revoked ones too), without secrets.

    \b
    Example:
      seatledger apikey list
    """
    keys = apikeys.list_api_keys(app.services())
    if app.as_json:
        emit_json({"keys": [to_json(k) for k in keys]})
        return
    print_table(
        ("name", "org", "created_at", "created_by", "revoked_at"),
        [
            (k.name, k.org or "(operator)", iso_instant(k.created_at), k.created_by,
             iso_instant(k.revoked_at) if k.revoked_at else "-")
            for k in keys
        ],
    )  # fmt: skip


@accepts_idempotency_key
@apikey.command("revoke")
@click.argument("name")
@pass_app
def revoke(app: App, name: str) -> None:
    """Revoke the API key NAME for good: its requests are refused (401) from now on.

    \b
    Example:
      seatledger apikey revoke north-portal
    """
    done = unwrap(app.execute(c.RevokeApiKey(name, app.actor)))
    if app.as_json:
        emit_json(to_json(done))
        return
    say(f"API key {done.name} revoked")
