"""What aid prints. Cards: card sheets (ten ID-1 cards to an A4 page, for a card printer's template
or for cutting) and PIN mailers (three to a page, folded and sealed). A PIN exists in clear only on
the mailer printed when the card is issued or its PIN reset: it is never stored, so a lost mailer
means a PIN reset, not a reprint.

Nothing printed carries the NIK or anything derived from it: the card shows its random number, a QR
code of that number, the program and the head of household's name and village.

Settlement statements, as the cooperative and the treasury keep them (`statement_pdf`,
`statement_xlsx`): a PDF to sign and an XLSX to check, each listing the card payments it claims
(receipt, time, outlet, card's last four digits, amount) and their total. Receipt numbers and codes
stay text in the XLSX.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from betang.aid.models import Settlement
from betang.core.money import format_rupiah
from betang.core.spreadsheet import xlsx
from betang.core.templatetags.betang import tanggal, waktu

CARD_W, CARD_H = 85.6 * mm, 54 * mm  # ISO/IEC 7810 ID-1
RED, INK = (0.72, 0.09, 0.12), (0.1, 0.1, 0.1)


@dataclass(frozen=True)
class PrintedCard:
    number: str
    holder: str  # the head of household's name
    village: str  # village name and code
    program: str
    pin: str = ""  # only for a PIN mailer, at issue or reset time
    monthly: int = 0  # the entitlement per cycle, for the mailer's note


def grouped(number: str) -> str:
    """`6212345678901234` → `6212 3456 7890 1234`."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def qr_payload(number: str) -> str:
    """What the card's QR code holds: the card number and nothing else (a scanner types it like a wedge)."""
    return number


def _qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(payload, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _new_canvas(title: str) -> tuple[Canvas, io.BytesIO]:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("Betang")
    return canvas, out


def card_sheet_pdf(cards: Iterable[PrintedCard], *, title: str) -> bytes:
    """Ten cards to an A4 page, two columns of five."""
    canvas, out = _new_canvas(title)
    _draw_cards(canvas, cards)
    canvas.save()
    return out.getvalue()


def pin_mailers_pdf(cards: Iterable[PrintedCard], *, title: str, issued_on: date) -> bytes:
    canvas, out = _new_canvas(title)
    _draw_mailers(canvas, cards, issued_on)
    canvas.save()
    return out.getvalue()


def issue_pack_pdf(cards: list[PrintedCard], *, title: str, issued_on: date) -> bytes:
    """What an issue batch prints: the card sheets, then the PIN mailers (the only copy of the PINs)."""
    canvas, out = _new_canvas(title)
    _draw_cards(canvas, cards)
    _draw_mailers(canvas, cards, issued_on)
    canvas.save()
    return out.getvalue()


def _draw_cards(canvas: Canvas, cards: Iterable[PrintedCard]) -> None:
    page_w, page_h = A4
    margin_x = (page_w - 2 * CARD_W - 6 * mm) / 2
    margin_y = (page_h - 5 * CARD_H - 4 * 4 * mm) / 2
    count = 0
    for card in cards:
        slot = count % 10
        if count and slot == 0:
            canvas.showPage()
        col, row = slot % 2, slot // 2
        x = margin_x + col * (CARD_W + 6 * mm)
        y = page_h - margin_y - (row + 1) * CARD_H - row * 4 * mm
        _card(canvas, card, x, y)
        count += 1
    if count == 0:
        canvas.setFont("Helvetica", 11)
        canvas.drawString(20 * mm, page_h - 30 * mm, _("No cards."))
    canvas.showPage()


def _card(canvas: Canvas, card: PrintedCard, x: float, y: float) -> None:
    canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
    canvas.setLineWidth(0.3)
    canvas.roundRect(x, y, CARD_W, CARD_H, 3 * mm)
    canvas.setFillColorRGB(*RED)
    canvas.rect(x, y + CARD_H - 11 * mm, CARD_W, 11 * mm, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont("Helvetica-Bold", 10)
    canvas.drawString(x + 4 * mm, y + CARD_H - 7 * mm, card.program[:42])
    canvas.setFillColorRGB(*INK)
    canvas.setFont("Courier-Bold", 13)
    canvas.drawString(x + 4 * mm, y + 22 * mm, grouped(card.number))
    canvas.setFont("Helvetica", 8)
    canvas.drawString(x + 4 * mm, y + 14 * mm, card.holder[:34])
    canvas.drawString(x + 4 * mm, y + 9.5 * mm, card.village[:40])
    canvas.setFont("Helvetica-Oblique", 6)
    canvas.drawString(x + 4 * mm, y + 4 * mm, _("Keep your PIN secret. Lost card: report to your cooperative.")[:80])
    _qr(canvas, qr_payload(card.number), x + CARD_W - 24 * mm, y + 11 * mm, 21 * mm)


def _draw_mailers(canvas: Canvas, cards: Iterable[PrintedCard], issued_on: date) -> None:
    """Three mailers to an A4 page: who it is for, the card's last four digits, the PIN, and how to use it."""
    page_w, page_h = A4
    third = page_h / 3
    count = 0
    for card in cards:
        slot = count % 3
        if count and slot == 0:
            canvas.showPage()
        top = page_h - slot * third
        canvas.setDash(3, 3)
        canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        canvas.line(10 * mm, top - third, page_w - 10 * mm, top - third)
        canvas.setDash()
        canvas.setFillColorRGB(*INK)
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(20 * mm, top - 18 * mm, _("PIN of your %(program)s card") % {"program": card.program})
        canvas.setFont("Helvetica", 10)
        canvas.drawString(
            20 * mm, top - 27 * mm, _("For: %(name)s, %(village)s") % {"name": card.holder, "village": card.village}
        )
        canvas.drawString(20 * mm, top - 34 * mm, _("Card number ending in: %(last)s") % {"last": card.number[-4:]})
        canvas.setFont("Courier-Bold", 26)
        canvas.drawString(20 * mm, top - 50 * mm, " ".join(card.pin))
        canvas.setFont("Helvetica", 9)
        lines = [
            _("Enter this PIN at the cooperative's outlet when you pay with the card."),
            _("Never tell your PIN to anyone, not even the cashier or an officer."),
            _("Three wrong PINs lock the card; the cooperative or the office unlocks it."),
        ]
        if card.monthly:
            lines.insert(0, _("Your entitlement: %(amount)s per cycle.") % {"amount": format_rupiah(card.monthly)})
        for i, line in enumerate(lines):
            canvas.drawString(20 * mm, top - 62 * mm - i * 5 * mm, line)
        canvas.setFont("Helvetica-Oblique", 7)
        canvas.drawString(
            20 * mm,
            top - third + 6 * mm,
            _("Printed %(date)s. Destroy after memorising.") % {"date": tanggal(issued_on)},
        )
        count += 1
    if count == 0:
        canvas.setFont("Helvetica", 11)
        canvas.drawString(20 * mm, page_h - 30 * mm, _("No PIN mailers."))
    canvas.showPage()


@dataclass(frozen=True)
class StatementLine:
    receipt: str
    occurred_at: datetime
    outlet: str
    card_last4: str
    amount: int


def _heading(settlement: Settlement, cooperative: str) -> list[tuple[str, str]]:
    return [
        (_("Statement"), settlement.number),
        (_("Program"), settlement.program.name),
        (_("Cooperative"), f"{cooperative} ({settlement.region_code})"),
        (_("Card payments"), f"{tanggal(settlement.period_start_date)} – {tanggal(settlement.period_end_date)}"),
        (_("Issued"), waktu(settlement.issued_at)),
    ]


def statement_pdf(settlement: Settlement, cooperative: str, lines: list[StatementLine]) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=settlement.number,
    )
    styles = getSampleStyleSheet()
    story = [Paragraph(_("Settlement statement of card payments"), styles["Title"])]
    story.append(Table(_heading(settlement, cooperative), colWidths=[45 * mm, 130 * mm], hAlign="LEFT"))
    story.append(Spacer(1, 6 * mm))
    rows = [[_("No."), _("Receipt"), _("Time"), _("Outlet"), _("Card"), _("Amount")]]
    rows += [
        [
            str(n),
            line.receipt,
            waktu(line.occurred_at),
            line.outlet[:40],
            f"•••• {line.card_last4}",
            format_rupiah(line.amount),
        ]
        for n, line in enumerate(lines, start=1)
    ]
    rows.append(["", "", "", "", _("Total"), format_rupiah(sum(line.amount for line in lines))])
    table = Table(rows, repeatRows=1, colWidths=[10 * mm, 38 * mm, 38 * mm, 45 * mm, 20 * mm, 29 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 12 * mm))
    signatures = [
        [_("Prepared by the program"), _("Received by the cooperative")],
        ["", ""],
        ["(..............................)", "(..............................)"],
    ]
    story.append(Table(signatures, colWidths=[90 * mm, 90 * mm], rowHeights=[6 * mm, 18 * mm, 6 * mm]))
    doc.build(story)
    return out.getvalue()


def statement_xlsx(settlement: Settlement, cooperative: str, lines: list[StatementLine]) -> bytes:
    headers = [_("Statement"), _("Cooperative"), _("Receipt"), _("Time"), _("Outlet"), _("Card"), _("Amount")]
    rows = (
        [
            settlement.number,
            cooperative,
            line.receipt,
            timezone.localtime(line.occurred_at).strftime("%Y-%m-%d %H:%M"),
            line.outlet,
            line.card_last4,
            line.amount,
        ]
        for line in lines
    )
    return xlsx(headers, rows, text_columns={0, 2, 3, 5}, title=settlement.number.replace("/", "-"))
