"""A settlement statement as the cooperative and the treasury keep it: a PDF to sign and an XLSX to
check, each listing the card payments it claims (receipt, time, outlet, card's last four digits,
amount) and their total. Receipt numbers and codes stay text in the XLSX."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from betang.aid.models import Settlement
from betang.core.money import format_rupiah
from betang.core.spreadsheet import xlsx
from betang.core.templatetags.betang import tanggal, waktu


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
