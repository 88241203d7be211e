"""The loan agreement's annex (lampiran perjanjian): the loan's terms and its repayment schedule as
generated at disbursement (or at a restructuring), on A4, for signing by the fund and the
cooperative's board."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from betang.core.money import format_rupiah
from betang.core.templatetags.betang import tanggal
from betang.fund.models import METHOD_NAMES, Instalment, Loan


def _rate(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}".replace(".", ",") + "%"


def agreement_annex_pdf(loan: Loan, instalments: list[Instalment], *, printed_on) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"{_('Loan agreement annex')} {loan.number}", author=loan.fund.name,
    )  # fmt: skip
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    story = [
        Paragraph(_("Annex to the loan agreement %(number)s") % {"number": loan.number}, styles["Title"]),
        Paragraph(f"{loan.fund.name}" + (f" — {loan.fund.legal_basis}" if loan.fund.legal_basis else ""), small),
        Spacer(1, 4 * mm),
    ]
    method = METHOD_NAMES.get(loan.method)
    terms = [
        (_("Borrower"), loan.cooperative.name),
        (_("Principal lent"), format_rupiah(loan.amount)),
        (_("Admin fee"), format_rupiah(loan.admin_fee)),
        (_("Annual rate"), _rate(loan.annual_rate)),
        (_("Repayment method"), method or loan.method),
        (_("Tenor"), _("%(months)s months, of which %(grace)s months of grace") % {
            "months": loan.months, "grace": loan.grace,
        }),
        (_("Disbursed on"), tanggal(loan.disbursed_on)),
        (_("Transfer reference"), loan.bank_reference),
    ]  # fmt: skip
    facts = Table([[Paragraph(k, small), Paragraph(str(v), small)] for k, v in terms], colWidths=[45 * mm, 125 * mm])
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [facts, Spacer(1, 5 * mm), Paragraph(_("Repayment schedule"), styles["Heading2"])]
    header = [_("No."), _("Due"), _("Principal"), _("Interest"), _("Total"), _("Principal outstanding after")]
    rows = [header]
    for line in instalments:
        rows.append([
            str(line.number) + (" *" if line.grace else ""), tanggal(line.due_on), format_rupiah(line.principal),
            format_rupiah(line.interest), format_rupiah(line.total), format_rupiah(line.outstanding),
        ])  # fmt: skip
    rows.append([
        "", _("Total"), format_rupiah(sum(x.principal for x in instalments)),
        format_rupiah(sum(x.interest for x in instalments)), format_rupiah(sum(x.total for x in instalments)), "",
    ])  # fmt: skip
    table = Table(rows, repeatRows=1, colWidths=[12 * mm, 34 * mm, 31 * mm, 29 * mm, 31 * mm, 37 * mm])
    table.setStyle(
        TableStyle([
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
            ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
            ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
            ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
            ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.whitesmoke]),
        ])
    )  # fmt: skip
    story += [table, Spacer(1, 2 * mm)]
    if any(x.grace for x in instalments):
        story.append(Paragraph(_("* grace period: interest only."), small))
    story += [
        Paragraph(
            _("Amounts in whole rupiah, each rounded half up; the last instalment takes the remainder, so the "
              "principal sums to the loan exactly. A late instalment accrues the penalty of the product's terms."),
            small,
        ),
        Spacer(1, 14 * mm),
    ]  # fmt: skip
    signatures = Table(
        [[_("For the fund"), _("For the cooperative (chair)"), _("For the cooperative (treasurer)")],
         ["", "", ""], ["(........................)"] * 3],
        colWidths=[57 * mm] * 3, rowHeights=[6 * mm, 22 * mm, 6 * mm],
    )  # fmt: skip
    signatures.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 9), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    story += [signatures, Spacer(1, 6 * mm), Paragraph(_("Printed on %(day)s") % {"day": tanggal(printed_on)}, small)]
    doc.build(story)
    return buffer.getvalue()
