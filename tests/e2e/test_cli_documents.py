"""Invoice documents through the command line: parties, legal numbers, PDF and Peppol UBL.

A Belgian seller bills Belgian clients (VAT category S, 21 %), a Dutch client
with a VAT id (reverse charge, AE), a zero-rated and an exempt client; the
documents hold seats, add-ons, usage, a discount, an overage invoice of its
own, an adjustment and a credit note. Every UBL document is checked with the
official rules (``../shared/validators/peppol/validate-peppol``: the UBL 2.1
schema, EN 16931 and Peppol BIS 3.0); the PDF is rendered with ``pdftoppm``
and read back with ``pdftotext``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_driver import Cli
from peppol_validator import validate

SEPT, OCT = "2025-10-01", "2025-11-01"


def seller(cli: Cli) -> None:
    cli.ok(
        "seller", "set", "--name", "Leerlijn BV", "--vat-id", "BE0123456749",
        "--address", "Korenmarkt 12", "--city", "Gent", "--postcode", "9000", "--country", "BE",
        "--iban", "BE32123456789002", "--peppol-id", "0208:0123456749", today="2025-09-01",
    )  # fmt: skip


def client(cli: Cli, org: str, vat_id: str | None, country: str, *terms: str) -> None:
    cli.ok("org", "add", org, "--name", org.title(), "--timezone", "Europe/Brussels",
           today="2025-09-01")  # fmt: skip
    peppol = f"0208:{vat_id[2:]}" if country == "BE" and vat_id else f"9944:{vat_id}"
    cli.ok(
        "org", "set", org, "--legal-name", f"{org.title()} Zoë & Fils", "--address", "Rue 1",
        "--city", "Namur", "--postcode", "5000", "--country", country,
        *(["--vat-id", vat_id] if vat_id else []), "--peppol-id", peppol, today="2025-09-01",
    )  # fmt: skip
    cli.ok("contract", "set", org, *terms, today="2025-09-01")


@pytest.fixture
def ledger(cli: Cli) -> Cli:
    """Two months billed for six clients, with every kind of line, a credit note and an
    overage invoice of its own."""
    seller(cli)
    monthly = ("--cadence", "monthly")
    client(cli, "gent", "BE0412345614", "BE", "--plan", "starter", *monthly, "--discount",
           "WELCOME10")  # fmt: skip
    client(cli, "noord", "NL000099998B57", "NL", "--plan", "standard", *monthly,
           "--licensed", "1", "--overage-price", "12.50",
           "--overage-invoice", "separate")  # fmt: skip
    client(cli, "nul", "BE0523456738", "BE", "--plan", "standard", *monthly,
           "--vat-category", "zero")  # fmt: skip
    client(cli, "vrij", "BE0634567862", "BE", "--plan", "standard", *monthly,
           "--vat-category", "exempt")  # fmt: skip
    client(cli, "fleur", "BE0745678986", "BE", "--plan", "standard", *monthly)
    for org, count in (("gent", 2), ("noord", 2), ("nul", 1), ("vrij", 1), ("fleur", 2)):
        for i in range(count):
            extra = ["--addon", "library"] if (org, i) == ("noord", 0) else []
            cli.ok("seat", "activate", f"{org}-{i}", "--org", org, "--holder", f"Zoë Noël {i}",
                   *extra, today="2025-09-01")  # fmt: skip
    cli.ok("usage", "record", "gent", "new-dossier", "--quantity", "3", today="2025-09-10")
    cli.json("bill", "run", "--period", "2025-09", today=SEPT)
    # Reported late: one of Gent's seats and both of Fleur's ended mid-September.
    for seat in ("gent-1", "fleur-0", "fleur-1"):
        cli.ok("seat", "deactivate", seat, "--on", "2025-09-15", "--reason", "left, late",
               today="2025-10-05")  # fmt: skip
    cli.json("bill", "run", "--period", "2025-10", today=OCT)
    return cli


def invoices(cli: Cli) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cli.json("invoice", "list")["invoices"]
    return found


def test_every_document_of_two_months_passes_the_official_peppol_rules(ledger: Cli, tmp_path: Path):
    issued = {i["invoice"]: i for i in invoices(ledger)}
    assert {"OVG-2025-09-noord", "CN-2025-10-fleur", "INV-2025-10-gent"} <= set(issued)
    categories = {i["invoice"]: i["vat_category"] for i in issued.values()}
    assert categories["INV-2025-09-noord"] == "AE"
    assert categories["INV-2025-09-nul"] == "Z"
    assert categories["INV-2025-09-vrij"] == "E"
    assert categories["INV-2025-09-gent"] == "S"
    paths = []
    for invoice in issued:
        path = tmp_path / f"{invoice}.xml"
        ledger.ok("invoice", "export", invoice, "--format", "ubl", "--output", str(path))
        paths.append(path)
    validate(paths)
    credit = (tmp_path / "CN-2025-10-fleur.xml").read_text(encoding="utf-8")
    assert credit.startswith("<?xml")
    assert "<CreditNote" in credit
    corrected = issued["INV-2025-09-fleur"]["number"]
    assert "<cac:BillingReference>" in credit
    assert f"<cbc:ID>{corrected}</cbc:ID>" in credit
    reverse = (tmp_path / "INV-2025-09-noord.xml").read_text(encoding="utf-8")
    assert "<cbc:ID>AE</cbc:ID>" in reverse
    assert "Article 196" in reverse
    assert 'mimeCode="text/csv"' in reverse


def test_legal_numbers_follow_each_other_and_credit_notes_have_their_own_series(ledger: Cli):
    issued = invoices(ledger)
    numbers = sorted(i["number"] for i in issued if i["document"] == "invoice")
    assert numbers == [f"2025-{n:06d}" for n in range(1, len(numbers) + 1)]
    credit = ledger.json("invoice", "show", "CN-2025-10-fleur")
    assert credit["number"] == "CN-2025-000001"
    assert credit["document"] == "credit-note"
    assert credit["corrects"] == ["INV-2025-09-fleur"]
    assert credit["issue_date"] == OCT
    assert credit["due_date"] == "2025-12-01"  # 30 days, the default terms
    assert credit["total"] == "-94.38"


def test_the_pdf_shows_the_numbers_and_the_proof(ledger: Cli, tmp_path: Path):
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        pytest.fail("poppler-utils (pdftotext, pdftoppm) is not installed: .ci/run installs it")
    shown = ledger.json("invoice", "show", "INV-2025-09-noord")
    pdf = tmp_path / "noord.pdf"
    said = ledger.json("invoice", "export", "INV-2025-09-noord", "--format", "pdf",
                       "--output", str(pdf))  # fmt: skip
    assert said["number"] == shown["number"]
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    assert all(p.stat().st_size > 2000 for p in pages)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Invoice {shown['number']}" in text
    assert "Noord Zoë & Fils" in text  # accents, from the shipped font
    assert "Reverse charge" in text
    assert "Article 196" in text
    assert f"{shown['total']} EUR" in text
    assert "Proof annex" in text
    assert "billable seats per day" in text
    assert "noord-0" in text
    assert "noord-1" in text
    assert "2025-09-01" in text
    assert shown["evidence_hash"] in text
    assert f"seatledger invoice verify {shown['invoice']}" in text


def test_verify_checks_an_exported_document_against_the_stored_invoice(ledger: Cli, tmp_path: Path):
    exported = tmp_path / "gent.xml"
    ledger.ok("invoice", "export", "INV-2025-10-gent", "--format", "ubl", "--output", str(exported))
    said = ledger.ok("invoice", "verify", "INV-2025-10-gent", "--document", str(exported))
    assert "and the exported document" in said
    total = ledger.json("invoice", "show", "INV-2025-10-gent")["total"]
    tampered = tmp_path / "tampered.xml"
    tampered.write_text(
        exported.read_text(encoding="utf-8").replace(
            f'<cbc:PayableAmount currencyID="EUR">{total}<',
            '<cbc:PayableAmount currencyID="EUR">1.00<',
        ),
        encoding="utf-8",
    )
    # With --json the checks go to stdout and the refusal to stderr (exit 1).
    outcome = ledger("invoice", "verify", "INV-2025-10-gent", "--document", str(tampered),
                     json_=True)  # fmt: skip
    assert outcome.code == 1
    assert outcome.error()["code"] == "invoice-mismatch"
    assert outcome.json()["problems"] == [
        f"the document's total is 1.00, the stored invoice's {total}"
    ]


def test_a_bad_vat_id_is_refused_naming_the_countrys_rule_and_nothing_changes(cli: Cli):
    seller(cli)
    before = cli.json("seller", "show")
    message = cli.refused("invalid-vat-id", "seller", "set", "--vat-id", "BE0123456748")
    assert "BE: BTW, TVA, NWSt, ondernemingsnummer" in message
    assert "check digit" in message
    assert cli.json("seller", "show") == before
    cli.ok("org", "add", "noord", "--name", "Noord", today="2025-09-01")
    message = cli.refused("invalid-vat-id", "org", "set", "noord", "--vat-id", "NL000099998B58")
    assert "NL: Btw-identificatienummer" in message
    assert cli.json("org", "show", "noord")["vat_id"] is None
    assert "EAS" in cli.refused("invalid-party-field", "org", "set", "noord",
                                "--peppol-id", "1234:5678")  # fmt: skip


def test_a_ubl_export_names_what_the_parties_lack(cli: Cli):
    cli.ok("org", "add", "noord", "--name", "Noord", today="2025-09-01")
    cli.ok("contract", "set", "noord", "--plan", "standard", "--cadence", "monthly",
           today="2025-09-01")  # fmt: skip
    cli.ok("seat", "activate", "n-1", "--org", "noord", today="2025-09-01")
    cli.json("bill", "run", "--period", "2025-09", today=SEPT)
    message = cli.refused(
        "document-incomplete", "invoice", "export", "INV-2025-09-noord", "--format", "ubl"
    )
    assert "the seller is not set" in message
    # The PDF needs no Peppol details; without --output it goes to stdout, as bytes.
    shown = subprocess.run(
        [sys.executable, "-m", "seatledger.entrypoints.cli.main", "invoice", "export",
         "INV-2025-09-noord", "--format", "pdf"],
        capture_output=True, env={**os.environ, **cli.env}, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(b"%PDF")


@pytest.mark.slow
def test_every_document_the_demo_issues_passes_the_official_peppol_rules(cli: Cli, tmp_path: Path):
    """Seats, add-ons, usage, overage, discounts, adjustments, a credit note, reverse charge."""
    out = cli.ok("demo")
    exported = [Path(p) for p in re.findall(r"(/\S+\.xml)", out)]
    assert len(exported) == 2
    issued = invoices(cli)
    kinds = {i["document"] for i in issued} | {i["vat_category"] for i in issued}
    assert {"invoice", "credit-note", "S", "AE"} <= kinds
    paths = []
    for invoice in issued:
        path = tmp_path / f"{invoice['invoice']}.xml"
        cli.ok("invoice", "export", invoice["invoice"], "--format", "ubl", "--output", str(path))
        paths.append(path)
    validate(paths + exported)
