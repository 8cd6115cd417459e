"""``seatledger admin``: the admins who approve transfers and take over billing with a PIN."""

from __future__ import annotations

import click

from seatledger.adapters.serialisation import admin_document
from seatledger.domain.services import admins
from seatledger.domain.services import commands as c
from seatledger.entrypoints.cli.app import (
    PIN_VARIABLE,
    App,
    accepts_idempotency_key,
    pass_app,
    read_passphrase,
    read_pin,
)
from seatledger.entrypoints.cli.errors import unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say

PIN_NOTE = (
    f"The PIN is read from a hidden prompt, or from the environment variable {PIN_VARIABLE} "
    "in scripts; it is never a command-line argument (it would land in the shell history)."
)


@click.group()
def admin() -> None:
    """Add, list and unlock an organisation's admins.

    An admin approves or rejects transfer requests sent to their
    organisation, and takes over billing, with a personal PIN (4 to 12
    digits). Five wrong PINs in a row lock the admin until another admin of
    the same organisation unlocks them.

    \b
    Example:
      seatledger admin add south sam          # asks for the PIN twice, hidden
      SEATLEDGER_PIN=4821 seatledger admin add south kim
      seatledger admin list south
      seatledger admin unlock south sam --by kim
    """


@accepts_idempotency_key
@admin.command("add")
@click.argument("org_id", metavar="ORG")
@click.argument("admin_id", metavar="ADMIN")
@pass_app
def add(app: App, org_id: str, admin_id: str) -> None:
    """Give ORG the admin ADMIN with a personal PIN.

    The PIN (4 to 12 digits, not one digit repeated) is asked twice at a
    hidden prompt, or taken from SEATLEDGER_PIN. It is stored only as a
    salted scrypt hash and never printed.

    \b
    Example:
      seatledger admin add south sam
      SEATLEDGER_PIN=4821 seatledger --json admin add south kim
    """
    pin = read_pin(f"PIN for admin {admin_id} of {org_id}", confirm=True)
    added = unwrap(app.execute(c.AddAdmin(org_id, admin_id, pin, actor=app.actor)))
    if app.as_json:
        emit_json(admin_document(added))
        return
    say(f"admin {added.id} of {added.org} added; their PIN is stored only as a salted hash")


@admin.command("list")
@click.argument("org_id", metavar="ORG")
@pass_app
def list_(app: App, org_id: str) -> None:
    """List ORG's admins: whether each is locked and their wrong PINs in a row.

    \b
    Example:
      seatledger admin list south
      seatledger --json admin list south
    """
    found = unwrap(admins.list_admins(app.services(), org_id, reader=app.actor))
    if app.as_json:
        emit_json({"org": org_id, "admins": [admin_document(a) for a in found]})
        return
    if not found:
        say(f"{org_id} has no admins yet: add one with 'seatledger admin add {org_id} NAME'")
        return
    print_table(
        ("admin", "locked", "failed attempts"),
        [(a.id, a.locked, a.failed_attempts) for a in found],
    )


@accepts_idempotency_key
@admin.command("unlock")
@click.argument("org_id", metavar="ORG")
@click.argument("admin_id", metavar="ADMIN")
@click.option(
    "--by",
    "by",
    metavar="OTHER",
    help="Another admin of ORG, who confirms with their own PIN. Without it, only an "
    "operator of a closed ledger may unlock, proving who they are with their passphrase "
    "(hidden prompt or SEATLEDGER_PASSPHRASE).",
)
@pass_app
def unlock(app: App, org_id: str, admin_id: str, by: str | None) -> None:
    """Unlock ADMIN of ORG (after five wrong PINs); OTHER confirms with their PIN.

    In a closed ledger an operator (--actor) registered with a passphrase may
    also unlock without --by, giving the passphrase. An open ledger always
    needs --by and that admin's PIN.

    \b
    Example:
      seatledger admin unlock south sam --by kim
      SEATLEDGER_PASSPHRASE=... seatledger --actor olga admin unlock south sam
    """
    pin = read_pin(f"PIN of admin {by} of {org_id}") if by is not None else None
    passphrase = read_passphrase(f"passphrase of operator {app.actor}") if by is None else None
    unlocked = unwrap(
        app.execute(
            c.UnlockAdmin(org_id, admin_id, by, pin, actor=app.actor, passphrase=passphrase)
        )
    )
    if app.as_json:
        emit_json(admin_document(unlocked))
        return
    say(f"admin {unlocked.id} of {unlocked.org} unlocked by {by or app.actor}")
