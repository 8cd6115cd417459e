"""``seatledger invoice verify --all``: every issued invoice recomputed, differences reported."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from reliability_support import Cli, billable_orgs


@pytest.fixture
def billed(tmp_path: Path) -> Cli:
    """Three organisations, each billed for September 2025."""
    cli = Cli(tmp_path / "ledger.db")
    billable_orgs(cli, ["a", "b", "c"], seats_each=3, tmp=tmp_path)
    run = cli.json("bill", "run", "--period", "2025-09", today="2025-10-01")
    assert len(run["invoices"]) == 3
    return cli


def document_head(cli: Cli) -> str:
    head: str = cli.json("invoice", "verify", "--all")["chain"]["head"]
    assert len(head) == 64
    return head


def test_verify_all_on_an_empty_ledger_says_there_is_nothing(tmp_path: Path):
    cli = Cli(tmp_path / "ledger.db")
    assert "nothing to verify" in cli.ok("invoice", "verify", "--all")
    assert cli.json("invoice", "verify", "--all") == {
        "checked": 0,
        "verified": 0,
        "failed": [],
        "invoices": [],
        "chain": {"length": 0, "head": "0" * 64, "signed": 0, "signatures_checked": False},
        "problems": [],
    }


def test_verify_all_passes_every_issued_invoice(billed: Cli):
    out = billed.ok("invoice", "verify", "--all")
    assert out.splitlines() == [
        "INV-2025-09-a: ok",
        "INV-2025-09-b: ok",
        "INV-2025-09-c: ok",
        "3 of 3 invoices verified",
        f"chain of 3 seal(s), head {document_head(billed)}; signatures not checked (no key: "
        "SEATLEDGER_SIGNING_KEY or SEATLEDGER_VERIFY_KEYS)",
    ]
    document = billed.json("invoice", "verify", "--all")
    assert document["checked"] == document["verified"] == 3
    assert document["failed"] == []
    assert [i["invoice"] for i in document["invoices"]] == [
        "INV-2025-09-a",
        "INV-2025-09-b",
        "INV-2025-09-c",
    ]
    assert all(i["ok"] for i in document["invoices"])


def test_verify_all_reports_a_tampered_copy_and_exits_1(billed: Cli, tmp_path: Path):
    """A copy of the database where someone dropped the triggers and edited evidence."""
    assert isinstance(billed.db, Path)
    copy = tmp_path / "tampered.db"
    with sqlite3.connect(billed.db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(billed.db, copy)
    with sqlite3.connect(copy) as conn:
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'invoice%'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute("UPDATE invoice_evidence_seats SET holder = 'forged' WHERE seat_id = 'b-s1'")
    tampered = Cli(copy)
    outcome = tampered("invoice", "verify", "--all", json_=True)
    assert outcome.code == 1
    document = outcome.json()
    assert document["checked"] == 3
    assert document["verified"] == 2
    assert document["failed"] == ["INV-2025-09-b"]
    error = outcome.error()
    assert error["code"] == "invoice-mismatch"
    assert "1 of 3 invoices do not verify: INV-2025-09-b" in error["message"]
    assert "content hash does not match" in error["message"]

    text = tampered("invoice", "verify", "--all")
    assert text.code == 1
    assert "INV-2025-09-a: ok" in text.out
    assert "INV-2025-09-b: MISMATCH: the content hash does not match" in text.out
    assert "2 of 3 invoices verified, 1 failed" in text.out
    assert "refused (invoice-mismatch)" in text.err
    # The original is untouched and still verifies.
    assert "3 of 3 invoices verified\n" in billed.ok("invoice", "verify", "--all")


def test_verify_needs_one_invoice_or_all(billed: Cli):
    neither = billed("invoice", "verify", json_=True)
    assert neither.code == 2
    assert neither.error()["code"] == "usage-error"
    both = billed("invoice", "verify", "INV-2025-09-a", "--all")
    assert both.code == 2
    assert "give one INVOICE, or --all" in both.err


@pytest.mark.slow
def test_verify_all_reports_no_difference_on_the_demo_database(tmp_path: Path):
    """The demo's two years of history: every one of its invoices recomputes exactly."""
    db = tmp_path / "demo.db"
    cli = Cli(db)
    cli.ok("demo")
    document = cli.json("invoice", "verify", "--all")
    assert document["checked"] >= 20
    assert document["failed"] == []
    assert document["verified"] == document["checked"]
