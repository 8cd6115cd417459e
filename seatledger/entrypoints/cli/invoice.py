"""``seatledger invoice``: list, show, explain, verify and export the evidence of invoices."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import attrs
import click
from attrs import frozen

from seatledger.adapters.documents.pdf import pdf_document
from seatledger.adapters.documents.ubl import read_ubl, ubl_document
from seatledger.adapters.serialisation import (
    evidence_csv,
    evidence_document,
    invoice_document,
    money,
    verification_document,
)
from seatledger.domain.errors import LedgerError
from seatledger.domain.invoice import Invoice
from seatledger.domain.legal_document import compare
from seatledger.domain.services import billing, documents
from seatledger.entrypoints.cli.app import App, pass_app, period_option
from seatledger.entrypoints.cli.errors import refuse, unwrap
from seatledger.entrypoints.cli.output import emit_json, print_table, say


@frozen
class InvoiceMismatch(LedgerError):
    """``invoice verify`` found differences: the invoice does not prove itself."""

    code: ClassVar[str] = "invoice-mismatch"
    invoice: str
    problems: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"invoice {self.invoice} does not verify: " + "; ".join(self.problems)


@frozen
class InvoicesMismatch(LedgerError):
    """``invoice verify --all`` found invoices that do not prove themselves."""

    code: ClassVar[str] = "invoice-mismatch"
    checked: int
    failures: tuple[tuple[str, tuple[str, ...]], ...]
    ledger: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        listed = "; ".join(
            f"{invoice} ({', '.join(problems)})" for invoice, problems in self.failures
        )
        text = f"{len(self.failures)} of {self.checked} invoices do not verify: {listed}"
        if self.ledger:
            text += "; the ledger: " + "; ".join(self.ledger)
        return text


@click.group()
def invoice() -> None:
    """Look at issued invoices and prove them.

    \b
    Example:
      seatledger invoice list --period 2025-09
      seatledger invoice show INV-2025-09-north
      seatledger invoice explain INV-2025-09-north
      seatledger invoice verify INV-2025-09-north
      seatledger invoice verify --all
      seatledger invoice evidence INV-2025-09-north --format csv > evidence.csv
    """


@invoice.command("list")
@click.option("--org", "org_id", metavar="ORG", help="Only this organisation's invoices.")
@click.option("--period", "period_text", metavar="YYYY-MM", help="Only this period's invoices.")
@pass_app
def list_(app: App, org_id: str | None, period_text: str | None) -> None:
    """List issued invoices, by period then organisation.

    \b
    Example:
      seatledger invoice list
      seatledger invoice list --org north --period 2025-09
      seatledger --json invoice list --period 2025-09
    """
    period = period_option(period_text)
    found = unwrap(billing.list_invoices(app.services(), org_id, period, reader=app.actor))
    if app.as_json:
        emit_json({"invoices": [invoice_document(i) for i in found]})
        return
    if not found:
        say("no invoices issued" + (f" for {period}" if period else ""))
        return
    print_invoices(found)


def print_invoices(found: Sequence[Invoice]) -> None:
    print_table(
        ("invoice", "org", "period", "counted on", "seats", "subtotal", "vat", "total", "issued"),
        [
            (
                i.id,
                i.org,
                str(i.period),
                i.evidence.reference_date,
                len(i.evidence.seats),
                money(i.subtotal, i.currency),
                money(i.vat, i.currency),
                f"{money(i.total, i.currency)} {i.currency}",
                i.issued_at,
            )
            for i in found
        ],
    )


def _find(app: App, invoice_id: str) -> Invoice:
    return unwrap(billing.get_invoice(app.services(), invoice_id, reader=app.actor))


@invoice.command("show")
@click.argument("invoice_id", metavar="INVOICE")
@pass_app
def show(app: App, invoice_id: str) -> None:
    """Show INVOICE: its lines and totals.

    \b
    Example:
      seatledger invoice show INV-2025-09-north
      seatledger --json invoice show INV-2025-09-north
    """
    found = _find(app, invoice_id)
    if app.as_json:
        emit_json(invoice_document(found))
        return
    print_invoice(found)


def print_invoice(found: Invoice) -> None:
    currency = found.currency
    counted = found.evidence.reference_date
    say(
        f"invoice {found.id}: {found.org}, period {found.period}, {found.status.value}"
        + (f", seats counted on {counted.isoformat()}" if counted else "")
    )
    print_table(
        ("kind", "description", "quantity", "unit price", "amount"),
        [
            (
                line.kind.value,
                line.description,
                line.quantity,
                money(line.unit_price, currency),
                money(line.amount, currency),
            )
            for line in found.lines
        ],
    )
    say(f"subtotal     {money(found.subtotal, currency):>12} {currency}")
    say(f"VAT {found.vat_rate:>5}%   {money(found.vat, currency):>12} {currency}")
    say(f"total        {money(found.total, currency):>12} {currency}")
    say(f"evidence hash {found.evidence_hash}")
    if found.issue is not None:
        issue = found.issue
        say(
            f"number {issue.number.text}, issued {issue.issue_date.isoformat()}, "
            f"due {issue.due_date.isoformat()}"
        )


@invoice.command("explain")
@click.argument("invoice_id", metavar="INVOICE")
@pass_app
def explain(app: App, invoice_id: str) -> None:
    """Say where each line of INVOICE comes from, in words a client would accept.

    \b
    Example:
      seatledger invoice explain INV-2025-09-xtra
    """
    found = _find(app, invoice_id)
    lines = billing.explain(found)
    if app.as_json:
        emit_json({"invoice": found.id, "explanation": lines})
        return
    for line in lines:
        say(line)


@invoice.command("verify")
@click.argument("invoice_id", metavar="[INVOICE]", required=False)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Verify every issued invoice: one line each, then a summary.",
)
@click.option(
    "--document",
    "document_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE.xml",
    help="Also check that this exported UBL document states the stored invoice: its number, "
    "issue date, totals, the invoices it corrects, the evidence hash and the embedded seats.",
)
@pass_app
def verify(app: App, invoice_id: str | None, every: bool, document_file: Path | None) -> None:
    """Check INVOICE (or --all): its hash, its seats recomputed as known at its cut, its lines.

    Exit 0 if every check passes; exit 1 (invoice-mismatch) listing each
    problem otherwise. With --json the checks are printed on stdout either
    way, and a mismatch also as an error on stderr. With --all every issued
    invoice is recomputed; the JSON is {"checked", "verified", "failed":
    [INVOICE, ...], "invoices": [checks, ...]}.

    \b
    Example:
      seatledger invoice verify INV-2025-09-north
      seatledger --json invoice verify INV-2025-09-north
      seatledger invoice verify --all
      seatledger invoice verify INV-2025-09-north --document INV-2025-09-north.xml
    """
    if every == (invoice_id is not None):
        raise click.UsageError("give one INVOICE, or --all (not both)")
    if every and document_file is not None:
        raise click.UsageError("--document checks one INVOICE, not --all")
    if every:
        verify_all(app)
        return
    assert invoice_id is not None
    verification = unwrap(billing.verify_invoice(app.services(), invoice_id))
    if document_file is not None:
        view = unwrap(documents.document_view(app.services(), invoice_id))
        facts = unwrap(read_ubl(document_file.read_bytes()))
        differences = compare(view, facts, evidence_csv(view.invoice.evidence.seats))
        verification = attrs.evolve(
            verification, problems=verification.problems + tuple(differences)
        )
    if app.as_json:
        emit_json(verification_document(verification))
    elif verification.ok:
        say(
            f"{verification.invoice}: every check passed (content hash, seats recomputed as "
            "known at the cut, lines recomputed from the frozen prices, adjustments"
            + (", and the exported document)" if document_file is not None else ")")
        )
    if not verification.ok:
        refuse(InvoiceMismatch(verification.invoice, verification.problems))


def verify_all(app: App) -> None:
    """``invoice verify --all``: recompute every issued invoice, walk the chain of seals and
    replay every seat's facts against the projection; report each and sum up."""
    report = unwrap(billing.verify_ledger(app.services()))
    checks = report.invoices
    failed = [c for c in checks if not c.ok]
    chain = report.chain
    if app.as_json:
        emit_json(
            {
                "checked": len(checks),
                "verified": len(checks) - len(failed),
                "failed": [c.invoice for c in failed],
                "invoices": [verification_document(c) for c in checks],
                "chain": {
                    "length": chain.length,
                    "head": chain.head,
                    "signed": chain.signed,
                    "signatures_checked": chain.signatures_checked,
                },
                "problems": list(report.problems),
            }
        )
    else:
        for check in checks:
            say(
                f"{check.invoice}: "
                + ("ok" if check.ok else "MISMATCH: " + "; ".join(check.problems))
            )
        for problem in report.problems:
            say(f"ledger: MISMATCH: {problem}")
        if not checks:
            say("no invoices issued: nothing to verify")
        else:
            say(
                f"{len(checks) - len(failed)} of {len(checks)} invoices verified"
                + (f", {len(failed)} failed" if failed else "")
            )
        signatures = (
            f"{chain.signed} signed seal(s) checked"
            if chain.signatures_checked
            else "signatures not checked (no key: SEATLEDGER_SIGNING_KEY or SEATLEDGER_VERIFY_KEYS)"
        )
        say(f"chain of {chain.length} seal(s), head {chain.head}; {signatures}")
    if not report.ok:
        refuse(
            InvoicesMismatch(
                len(checks), tuple((c.invoice, c.problems) for c in failed), report.problems
            )
        )


@invoice.command("seal")
@pass_app
def seal(app: App) -> None:
    """Sign the chain of issued documents as it stands, with SEATLEDGER_SIGNING_KEY.

    Appends a checkpoint seal whose signature vouches for every document
    issued before it, e.g. those issued while no key was configured, or
    before the upgrade that began sealing. Prints the checkpoint.

    \b
    Example:
      SEATLEDGER_SIGNING_KEY=/etc/seatledger/seal.pem seatledger invoice seal
    """
    sealed = unwrap(billing.seal_chain(app.services(), app.actor))
    document = {
        "position": sealed.position,
        "chain_hash": sealed.chain_hash,
        "key_id": sealed.key_id,
        "signature": sealed.signature,
    }
    if app.as_json:
        emit_json(document)
    else:
        say(
            f"checkpoint #{sealed.position} signed with key {sealed.key_id}: it vouches for "
            f"the chain up to {sealed.previous}"
        )


@invoice.command("evidence")
@click.argument("invoice_id", metavar="INVOICE")
@click.option(
    "--format",
    "format_",
    type=click.Choice(("csv", "json")),
    help="csv (the seats counted, for spreadsheets) or json (with the cut and hash) "
    "[default: csv, or json with --json].",
)
@pass_app
def evidence(app: App, invoice_id: str, format_: str | None) -> None:
    """Export the seats INVOICE counted: seat, holder, kind, dates, paying org, add-ons.

    The JSON also carries the "as known at" cut, the content hash, the usage
    billed and the frozen prices.

    \b
    Example:
      seatledger invoice evidence INV-2025-09-xtra --format csv > xtra-2025-09.csv
      seatledger invoice evidence INV-2025-09-xtra --format json
    """
    found = _find(app, invoice_id)
    chosen = format_ or ("json" if app.as_json else "csv")
    if chosen == "json":
        emit_json(evidence_document(found))
    else:
        click.echo(evidence_csv(found.evidence.seats), nl=False)


@invoice.command("export")
@click.argument("invoice_id", metavar="INVOICE")
@click.option(
    "--format",
    "format_",
    type=click.Choice(("pdf", "ubl")),
    required=True,
    help="pdf: the document a person reads, with its proof annex; ubl: UBL 2.1 for Peppol "
    "BIS Billing 3.0 (an Invoice, or a CreditNote for a credit note).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the document to FILE [default: stdout].",
)
@pass_app
def export(app: App, invoice_id: str, format_: str, output: Path | None) -> None:
    """Export INVOICE (an invoice or a credit note) as a PDF or a Peppol UBL document.

    Both are rendered from the stored invoice: the legal number, dates and
    parties frozen when it was issued, the lines, the VAT breakdown per
    category and rate, the payment instructions. The PDF adds a proof annex
    (the seats counted, a chart of the billable seats per day against the
    licensed count, the evidence hash); the UBL embeds the evidence CSV. A
    UBL document needs the seller's and the buyer's Peppol ids and countries.

    \b
    Example:
      seatledger invoice export INV-2025-09-north --format pdf --output north.pdf
      seatledger invoice export CN-2025-10-north --format ubl --output cn.xml
      seatledger invoice export INV-2025-09-north --format ubl | xmllint --format -
    """
    view = unwrap(documents.document_view(app.services(), invoice_id))
    csv_text = evidence_csv(view.invoice.evidence.seats)
    if format_ == "ubl":
        data = unwrap(ubl_document(view, csv_text))
    else:
        data = pdf_document(view, csv_text)
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stdout
        return
    output.write_bytes(data)
    if app.as_json:
        emit_json(
            {"invoice": view.invoice.id, "number": view.number, "format": format_,
             "output": str(output), "bytes": len(data)}
        )  # fmt: skip
        return
    say(
        f"{view.kind_name.lower()} {view.number} ({view.invoice.id}) written to {output} "
        f"as {format_}"
    )
