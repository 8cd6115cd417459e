"""The PDF a person reads: the invoice or credit note, then its proof annex (decision 0026).

Rendered with reportlab (its platypus layout and its own vector charts, so no
plotting library is needed) in DejaVu Sans, shipped with the package and
embedded in each file, so accented names (Belgian, Dutch, any Latin, Greek
or Cyrillic script) render the same on every machine. ``invariant`` output:
the same document gives the same bytes.

Page 1 is the invoice: the parties, number and dates, the lines, the VAT
breakdown per category and rate, the totals, the legal mentions (reverse
charge, exemption) and the payment instructions (IBAN and structured
reference, or the SEPA direct debit mandate). The annex proves the count:
the seats counted with their activation and deactivation dates and payer, a
chart of the billable seats on each day of the service period against the
licensed count, and the evidence hash with how to check it.
"""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from seatledger.domain.dates import iso_instant
from seatledger.domain.legal_document import LegalDocument
from seatledger.domain.money import minor_unit
from seatledger.domain.parties import PartyDetails

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_registered = False


def _register_fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
        registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        _registered = True


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=12)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=16, leading=20),
        "heading": ParagraphStyle(
            "heading", parent=base, fontName=BOLD, fontSize=11, leading=15, spaceBefore=6
        ),
        "bold": ParagraphStyle("bold", parent=base, fontName=BOLD),
    }


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(minor_unit(currency)):,.{_places(currency)}f}"


def _places(currency: str) -> int:
    exponent = minor_unit(currency).as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 2


def _number(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _party_lines(name: str, party: PartyDetails) -> list[str]:
    lines = [f"<b>{_esc(party.legal_name or name)}</b>"]
    if party.address:
        lines.append(_esc(party.address))
    place = " ".join(p for p in (party.postcode, party.city) if p)
    if place:
        lines.append(_esc(place))
    if party.country:
        lines.append(_esc(party.country))
    if party.vat_id:
        lines.append(f"VAT {_esc(party.vat_id)}")
    if party.peppol_id:
        lines.append(f"Peppol {_esc(party.peppol_id)}")
    return lines


GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTNAME", (0, 0), (-1, 0), BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def pdf_document(view: LegalDocument, evidence_csv: str) -> bytes:
    """The document and its proof annex as PDF bytes."""
    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    invoice = view.invoice
    title = f"{view.kind_name} {view.number}"
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=view.seller.name if view.seller is not None else "",
        subject=f"{invoice.id} total {view.total} {view.currency} hash {invoice.evidence_hash}",
        invariant=1,
    )
    story: list[Any] = [
        *_invoice_page(view, styles),
        PageBreak(),
        *_annex(view, styles, evidence_csv),
    ]

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.drawString(18 * mm, 10 * mm, f"{title} · {invoice.id} · page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _invoice_page(view: LegalDocument, styles: dict[str, ParagraphStyle]) -> list[Any]:
    invoice = view.invoice
    currency = view.currency
    body = styles["body"]
    seller_lines = (
        _party_lines(view.seller.name, view.seller.party)
        if view.seller is not None
        else ["<b>(seller not set)</b>"]
    )
    buyer_lines = _party_lines(view.buyer_name, view.buyer.party)
    parties = Table(
        [
            [Paragraph("<b>From</b>", body), Paragraph("<b>To</b>", body)],
            [
                Paragraph("<br/>".join(seller_lines), body),
                Paragraph("<br/>".join(buyer_lines), body),
            ],
        ],
        colWidths=[87 * mm, 87 * mm],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    facts = [
        ("Number", view.number),
        ("Issue date", view.issue_date.isoformat()),
        ("Due date" if not view.credit_note else "Credit date", view.due_date.isoformat()),
        ("Reference", invoice.id),
        ("Period", str(invoice.period)),
        ("Your reference", view.buyer.buyer_reference or invoice.org),
    ]
    for reference in view.corrects:
        when = f" of {reference.issue_date.isoformat()}" if reference.issue_date else ""
        facts.append(("Corrects", f"{reference.number}{when} ({reference.invoice})"))
    meta = Table([[k, v] for k, v in facts], colWidths=[32 * mm, 142 * mm])
    meta.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("FONTNAME", (0, 0), (0, -1), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ]
        )
    )
    rows: list[list[Any]] = [["#", "Description", "Qty", "Unit price", "VAT", "Amount"]]
    for line in view.lines:
        rows.append(
            [
                str(line.position),
                Paragraph(
                    f"<b>{_esc(line.name)}</b><br/>{_esc(line.description)}", styles["small"]
                ),
                _number(line.quantity),
                _money(line.price, currency),
                f"{line.category.value} {_number(line.rate)}%",
                _money(line.amount, currency),
            ]
        )
    lines = Table(
        rows, colWidths=[8 * mm, 92 * mm, 14 * mm, 22 * mm, 16 * mm, 22 * mm], repeatRows=1
    )
    lines.setStyle(GRID)
    lines.setStyle(TableStyle([("ALIGN", (2, 0), (-1, -1), "RIGHT")]))
    vat_rows: list[list[str]] = [["VAT category", "Rate", "Taxable amount", "VAT"]]
    for group in view.groups:
        vat_rows.append(
            [group.category.value, f"{_number(group.rate)}%", _money(group.base, currency),
             _money(group.vat, currency)]
        )  # fmt: skip
    breakdown = Table(vat_rows, colWidths=[30 * mm, 20 * mm, 35 * mm, 30 * mm], hAlign="RIGHT")
    breakdown.setStyle(GRID)
    breakdown.setStyle(TableStyle([("ALIGN", (1, 0), (-1, -1), "RIGHT")]))
    due = "Total credited" if view.credit_note else "Total to pay"
    totals = Table(
        [
            ["Total excluding VAT", f"{_money(view.line_total, currency)} {currency}"],
            ["VAT", f"{_money(view.vat, currency)} {currency}"],
            [due, f"{_money(view.total, currency)} {currency}"],
        ],
        colWidths=[50 * mm, 40 * mm],
        hAlign="RIGHT",
    )
    totals.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("FONTNAME", (0, -1), (-1, -1), BOLD),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
            ]
        )
    )
    story: list[Any] = [
        Paragraph(_esc(f"{view.kind_name} {view.number}"), styles["title"]),
        Spacer(1, 4 * mm),
        parties,
        Spacer(1, 4 * mm),
        meta,
        Spacer(1, 4 * mm),
        lines,
        Spacer(1, 3 * mm),
        KeepTogether([breakdown, Spacer(1, 2 * mm), totals]),
        Spacer(1, 4 * mm),
    ]
    for mention in view.mentions:
        story.append(Paragraph(f"<b>{_esc(mention)}</b>", body))
    story.append(Paragraph("Payment", styles["heading"]))
    story += [Paragraph(text, body) for text in _payment_words(view)]
    if not view.frozen:
        story.append(
            Paragraph(
                "This invoice was issued before documents froze their parties: the seller and "
                "buyer shown are as they are set today, and its number is its reference.",
                styles["small"],
            )
        )
    story.append(Spacer(1, 3 * mm))
    story.append(
        Paragraph(
            f"The next pages prove the count: the seats counted, the seats active on each day "
            f"and the evidence hash {invoice.evidence_hash}.",
            styles["small"],
        )
    )
    return story


def _payment_words(view: LegalDocument) -> list[str]:
    currency = view.currency
    amount = f"{_money(view.total, currency)} {currency}"
    if view.credit_note:
        return [
            f"{amount} is credited to you: it is refunded or set off against your next invoice."
        ]
    seller = view.seller
    if view.payment_method == "sepa":
        mandate = view.buyer.sepa_mandate
        words = (
            f"{amount} will be collected by SEPA direct debit on or after "
            f"{view.due_date.isoformat()}"
        )
        words += f" under mandate {_esc(mandate)}." if mandate else " under the mandate on file."
        return [words + " Please do not transfer it."]
    out = [f"Please pay {amount} by {view.due_date.isoformat()}."]
    if seller is not None and seller.iban is not None:
        out.append(f"IBAN {_esc(seller.iban)} ({_esc(seller.name)})")
    out.append(f"Structured reference: <b>{_esc(view.payment_reference)}</b>")
    return out


def _annex(view: LegalDocument, styles: dict[str, ParagraphStyle], evidence_csv: str) -> list[Any]:
    invoice = view.invoice
    evidence = invoice.evidence
    body = styles["body"]
    story: list[Any] = [Paragraph("Proof annex: the seats behind this document", styles["title"])]
    cut = iso_instant(evidence.as_known_at) if evidence.as_known_at is not None else "-"
    if evidence.reference_date is not None:
        licensed = (
            f" The contract licenses {view.licensed} seats." if view.licensed is not None else ""
        )
        story.append(
            Paragraph(
                f"{len(evidence.seats)} seats were counted on "
                f"{evidence.reference_date.isoformat()} "
                f"(rule: {_esc(evidence.prices.reference_rule)}), "
                f"with everything recorded up to {cut}. A seat counts if it was activated on or "
                f"before that day, not deactivated on or before it, and billed to "
                f"{_esc(invoice.org)} that day.{licensed}",
                body,
            )
        )
    else:
        story.append(Paragraph(f"No seats were counted on this document (cut {cut}).", body))
    if view.corrects:
        named = ", ".join(f"{r.number} ({r.invoice})" for r in view.corrects)
        story.append(Paragraph(f"It corrects {_esc(named)}: see the lines on page 1.", body))
    if view.daily:
        story += [Spacer(1, 3 * mm), _chart(view), Spacer(1, 3 * mm)]
    if evidence.seats:
        rows: list[list[str]] = [["Seat", "Holder", "Kind", "Activated", "Deactivated", "Paid by"]]
        for row in evidence.seats:
            rows.append(
                [row.seat, row.holder, row.kind.value, row.activated_on.isoformat(),
                 row.deactivated_on.isoformat() if row.deactivated_on else "-", row.paying_org]
            )  # fmt: skip
        table = Table(
            rows, colWidths=[26 * mm, 52 * mm, 18 * mm, 24 * mm, 24 * mm, 30 * mm], repeatRows=1
        )
        table.setStyle(GRID)
        story += [Paragraph("The seats counted", styles["heading"]), table]
    csv_hash = hashlib.sha256(evidence_csv.encode("utf-8")).hexdigest()
    story += [
        Paragraph("How to verify", styles["heading"]),
        Paragraph(f"Evidence hash (SHA-256): <b>{invoice.evidence_hash}</b>", body),
        Paragraph(
            "The hash covers this document's figures, its number, dates and parties, the "
            "prices and rules used and every seat above, in a canonical form. On the vendor's "
            f"ledger, <b>seatledger invoice verify {_esc(invoice.id)}</b> recomputes the seats "
            f"as known at {cut} and the hash, and says whether both still match; "
            f"<b>seatledger invoice verify {_esc(invoice.id)} --document FILE.xml</b> also "
            "checks an exported UBL file against the stored invoice.",
            body,
        ),
        Paragraph(
            "The UBL (Peppol) version of this document embeds the seats as a CSV file; its "
            f"SHA-256 is {csv_hash}, so anyone holding that CSV (or <b>seatledger invoice "
            f"evidence {_esc(invoice.id)} --format csv</b>) can check it with "
            "<b>sha256sum</b>.",
            body,
        ),
    ]
    return story


def _chart(view: LegalDocument) -> Drawing:
    """The billable seats on each day of the service period, and the licensed count."""
    width, height = 174 * mm, 62 * mm
    drawing = Drawing(width, height)
    first = view.daily[0][0]
    points = [((day - first).days, count) for day, count in view.daily]
    plot = LinePlot()
    plot.x, plot.y = 14 * mm, 12 * mm
    plot.width, plot.height = width - 20 * mm, height - 22 * mm
    series = [points]
    if view.licensed is not None:
        series.append([(0, view.licensed), (points[-1][0], view.licensed)])
    plot.data = series
    plot.lines[0].strokeColor = colors.HexColor("#1f5fa8")
    plot.lines[0].strokeWidth = 1.4
    if view.licensed is not None:
        plot.lines[1].strokeColor = colors.HexColor("#c0392b")
        plot.lines[1].strokeDashArray = [3, 2]
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max(points[-1][0], 1)
    step = max(1, len(points) // 6)
    plot.xValueAxis.valueSteps = list(range(0, points[-1][0] + 1, step))
    plot.xValueAxis.labelTextFormat = lambda x: (
        first.fromordinal(first.toordinal() + int(x))
    ).strftime("%d %b")
    plot.xValueAxis.labels.fontName = REGULAR
    plot.xValueAxis.labels.fontSize = 6.5
    # Zoomed on the counts and the licence, so 403 against 400 shows as a gap, not one line.
    values = [count for _, count in view.daily] + (
        [view.licensed] if view.licensed is not None else []
    )
    low, high = min(values), max(values)
    pad = max(2, (high - low) // 4)
    plot.yValueAxis.valueMin = max(0, low - pad)
    plot.yValueAxis.valueMax = high + pad
    plot.yValueAxis.labels.fontName = REGULAR
    plot.yValueAxis.labels.fontSize = 6.5
    drawing.add(plot)
    counted = view.invoice.evidence.reference_date
    if counted is not None and first <= counted <= view.daily[-1][0]:
        x = plot.x + plot.width * (counted - first).days / plot.xValueAxis.valueMax
        drawing.add(Line(x, plot.y, x, plot.y + plot.height, strokeColor=colors.grey,
                         strokeDashArray=[1, 2]))  # fmt: skip
        label = String(x, plot.y + plot.height + 2, f"counted {counted.isoformat()}",
                       fontName=REGULAR, fontSize=6.5, fillColor=colors.grey,
                       textAnchor="end" if x > plot.x + plot.width / 2 else "start")  # fmt: skip
        drawing.add(label)
    legend = Legend()
    legend.x, legend.y = 16 * mm, height - 3 * mm
    legend.fontName = REGULAR
    legend.fontSize = 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.dx = 10
    pairs = [(colors.HexColor("#1f5fa8"), "billable seats per day")]
    if view.licensed is not None:
        pairs.append((colors.HexColor("#c0392b"), f"licensed: {view.licensed}"))
    legend.colorNamePairs = pairs
    drawing.add(legend)
    return drawing
