"""Webhook secrets are encrypted at rest with a key outside the database (decision 0040)."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from cli_driver import Cli
from cryptography.fernet import Fernet

SECRET = "north-webhook-secret-0123456789"
HOOK = "https://north.example/hook"


def stored_secret(db: Path) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT webhook_secret FROM contacts WHERE org_id = 'north'").fetchone()
    return None if row is None else row[0]


def with_webhook(cli: Cli) -> Cli:
    cli.ok("org", "add", "north", "--name", "North Clinic", today="2025-10-01")
    cli.env["SEATLEDGER_WEBHOOK_SECRET"] = SECRET
    cli.ok("org", "contact", "north", "--webhook-url", HOOK, "--webhook-secret",
           today="2025-10-01")  # fmt: skip
    return cli


def test_a_secret_is_stored_encrypted_with_the_ledgers_own_key_beside_it(cli: Cli) -> None:
    key_file = cli.db.with_name("ledger.db.secret-key")
    cli.ok("org", "add", "south", "--name", "South Clinic", today="2025-10-01")
    assert not key_file.exists()  # made only when a secret is first stored
    with_webhook(cli)
    stored = stored_secret(cli.db)
    assert stored is not None
    assert stored.startswith("fernet:")
    assert SECRET.encode() not in cli.db.read_bytes()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    plain = Fernet(key_file.read_bytes().strip()).decrypt(stored.removeprefix("fernet:").encode())
    assert plain.decode() == SECRET
    assert cli.json("org", "contact", "north")["webhook_secret"] == "set"


def test_a_plain_text_secret_keeps_working_and_init_encrypts_it(cli: Cli) -> None:
    with_webhook(cli)
    with sqlite3.connect(cli.db) as conn:  # as a ledger from before encryption holds it
        conn.execute("UPDATE contacts SET webhook_secret = ? WHERE org_id = 'north'", (SECRET,))
    assert cli.json("org", "contact", "north")["webhook_secret"] == "set"
    report = cli.json("init")
    assert report["secrets_encrypted"] == 1
    stored = stored_secret(cli.db)
    assert stored is not None
    assert stored.startswith("fernet:")
    assert SECRET not in stored
    assert cli.json("init")["secrets_encrypted"] == 0  # nothing left in plain text
    assert "encrypted" not in cli.ok("init")


def test_the_configured_key_file_is_used_and_another_key_is_a_clear_refusal(
    cli: Cli, tmp_path: Path
) -> None:
    key = tmp_path / "secrets.key"
    key.write_bytes(Fernet.generate_key() + b"\n")
    cli.env["SEATLEDGER_SECRET_KEY"] = str(key)
    with_webhook(cli)
    assert not cli.db.with_name("ledger.db.secret-key").exists()
    stored = stored_secret(cli.db)
    assert stored is not None
    assert Fernet(key.read_bytes().strip()).decrypt(stored[7:].encode()).decode() == SECRET
    key.write_bytes(Fernet.generate_key())  # the wrong key: the secret cannot be opened
    message = cli.refused("invalid-secret-key", "org", "contact", "north")
    assert "another key" in message
    assert "SEATLEDGER_SECRET_KEY" in message
    assert stored_secret(cli.db) == stored  # nothing changed


def test_a_key_file_that_is_not_a_key_is_refused_before_anything_runs(
    cli: Cli, tmp_path: Path
) -> None:
    bad = tmp_path / "not-a-key"
    bad.write_text("root:x:0:0\n", encoding="utf-8")
    cli.env["SEATLEDGER_SECRET_KEY"] = str(bad)
    message = cli.refused("invalid-secret-key", "org", "add", "north", "--name", "North")
    assert "does not hold a Fernet key" in message
    assert "root:x" not in message
    message = cli.refused("invalid-secret-key", "org", "list")
    cli.env["SEATLEDGER_SECRET_KEY"] = str(tmp_path / "missing")
    assert "cannot read the key file" in cli.refused("invalid-secret-key", "org", "list")
    del cli.env["SEATLEDGER_SECRET_KEY"]
    assert cli.json("org", "list") == {"organisations": []}
