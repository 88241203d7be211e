"""XLSX exports: identifiers and codes are written as text so Excel never turns them into numbers."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from betang.registry.models import ImportBatch, ImportRow

TEXT = "@"


def xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, text_columns: set[int], title: str) -> bytes:
    """A one-sheet workbook; columns in `text_columns` are stored as text with the Text format."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            if index in text_columns:
                cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
                cell.number_format = TEXT
            else:
                cell = WriteOnlyCell(sheet, value=value)
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rejected_rows_xlsx(batch: ImportBatch, outcomes: tuple[str, ...] = (ImportRow.Outcome.REJECTED,)) -> bytes:
    """The rejected rows as uploaded, each with its line and reason: fix them and upload this file again."""
    rows = ImportRow.objects.filter(batch=batch, outcome__in=outcomes).order_by("line")
    width = max([len(batch.headers), *(len(d) for d in rows.values_list("data", flat=True).iterator())])
    headers = [h or f"#{i + 1}" for i, h in enumerate(batch.headers)] + [
        f"#{i + 1}" for i in range(len(batch.headers), width)
    ]
    extra = [_("Reason"), _("Reason code"), _("Line in the uploaded file")]
    body = ([*r.data, *[""] * (width - len(r.data)), r.message, r.codes, r.line] for r in rows.iterator())
    # Every uploaded column is text: NIK, KK, codes and phone numbers must survive the round trip.
    return xlsx(headers + extra, body, text_columns=set(range(len(headers) + 2)), title=_("Rejected rows"))
