"""Serialisation at the edge: domain values as JSON documents and CSV rows.

One private cattrs ``Converter`` per format. Dates are ISO ``YYYY-MM-DD``
strings, instants ISO 8601 in UTC with ``Z``, enums their value, add-ons a
sorted list (JSON) or ``;``-joined (CSV), periods ``YYYY-MM``, money a
decimal string (``"141.57"``, never a float). Renames (``first`` -> ``from``,
``rows`` -> ``seats``, ``sender`` -> ``from``) live in the hooks here, never
in the domain classes.

An admin's PIN hash has no shape here at all: ``admin_document`` names the
fields it shows, so a hash can never leak into output by a new field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, get_origin

from cattrs import Converter
from cattrs.gen import make_dict_unstructure_fn, override

from seatledger.domain.admins import Admin
from seatledger.domain.audit import AuditEntry
from seatledger.domain.authorisation import Operator
from seatledger.domain.contracts import Contract
from seatledger.domain.dates import Period, iso_instant
from seatledger.domain.invoice import CREDIT_NOTE, Invoice, InvoiceLine
from seatledger.domain.legal_document import issue_date_of
from seatledger.domain.money import minor_unit
from seatledger.domain.organisation import Organisation, ZoneChange
from seatledger.domain.pricing import VatRounding
from seatledger.domain.queries import SeatRow
from seatledger.domain.reference_dates import YearStart
from seatledger.domain.services.billing import OrgOutcome, RunReport, Verification
from seatledger.domain.services.questions import SeatsAnswer
from seatledger.domain.services.seats import HistoryEntry, SeatHistory
from seatledger.domain.services.transfers import RequestView
from seatledger.domain.timeline import ActiveInterval
from seatledger.domain.transfers import TransferRequest

# The columns of a seats answer exported as CSV, in order (CLI.md).
CSV_COLUMNS: Final = (
    "seat",
    "holder",
    "kind",
    "activated_on",
    "deactivated_on",
    "paying_org",
    "billed_from",
    "billed_until",
    "addons",
)

# The columns of an invoice's evidence exported as CSV, in order.
EVIDENCE_COLUMNS: Final = (
    "seat",
    "holder",
    "kind",
    "activated_on",
    "deactivated_on",
    "paying_org",
    "addons",
)

# A spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _is_frozenset(type_: Any) -> bool:
    return type_ is frozenset or get_origin(type_) is frozenset


def _json_converter() -> Converter:
    converter = Converter()
    converter.register_unstructure_hook(datetime, iso_instant)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_unstructure_hook_func(_is_frozenset, lambda values: sorted(values))
    converter.register_unstructure_hook(Decimal, decimal_text)
    converter.register_unstructure_hook(Period, str)
    converter.register_unstructure_hook(YearStart, str)
    converter.register_unstructure_hook(
        ZoneChange, make_dict_unstructure_fn(ZoneChange, converter, on=override(rename="from"))
    )
    organisation_fields = make_dict_unstructure_fn(
        Organisation,
        converter,
        id=override(rename="org"),
        zone_changes=override(rename="timezone_changes"),
    )

    def organisation(value: Organisation) -> dict[str, Any]:
        # The buyer details as keys of their own, named like the options of ``org set``.
        raw = organisation_fields(value)
        details = raw.pop("details")
        return {**raw, **details.pop("party"), **details}

    converter.register_unstructure_hook(Organisation, organisation)
    answer_fields = make_dict_unstructure_fn(
        SeatsAnswer,
        converter,
        first=override(rename="from"),
        last=override(rename="to"),
        rows=override(rename="seats"),
    )

    def answer(value: SeatsAnswer) -> dict[str, Any]:
        raw = answer_fields(value)
        # A day question says "on"; a range question says "from", "to" and "mode".
        asked = ("on",) if value.on is not None else ("from", "to", "mode")
        document = {"org": raw["org"]}
        document.update({key: raw[key] for key in asked})
        document["as_known_at"] = raw["as_known_at"]
        # What was asked, and whether the cut is the ledger's head (an instant after it,
        # or none, is answered as known at the head: see questions.answer_cut).
        document["asked_as_known_at"] = raw["asked_known_at"]
        document["cut"] = "head" if value.cut_at_head else "asked"
        document["count"] = value.count
        document["seats"] = raw["seats"]
        return document

    converter.register_unstructure_hook(SeatsAnswer, answer)

    def entry(value: HistoryEntry) -> dict[str, Any]:
        document: dict[str, Any] = converter.unstructure(value.fact)
        document["superseded_by"] = value.superseded_by
        return document

    converter.register_unstructure_hook(HistoryEntry, entry)

    interval_fields = make_dict_unstructure_fn(ActiveInterval, converter)

    def interval(value: ActiveInterval) -> dict[str, Any]:
        document = interval_fields(value)
        document["addon_changes"] = [
            {"from": day.isoformat(), "addons": sorted(addons)}
            for day, addons in value.addon_changes
        ]
        return document

    converter.register_unstructure_hook(ActiveInterval, interval)

    def history(value: SeatHistory) -> dict[str, Any]:
        return {
            "seat": value.seat,
            "facts": [entry(e) for e in value.entries],
            "active_intervals": converter.unstructure(value.timeline.intervals),
            "payer_intervals": converter.unstructure(value.timeline.owners),
        }

    converter.register_unstructure_hook(SeatHistory, history)
    return converter


def _csv_converter() -> Converter:
    converter = Converter()
    converter.register_unstructure_hook(str, neutralise_formula)
    converter.register_unstructure_hook(datetime, iso_instant)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_unstructure_hook_func(
        _is_frozenset, lambda values: neutralise_formula(";".join(sorted(values)))
    )
    return converter


def decimal_text(value: Decimal) -> str:
    """A decimal as plain text, never in exponent notation: ``Decimal("21")`` -> ``"21"``."""
    return format(value, "f")


def money(value: Decimal, currency: str) -> str:
    """An amount as a decimal string with at least the currency's minor units.

    ``117`` EUR -> ``"117.00"``; an exact price with more places (``0.125``)
    keeps them rather than being rounded in print.
    """
    quantum = minor_unit(currency)
    exponent = value.as_tuple().exponent
    places = quantum.as_tuple().exponent
    if isinstance(exponent, int) and isinstance(places, int) and exponent < places:
        return decimal_text(value)
    return decimal_text(value.quantize(quantum))


_JSON: Final = _json_converter()
_CSV: Final = _csv_converter()


def to_json(value: object) -> Any:
    """A domain value (or a list of them) as plain JSON-ready data."""
    return _JSON.unstructure(value)


def seats_answer_document(answer: SeatsAnswer) -> dict[str, Any]:
    """The ``seats`` JSON shape of CLI.md: org, on or from/to/mode, as_known_at, count, seats.

    Also ``asked_as_known_at`` (the instant given, or null) and ``cut`` (``asked``, or
    ``head`` when the answer stands for the last recorded instant).
    """
    document: dict[str, Any] = _JSON.unstructure(answer, SeatsAnswer)
    return document


def history_document(history: SeatHistory) -> dict[str, Any]:
    """A seat's facts (with ``superseded_by``), active intervals and payer intervals."""
    document: dict[str, Any] = _JSON.unstructure(history, SeatHistory)
    return document


def csv_row(row: SeatRow) -> dict[str, str]:
    """One seat row as CSV cells, every text cell safe to open in a spreadsheet."""
    raw: dict[str, Any] = _CSV.unstructure(row, SeatRow)
    return {column: "" if raw[column] is None else str(raw[column]) for column in CSV_COLUMNS}


def seat_rows_csv(rows: Iterable[SeatRow]) -> str:
    """Seat rows as CSV text with the header of ``CSV_COLUMNS``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_row(row))
    return buffer.getvalue()


# --- billing ownership --------------------------------------------------------------


def admin_document(admin: Admin) -> dict[str, Any]:
    """An admin as shown to people and scripts: never the PIN hash."""
    return {
        "org": admin.org,
        "admin": admin.id,
        "locked": admin.locked,
        "failed_attempts": admin.failed_attempts,
    }


def transfer_document(
    request: TransferRequest, *, status: str | None = None, deadline: date | None = None
) -> dict[str, Any]:
    """A transfer request (CLI.md: request, seat, from, to, status, and more).

    ``status`` overrides the recorded one (a request listed today may have
    expired); ``deadline`` is, for a pending request, the sender's next
    reference date: approved after it, the sender still pays for that period.
    """
    return {
        "request": request.id,
        "seat": request.seat,
        "from": request.sender,
        "to": request.receiver,
        "status": status or request.status.value,
        "requested_on": request.requested_on.isoformat(),
        "requested_at": iso_instant(request.requested_at),
        "requested_by": request.requested_by,
        "expires_on": _iso(request.expires_on),
        "deadline": _iso(deadline),
        "decided_on": _iso(request.decided_on),
        "decided_at": iso_instant(request.decided_at) if request.decided_at else None,
        "decided_by": request.decided_by,
    }


def request_view_document(view: RequestView) -> dict[str, Any]:
    return transfer_document(view.request, status=view.status.value, deadline=view.deadline)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


# --- contracts and invoices ---------------------------------------------------------------


def contract_document(contract: Contract) -> dict[str, Any]:
    """One contract version: every term, money and percentages as decimal strings."""
    document: dict[str, Any] = _JSON.unstructure(contract, Contract)
    return document


def invoice_line_document(line: InvoiceLine, currency: str) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": line.kind.value,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": money(line.unit_price, currency),
        "amount": money(line.amount, currency),
    }
    if line.refers_to is not None:
        document["refers_to"] = line.refers_to
    if line.seats:
        document["seats"] = list(line.seats)
    if line.service_from is not None:
        document["covers"] = {
            "from": str(line.service_from),
            "months": line.service_months,
            "counted_on": _iso(line.counted_on),
        }
    if line.vat_percent is not None:
        document["vat_rate"] = decimal_text(line.vat_percent)
    return document


def invoice_document(invoice: Invoice) -> dict[str, Any]:
    """An invoice in the shape of CLI.md, plus when and how it was computed."""
    currency = invoice.currency
    evidence = invoice.evidence
    return {
        "invoice": invoice.id,
        "org": invoice.org,
        "period": str(invoice.period),
        "reference_date": _iso(evidence.reference_date),
        "status": invoice.status.value,
        "currency": currency,
        "lines": [invoice_line_document(line, currency) for line in invoice.lines],
        "subtotal": money(invoice.subtotal, currency),
        "vat_rate": decimal_text(invoice.vat_rate),
        "vat": money(invoice.vat, currency),
        "total": money(invoice.total, currency),
        "evidence_hash": invoice.evidence_hash,
        "kind": invoice.kind,
        "plan": evidence.prices.plan,
        "cadence": evidence.prices.cadence,
        "rounding": invoice.rounding,
        "as_known_at": iso_instant(evidence.as_known_at) if evidence.as_known_at else None,
        "issued_at": iso_instant(invoice.issued_at) if invoice.issued_at else None,
        "seats_counted": len(evidence.seats),
        "number": invoice.issue.number.text if invoice.issue is not None else None,
        "issue_date": _iso(issue_date_of(invoice, None)),
        "due_date": _iso(invoice.issue.due_date) if invoice.issue is not None else None,
        "vat_category": invoice.evidence.prices.vat_category or "S",
        "document": "credit-note" if invoice.kind == CREDIT_NOTE else "invoice",
        "corrects": sorted(
            {line.refers_to for line in invoice.lines if line.refers_to is not None}
        ),
        "vat_breakdown": [
            {"rate": decimal_text(rate), "base": money(base, currency), "vat": money(vat, currency)}
            for rate, base, vat in VatRounding().breakdown(evidence.prices, invoice.lines)
        ],
    }


def run_document(report: RunReport) -> dict[str, Any]:
    """``bill run``: period, dry_run, the invoices (issued, found or forecast), and outcomes."""
    return {
        "period": str(report.period),
        "dry_run": report.dry_run,
        "invoices": [invoice_document(i) for i in report.invoices],
        "outcomes": [_outcome_document(o) for o in report.outcomes],
    }


def _outcome_document(o: OrgOutcome) -> dict[str, Any]:
    """One organisation's outcome; its other documents and its refusal only when it has them."""
    document: dict[str, Any] = {
        "org": o.org,
        "outcome": o.outcome.value,
        "invoice": o.invoice.id if o.invoice is not None else None,
        "total": money(o.invoice.total, o.invoice.currency) if o.invoice else None,
        "note": o.note,
    }
    if o.extra:
        document["documents"] = [d.id for d in o.extra]
    if o.error is not None:
        document["error"] = {"code": o.error.code, "message": o.error.message}
    return document


def verification_document(verification: Verification) -> dict[str, Any]:
    return {
        "invoice": verification.invoice,
        "ok": verification.ok,
        "hash_matches": verification.hash_matches,
        "seats_match": verification.seats_match,
        "lines_match": verification.lines_match,
        "adjustments_match": verification.adjustments_match,
        "sealed": verification.sealed,
        "seal": verification.seal,
        "facts_match": verification.facts_match,
        "problems": list(verification.problems),
    }


def evidence_seat(row: SeatRow) -> dict[str, Any]:
    raw: dict[str, Any] = _JSON.unstructure(row, SeatRow)
    return {column: raw[column] for column in EVIDENCE_COLUMNS}


def evidence_document(invoice: Invoice) -> dict[str, Any]:
    """The seats an invoice counted, with its cut and content hash, and the usage billed."""
    evidence = invoice.evidence
    return {
        "invoice": invoice.id,
        "org": invoice.org,
        "period": str(invoice.period),
        "reference_date": _iso(evidence.reference_date),
        "as_known_at": iso_instant(evidence.as_known_at) if evidence.as_known_at else None,
        "evidence_hash": invoice.evidence_hash,
        "count": len(evidence.seats),
        "seats": [evidence_seat(row) for row in evidence.seats],
        "usage_from": _iso(evidence.usage_from),
        "usage_until": _iso(evidence.usage_until),
        "usage": [
            {"kind": u.kind, "quantity": u.quantity, "on": u.on.isoformat(), "seq": u.seq}
            for u in evidence.usage
        ],
        "prices": _JSON.unstructure(evidence.prices),
    }


def evidence_csv(rows: Sequence[SeatRow]) -> str:
    """The seats an invoice counted, as CSV with the header of ``EVIDENCE_COLUMNS``."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EVIDENCE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = csv_row(row)
        writer.writerow({column: cells[column] for column in EVIDENCE_COLUMNS})
    return buffer.getvalue()


# --- operators and the audit trail ------------------------------------------------------

AUDIT_COLUMNS: Final = (
    "seq",
    "recorded_at",
    "actor",
    "role",
    "action",
    "org",
    "other_org",
    "seat",
    "subject",
    "summary",
)


def audit_document(entry: AuditEntry) -> dict[str, Any]:
    """One audit entry for people and scripts (``AUDIT_COLUMNS``)."""
    return {
        "seq": entry.seq,
        "recorded_at": iso_instant(entry.recorded_at),
        "actor": entry.actor,
        "role": entry.role.value,
        "action": entry.action.value,
        "org": entry.org,
        "other_org": entry.other_org,
        "seat": entry.seat,
        "subject": entry.subject,
        "summary": entry.summary,
    }


def audit_csv(entries: Iterable[AuditEntry]) -> str:
    """Audit entries as CSV, every text cell safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        document = audit_document(entry)
        writer.writerow(
            {
                column: ""
                if document[column] is None
                else neutralise_formula(str(document[column]))
                for column in AUDIT_COLUMNS
            }
        )
    return buffer.getvalue()


def operator_document(operator: Operator) -> dict[str, Any]:
    return {
        "operator": operator.name,
        "added_at": iso_instant(operator.added_at),
        "added_by": operator.added_by,
        "passphrase": operator.credential_hash is not None,
    }
