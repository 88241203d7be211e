"""Every XLSX and CSV the platform writes: formulas neutralised, identifiers kept as text, rows streamed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

TEXT = "@"

# OWASP's CSV injection guidance: a cell starting with one of these is read as a formula (or DDE
# payload) by Excel, LibreOffice or Google Sheets, so `=HYPERLINK("http://…?"&A2)` typed into a
# registry field would come out live in an export and leak the row's neighbours when clicked.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text starting like a formula gets a leading `'` (shown, never evaluated); anything else as is.

    Numbers stay numbers (a negative integer is a number, not a formula); only text is touched."""
    if isinstance(value, str):
        value = str(value)  # a SafeString or other subclass is written as plain text
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return value


def text_cell(value: Any) -> str:
    """A cell kept as text (identifiers, codes, phone numbers): `None` is empty, anything else its text."""
    return "" if value is None else neutralise(str(value))


def xlsx_write(
    target: IO[bytes] | str,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    text_columns: set[int],
    title: str,
    progress_every: int = 0,
    progress: Any = None,
) -> int:
    """Stream a one-sheet workbook into `target` (openpyxl write-only: memory stays flat whatever the
    size); columns in `text_columns` are stored as text with the Text format. Every text cell is
    neutralised and stored as a string (data type `s`), never a formula. Returns the rows written;
    `progress(rows)` is called every `progress_every` rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(text_cell(name)))
        cell.data_type = "s"
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    # One styled cell per text column, reused row after row: openpyxl writes each appended cell before it
    # takes the next, and making a styled cell for every value cost a third of the writing time.
    styled: dict[int, WriteOnlyCell] = {}
    for index in text_columns:
        styled[index] = WriteOnlyCell(sheet)
        styled[index].number_format = TEXT
    written = 0
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            cell = styled.get(index)
            if cell is None:
                # A plain value: openpyxl stores text that does not start with `=` as a string.
                value = neutralise(value)
                cells.append(_xlsx_text(value) if type(value) is str else value)
            else:
                cell.value = _xlsx_text(text_cell(value))
                cell.data_type = "s"
                cells.append(cell)
        sheet.append(cells)
        written += 1
        if progress_every and progress is not None and written % progress_every == 0:
            progress(written)
    workbook.save(target)
    return written


def _xlsx_text(text: str) -> str:
    """Control characters XML cannot hold (a pasted form feed, a stray NUL) dropped rather than refused."""
    return ILLEGAL_CHARACTERS_RE.sub("", text) if ILLEGAL_CHARACTERS_RE.search(text) else text


def xlsx(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, text_columns: set[int], title: str) -> bytes:
    """`xlsx_write` into memory: for files small enough to answer within a request."""
    out = io.BytesIO()
    xlsx_write(out, headers, rows, text_columns=text_columns, title=title)
    return out.getvalue()


def csv_write(target: IO[str], rows: Iterable[Sequence[Any]]) -> None:
    """CSV rows (the header is a row) with every text cell neutralised; numbers are written as numbers."""
    writer = csv.writer(target)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
