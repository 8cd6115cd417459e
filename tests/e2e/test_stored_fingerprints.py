"""The fingerprints a keyed write stores are the ones the command line stored before writes
became command values (decision 0010: stored keys must keep matching their retries).

The pinned values were read from the ``idempotency_keys`` table of a ledger
written by the command line as it was before commands were values, with
exactly these commands; the embedding API stores the same for the same write.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from cli_driver import Cli

import seatledger

TODAY = "2025-09-15"
STORED_BEFORE = {
    "k-org": ("org.add", "57b8940a993fd6168d575146f27d936c67cc71a22d51d6a0e7e300403b6bbc9c"),
    "k-admin": ("admin.add", "34c0d347957841fb46d5a39343a904f1726c90842ef11bd58dab1a83f8b8a45e"),
    "k-seat": ("seat.activate", "1888fa4525061522ed3cd555ad2fa6c2e5796a02c906ded6254ded61bb3483db"),
    "k-deact": (
        "seat.deactivate",
        "5c1c04bfcba57c06aecb26919b94e90fe83e8c2f1bcf40a0fa160d5d1f4dafde",
    ),
}


def stored(db: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT key, command, fingerprint FROM idempotency_keys").fetchall()
    return {key: (command, fp) for key, command, fp in rows}


def test_the_command_line_stores_the_fingerprints_it_stored_before(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "ledger.db", actor="ops")
    cli.ok("--idempotency-key", "k-org", "org", "add", "acme", "--name", "Acme Care", today=TODAY)
    cli.ok("--idempotency-key", "k-admin", "admin", "add", "acme", "alice", today=TODAY, pin="1234")
    cli.ok("--idempotency-key", "k-seat", "seat", "activate", "s-1", "--org", "acme",
           "--holder", "Ada", "--addon", "library", "--kind", "student", today=TODAY)  # fmt: skip
    cli.ok("--idempotency-key", "k-deact", "seat", "deactivate", "s-1", today=TODAY)
    assert stored(cli.db) == STORED_BEFORE


def test_the_embedding_api_stores_the_same_fingerprints_as_the_command_line(
    tmp_path: Path,
) -> None:
    db = tmp_path / "api.db"
    with seatledger.connect(f"sqlite:///{db}", today=date(2025, 9, 15), actor="ops") as ledger:
        ledger.add_organisation("acme", "Acme Care", idempotency_key="k-org")
        ledger.add_admin("acme", "alice", "1234", idempotency_key="k-admin")
        ledger.activate("s-1", "acme", holder="Ada", addons=["library"], kind="student",
                        idempotency_key="k-seat")  # fmt: skip
        ledger.deactivate("s-1", idempotency_key="k-deact")
    assert stored(db) == STORED_BEFORE
