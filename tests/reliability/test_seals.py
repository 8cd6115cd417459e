"""Tamper evidence that does not trust the database (decision 0037).

Each test bills a small ledger with a signing key kept in a file, copies the
database, tampers with the copy as someone with full database access would
(triggers dropped), and runs ``invoice verify`` through the real command line.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reliability_support import Cli, billable_orgs
from sqlalchemy import create_engine

from seatledger.adapters.sql.repository import SqlLedger
from seatledger.domain.invoice import evidence_hash
from seatledger.domain.seals import GENESIS, chain_hash


def write_key(folder: Path) -> tuple[Path, Path]:
    """A fresh Ed25519 key pair as PEM files: the private key and the public key."""
    private = Ed25519PrivateKey.generate()
    secret = folder / "seal.pem"
    secret.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = folder / "seal.pub.pem"
    public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return secret, public


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return write_key(tmp_path)


@pytest.fixture
def signed(tmp_path: Path, keys: tuple[Path, Path]) -> Cli:
    """Three organisations billed for September with the signing key configured."""
    cli = Cli(tmp_path / "ledger.db")
    cli.env["SEATLEDGER_SIGNING_KEY"] = str(keys[0])
    billable_orgs(cli, ["a", "b", "c"], seats_each=3, tmp=tmp_path)
    assert len(cli.json("bill", "run", "--period", "2025-09", today="2025-10-01")["invoices"]) == 3
    return cli


def tampered_copy(cli: Cli, tmp_path: Path) -> Path:
    """A copy of the ledger with every trigger dropped."""
    assert isinstance(cli.db, Path)
    with sqlite3.connect(cli.db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "tampered.db"
    shutil.copy(cli.db, copy)
    with sqlite3.connect(copy) as conn:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f'DROP TRIGGER "{name}"')
    return copy


def verifier(copy: Path, public: Path) -> Cli:
    """Someone who holds only the public key (a client, an auditor) verifying ``copy``."""
    cli = Cli(copy)
    cli.env["SEATLEDGER_VERIFY_KEYS"] = str(public)
    return cli


def raise_price(copy: Path, invoice: str) -> None:
    """39.00 a seat becomes 49.00 in the stored invoice, consistently (lines, prices, totals),
    and the plain SHA-256 is recomputed exactly as seatledger computes it."""
    with sqlite3.connect(copy) as conn:
        (document,) = conn.execute(
            "SELECT document FROM invoices WHERE id = ?", (invoice,)
        ).fetchone()
        forged = document.replace('"39.00"', '"49.00"').replace('"117.00"', '"147.00"')
        assert forged != document
        conn.execute(
            "UPDATE invoices SET document = ?, subtotal = '147.00', vat = '30.87', "
            "total = '177.87' WHERE id = ?",
            (forged, invoice),
        )
    engine = create_engine(f"sqlite:///{copy}")
    with engine.connect() as conn:
        found = SqlLedger(conn).get_invoice(invoice)
    engine.dispose()
    assert found is not None
    assert str(found.total) == "177.87"
    with sqlite3.connect(copy) as conn:
        conn.execute(
            "UPDATE invoices SET evidence_hash = ? WHERE id = ?", (evidence_hash(found), invoice)
        )


def problems_of(outcome_json: dict[str, object], invoice: str) -> list[str]:
    found = [i for i in outcome_json["invoices"] if i["invoice"] == invoice]  # type: ignore[attr-defined]
    assert len(found) == 1
    return list(found[0]["problems"])


def test_every_signed_invoice_verifies_and_says_it_is_signed(signed: Cli, keys):
    document = signed.json("invoice", "verify", "--all")
    assert document["failed"] == []
    assert document["problems"] == []
    assert document["chain"]["length"] == 3
    assert document["chain"]["signed"] == 3
    assert document["chain"]["signatures_checked"] is True
    assert {i["seal"] for i in document["invoices"]} == {"signed"}
    # A client holding only the public key gets the same answer.
    only_public = verifier(Path(str(signed.db)), keys[1])
    assert only_public.json("invoice", "verify", "INV-2025-09-b")["seal"] == "signed"


def test_a_raised_price_with_the_plain_hash_recomputed_is_detected(
    signed: Cli, keys, tmp_path: Path
):
    copy = tampered_copy(signed, tmp_path)
    raise_price(copy, "INV-2025-09-b")
    outcome = verifier(copy, keys[1])("invoice", "verify", "--all", json_=True)
    assert outcome.code == 1
    document = outcome.json()
    assert document["failed"] == ["INV-2025-09-b"]
    forged = next(i for i in document["invoices"] if i["invoice"] == "INV-2025-09-b")
    # The unkeyed checks are fooled: the hash, the seats and the lines all recompute ...
    assert forged["hash_matches"]
    assert forged["seats_match"]
    assert forged["lines_match"]
    # ... but the content no longer matches the one sealed, and the seal cannot be redone.
    assert forged["problems"] == ["the content hash differs from the one sealed at #2"]
    assert outcome.error()["code"] == "invoice-mismatch"


def test_a_seal_rewritten_to_match_the_forgery_fails_its_signature(
    signed: Cli, keys, tmp_path: Path
):
    copy = tampered_copy(signed, tmp_path)
    raise_price(copy, "INV-2025-09-b")
    with sqlite3.connect(copy) as conn:
        (content,) = conn.execute(
            "SELECT evidence_hash FROM invoices WHERE id = 'INV-2025-09-b'"
        ).fetchone()
        seals = conn.execute("SELECT seq, invoice_id, content_hash FROM invoice_seals ORDER BY seq")
        previous = GENESIS
        for seq, invoice, sealed in seals.fetchall():
            sealed = content if invoice == "INV-2025-09-b" else sealed
            chained = chain_hash(seq, invoice, sealed, previous)
            conn.execute(
                "UPDATE invoice_seals SET content_hash = ?, previous_hash = ?, chain_hash = ? "
                "WHERE seq = ?",
                (sealed, previous, chained, seq),
            )
            previous = chained
    document = verifier(copy, keys[1])("invoice", "verify", "--all", json_=True).json()
    assert "INV-2025-09-b" in document["failed"]
    assert problems_of(document, "INV-2025-09-b") == [
        "seal #2's signature is not valid: it was forged"
    ]
    # Stripping the signatures instead leaves the chain vouched for by nobody.
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE invoice_seals SET signature = NULL, key_id = NULL")
    stripped = verifier(copy, keys[1])("invoice", "verify", "--all", json_=True).json()
    assert stripped["failed"] == ["INV-2025-09-a", "INV-2025-09-b", "INV-2025-09-c"]
    assert "seal #1 is not covered by any signature" in problems_of(stripped, "INV-2025-09-a")


def test_a_deleted_invoice_and_one_issued_again_are_detected(signed: Cli, keys, tmp_path: Path):
    copy = tampered_copy(signed, tmp_path)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM invoice_evidence_seats WHERE invoice_id = 'INV-2025-09-a'")
        conn.execute("DELETE FROM outbox")
        conn.execute("DELETE FROM invoices WHERE id = 'INV-2025-09-a'")
    deleted = verifier(copy, keys[1])("invoice", "verify", "--all", json_=True)
    assert deleted.code == 1
    assert deleted.json()["problems"] == ["INV-2025-09-a (seal #1) was deleted"]
    # Billing again issues it again: sealed a second time, and still refused.
    again = Cli(copy)
    again.env["SEATLEDGER_SIGNING_KEY"] = str(keys[0])
    again.ok("bill", "run", "--period", "2025-09", today="2025-10-02")
    document = again("invoice", "verify", "--all", json_=True).json()
    assert problems_of(document, "INV-2025-09-a") == [
        "the content hash differs from the one sealed at #1",
        "INV-2025-09-a is sealed twice: it was issued again",
    ]


def test_a_projection_rewritten_behind_the_triggers_is_found_against_the_facts(
    signed: Cli, tmp_path: Path
):
    copy = tampered_copy(signed, tmp_path)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE billing_spans SET org_id = 'b' WHERE seat_id = 'a-s0'")
    cli = Cli(copy)
    single = cli("invoice", "verify", "INV-2025-09-a", json_=True)
    assert single.code == 1
    assert single.json()["facts_match"] is False
    assert "the billing projection of 1 seat(s) differs from their facts" in single.err
    whole = cli("invoice", "verify", "--all", json_=True)
    assert whole.code == 1
    assert any("['a-s0']" in p for p in whole.json()["problems"])


def test_old_invoices_are_chained_at_the_upgrade_and_vouched_for_by_a_checkpoint(
    tmp_path: Path, keys
):
    from alembic import command

    from seatledger.adapters.sql.migrate import alembic_config

    cli = Cli(tmp_path / "ledger.db")
    billable_orgs(cli, ["a", "b"], seats_each=2, tmp=tmp_path)
    cli.ok("bill", "run", "--period", "2025-09", today="2025-10-01")
    # As a ledger issued before sealing was: the seals table gone, then the upgrade again.
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    engine.dispose()
    plain = cli.json("invoice", "verify", "--all")
    assert plain["failed"] == []
    assert plain["chain"]["length"] == 2
    assert plain["chain"]["signed"] == 0
    # Given a key, nothing vouches for them yet ...
    keyed = Cli(tmp_path / "ledger.db")
    keyed.env["SEATLEDGER_SIGNING_KEY"] = str(keys[0])
    assert keyed("invoice", "verify", "--all").code == 1
    # ... until a signed checkpoint does; then both verify, covered by it.
    assert keyed.json("invoice", "seal", today="2025-10-02")["position"] == 3
    document = keyed.json("invoice", "verify", "--all")
    assert document["failed"] == []
    assert document["problems"] == []
    assert {i["seal"] for i in document["invoices"]} == {"covered"}
    entries = keyed.json("audit")
    assert any(e["action"] == "invoice.seal" for e in entries["entries"])


def test_a_missing_or_wrong_key_file_is_a_clean_refusal(tmp_path: Path):
    cli = Cli(tmp_path / "ledger.db")
    cli.env["SEATLEDGER_SIGNING_KEY"] = str(tmp_path / "absent.pem")
    outcome = cli("invoice", "verify", "--all", json_=True)
    assert outcome.code == 1
    assert outcome.error()["code"] == "invalid-key"
    (tmp_path / "not-a-key.pem").write_text("-----BEGIN NOTHING-----\n", encoding="utf-8")
    cli.env["SEATLEDGER_SIGNING_KEY"] = str(tmp_path / "not-a-key.pem")
    wrong = cli("invoice", "verify", "--all", json_=True)
    assert wrong.error()["code"] == "invalid-key"
    assert "BEGIN NOTHING" not in wrong.err
    unsigned = Cli(tmp_path / "ledger.db")
    assert unsigned("invoice", "seal", json_=True).error()["code"] == "no-signing-key"


def test_the_migration_chains_exactly_as_the_domain_does():
    import importlib.util

    from seatledger.adapters.sql.migrate import MIGRATIONS

    path = MIGRATIONS / "versions" / "0016_invoice_seals.py"
    spec = importlib.util.spec_from_file_location("seals_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module._chain_hash(7, "INV-2025-09-a", "ab" * 32, "cd" * 32) == chain_hash(
        7, "INV-2025-09-a", "ab" * 32, "cd" * 32
    )
    assert json.dumps(module.GENESIS) == json.dumps(GENESIS)


def test_the_standalone_snippet_of_verify_md_checks_a_stored_seal(signed: Cli, keys):
    """A client's own check, with only the public key and the seal's columns."""
    import re

    text = (Path(__file__).parents[2] / "docs" / "verify.md").read_text(encoding="utf-8")
    namespace: dict[str, object] = {}
    exec(re.findall(r"```python\n(.*?)```", text, re.S)[0], namespace)
    check = namespace["seal_is_valid"]
    assert isinstance(signed.db, Path)
    with sqlite3.connect(signed.db) as conn:
        row = conn.execute(
            "SELECT seq, invoice_id, content_hash, previous_hash, chain_hash, signature "
            "FROM invoice_seals WHERE invoice_id = 'INV-2025-09-b'"
        ).fetchone()
    public = keys[1].read_bytes()
    assert check(public, *row) is True  # type: ignore[operator]
    forged = (row[0], row[1], "0" * 64, *row[3:])
    assert check(public, *forged) is False  # type: ignore[operator]
