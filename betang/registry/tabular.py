"""Reading uploaded tables (CSV or XLSX) as a stream of rows, with headers matched flexibly."""

from __future__ import annotations

import csv
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from betang.core.errors import DomainError


class TableError(DomainError):
    """The file as a whole cannot be read as a table; nothing in it was imported."""

    code = "import.not_a_table"
    message = "The file is not a table (CSV or XLSX)."


@dataclass(frozen=True)
class Column:
    field: str
    label: str  # what the header is called in our template (Indonesian)
    aliases: tuple[str, ...]
    required: bool = False


def header_key(text: Any) -> str:
    """`Tgl. Lahir` → `tgl lahir`; `NO_KK` → `no kk`: case, accents and punctuation do not matter."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("The file is neither UTF-8 nor Windows text."))


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if b"\x00" in head:
        raise TableError(_("The file is not a table (CSV or XLSX): it contains binary data."))
    sample = _decode(head[: 16 * 1024] if len(head) > 16 * 1024 else head) if head else ""
    if not sample.strip():
        raise TableError(_("The file is empty."))
    first_line = sample.splitlines()[0]
    delimiter = max([",", ";", "\t", "|"], key=first_line.count)
    if first_line.count(delimiter) == 0:
        raise TableError(_("The file is not a table: its first line has no column separators."))
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the end of the sample is still UTF-8.
        if exc.start < len(head) - 4:
            encoding = "cp1252"
    with open(path, encoding=encoding, errors="strict", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for record in reader:
                yield reader.line_num, record
        except UnicodeDecodeError:
            raise TableError(_("The file mixes text encodings; save it again as CSV UTF-8.")) from None
        except csv.Error as exc:
            raise TableError(
                _("Line %(line)s is not valid CSV: %(problem)s") % {"line": reader.line_num, "problem": exc}
            ) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(_("The XLSX file cannot be opened: %(problem)s") % {"problem": exc}) from None
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()


def read_rows(path: Path, original_name: str) -> Iterator[tuple[int, list[Any]]]:
    """(line number as the user sees it, cell values) for every row of the first sheet or the CSV."""
    suffix = Path(original_name).suffix.lower()
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK"):
        return _xlsx_rows(path)
    if suffix in {".xlsx", ".xlsm"}:
        raise TableError(_("The file is named .xlsx but is not an Excel workbook."))
    if suffix in {".xls"}:
        raise TableError(_("Old .xls workbooks are not read; save it as .xlsx or CSV."))
    return _csv_rows(path)


@dataclass
class Table:
    """Rows as dicts keyed by our field names, plus the original headers for the reject file."""

    headers: list[str]
    mapping: dict[int, str]  # column index → field
    header_line: int
    rows: Iterator[tuple[int, dict[str, Any], list[Any]]]  # line, fields, the row's cells as read

    def original(self, values: list[Any]) -> list[str]:
        """The row's cells as text, in the file's column order (kept for rejected and held rows)."""
        cells = [_text(v) for v in values]
        while cells and cells[-1] == "" and len(cells) > len(self.headers):
            cells.pop()
        return cells


def open_table(path: Path, original_name: str, columns: list[Column]) -> Table:
    """Find the header row (the first non-empty row), map its columns, and stream the rest."""
    alias_to_field: dict[str, str] = {}
    for column in columns:
        for alias in (column.field, column.label, *column.aliases):
            alias_to_field[header_key(alias)] = column.field
    rows = read_rows(path, original_name)
    for line, cells in rows:  # noqa: B007 - `line` is the header line, used after the loop
        if any(c is not None and str(c).strip() for c in cells):
            break
    else:
        raise TableError(_("The file has no header row."))
    headers = ["" if c is None else str(c).strip() for c in cells]
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        field = alias_to_field.get(header_key(header))
        if field and field not in mapping.values():
            mapping[index] = field
    if not mapping:
        raise TableError(
            _("No column of the file is recognised (expected e.g. %(examples)s).")
            % {"examples": ", ".join(c.label for c in columns if c.required)}
        )
    missing = [c.label for c in columns if c.required and c.field not in mapping.values()]
    if missing:
        raise TableError(_("Required columns are missing: %(columns)s.") % {"columns": ", ".join(missing)})
    header_line = line

    def stream():
        for number, values in rows:
            if not any(v is not None and str(v).strip() for v in values):
                continue  # blank lines are not rows (any() stops at the first filled cell)
            fields = {field: values[i] if i < len(values) else None for i, field in mapping.items()}
            yield number, fields, values

    return Table(headers=headers, mapping=mapping, header_line=header_line, rows=stream())


def _text(value: Any) -> str:
    if type(value) is str:  # every cell of a CSV
        return value
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()
    return str(value)
