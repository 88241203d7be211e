"""Reading uploaded tables (CSV or XLSX) as a stream of rows, with headers matched flexibly."""

from __future__ import annotations

import csv
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from betang.core.errors import DomainError


class TableError(DomainError):
    """The file as a whole cannot be read as a table; nothing in it was imported."""

    code = "import.not_a_table"
    message = "The file is not a table (CSV or XLSX)."


# Refusals of a file beyond the import's limits (settings IMPORT_MAX_*, from config/env.py): a zip
# bomb (a 917 KB workbook holding 5.8 million rows) must end as a failed batch, not fill a worker's memory.


class TooLargeUnpacked(TableError):
    code = "import.too_large_unpacked"


class TooCompressed(TableError):
    code = "import.compression_ratio"


class TooManyRows(TableError):
    code = "import.too_many_rows"


class TooManyColumns(TableError):
    code = "import.too_many_columns"


@dataclass(frozen=True)
class Limits:
    max_rows: int  # rows under the header (blank lines count)
    max_columns: int
    max_unpacked_bytes: int  # a workbook's parts, unpacked, all together
    max_ratio: int  # unpacked ÷ packed, for a workbook unpacking to more than RATIO_FLOOR

    @classmethod
    def current(cls) -> Limits:
        return cls(
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_MB * 1024 * 1024,
            max_ratio=settings.IMPORT_MAX_RATIO,
        )


RATIO_FLOOR = 16 * 1024 * 1024  # a small workbook may compress well: only its unpacked size can hurt
MAX_PARTS = 10_000  # a zip's directory is read whole into memory: 2 million empty parts fit in 200 MB


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f}".replace(",", ".")


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _too_many_rows(limits: Limits) -> TooManyRows:
    return TooManyRows(
        _("The file has more than %(limit)s rows; split it into smaller files (for example one per regency).")
        % {"limit": _number(limits.max_rows)}
    )


def _check_columns(limits: Limits, line: int, cells: list[Any]) -> list[Any]:
    """The row, cut to the limit when what lies beyond is empty; refused when it is not."""
    if len(cells) <= limits.max_columns:
        return cells
    if any(c is not None and c != "" for c in cells[limits.max_columns :]):
        raise TooManyColumns(
            _("Row %(line)s has more than %(limit)s columns.") % {"line": line, "limit": _number(limits.max_columns)}
        )
    return cells[: limits.max_columns]


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


def _newlines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


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
    limits = Limits.current()
    if _newlines(path) > limits.max_rows + 1:  # perhaps too long: refused before any row is imported
        with open(path, encoding=encoding, errors="replace", newline="") as fh:
            records = csv.reader(fh, delimiter=delimiter)
            try:
                too_many = any(n > limits.max_rows + 1 for n, _ in enumerate(records, start=1))  # cells hold newlines
            except csv.Error:
                too_many = False  # the reading below says where the file breaks
        if too_many:
            raise _too_many_rows(limits)
    with open(path, encoding=encoding, errors="strict", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for count, record in enumerate(reader, start=1):
                if count > limits.max_rows + 1:  # the header and max_rows rows under it
                    raise _too_many_rows(limits)
                yield reader.line_num, _check_columns(limits, reader.line_num, record)
        except UnicodeDecodeError:
            raise TableError(_("The file mixes text encodings; save it again as CSV UTF-8.")) from None
        except csv.Error as exc:
            raise TableError(
                _("Line %(line)s is not valid CSV: %(problem)s") % {"line": reader.line_num, "problem": exc}
            ) from None


class _Unpacked:
    """A part of the workbook being unpacked, counted against the workbook's limit as it is read."""

    def __init__(self, stream: Any, archive: _CappedZip) -> None:
        self._stream, self._archive = stream, archive

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:  # everything: still in pieces, so the limit stops it early
            pieces = []
            while piece := self.read(1 << 20):
                pieces.append(piece)
            return b"".join(pieces)
        data = self._stream.read(size)
        self._archive.count(len(data))
        return data

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> _Unpacked:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _CappedZip(zipfile.ZipFile):
    """The workbook's archive: its directory checked before anything is unpacked, and every byte
    unpacked counted while it is read (a directory can lie about sizes)."""

    def __init__(self, path: Path, limits: Limits) -> None:
        with open(path, "rb") as fh:  # the member count, before the directory is read into memory
            end = zipfile._EndRecData(fh)
        if end and end[zipfile._ECD_ENTRIES_TOTAL] > MAX_PARTS:
            raise TooLargeUnpacked(
                _("The XLSX file holds more than %(limit)s parts; a workbook has a few dozen.")
                % {"limit": _number(MAX_PARTS)}
            )
        super().__init__(path)
        self.limits, self.unpacked = limits, 0
        members = self.infolist()
        declared = sum(m.file_size for m in members)
        packed = sum(m.compress_size for m in members)
        if declared > limits.max_unpacked_bytes:
            raise self._too_large()
        if declared > RATIO_FLOOR and declared > limits.max_ratio * max(packed, 1):
            raise TooCompressed(
                _(
                    "The XLSX file unpacks to %(ratio)s times its size (the limit is %(limit)s times): "
                    "it is refused as a possible zip bomb."
                )
                % {"ratio": _number(declared // max(packed, 1)), "limit": _number(limits.max_ratio)}
            )

    def _too_large(self) -> TooLargeUnpacked:
        return TooLargeUnpacked(
            _("The XLSX file unpacks to more than %(limit)s MB; split it or save it as CSV.")
            % {"limit": _mb(self.limits.max_unpacked_bytes)}
        )

    def count(self, size: int) -> None:
        self.unpacked += size
        if self.unpacked > self.limits.max_unpacked_bytes:
            raise self._too_large()

    def open(self, name: Any, mode: str = "r", pwd: bytes | None = None, **kwargs: Any) -> Any:
        stream = super().open(name, mode, pwd, **kwargs)
        return _Unpacked(stream, self) if mode == "r" else stream


def _shared_strings(archive: _CappedZip, package: Any) -> list[str]:
    """The workbook's shared strings, as openpyxl's read_strings reads them, but each string's element
    let go once read: openpyxl keeps them all, more memory than the strings themselves."""
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    part = package.find(SHARED_STRINGS)
    if part is None:
        return []
    item, plain = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t"
    strings: list[str] = []
    table = None
    with archive.open(part.PartName[1:]) as source:
        for event, element in iterparse(source, events=("start", "end")):
            if table is None:
                table = element  # <sst>, the first element
            elif event == "end" and element.tag == item:
                if len(element) == 1 and element[0].tag == plain:  # plain text, the usual: no runs
                    text = element[0].text or ""
                else:
                    text = Text.from_tree(element).content
                strings.append(text.replace("x005F_", ""))
                element.clear()
                table.remove(element)
    return strings


def _first_sheet(path: Path, limits: Limits) -> tuple[_CappedZip, Any, str]:
    """The archive (a _CappedZip), openpyxl's reader holding what the values need (shared strings,
    the styles that make a number a date) and the first worksheet's part name.

    Not load_workbook: opening read-only, it reads each sheet's declared size, and a sheet that declares
    none is parsed whole right there, every row kept in memory (a bomb's millions of rows: 790 MB).
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    archive = _CappedZip(path, limits)  # refuses before anything is unpacked
    try:
        with open(path, "rb") as fh:  # a file, not a name: openpyxl would refuse a name not ending .xlsx
            reader = ExcelReader(fh, read_only=True, data_only=True)
            reader.archive.close()  # it read the directory only
        reader.archive = archive
        reader.read_manifest()
        reader.shared_strings = _shared_strings(archive, reader.package)
        reader.read_workbook()
        apply_stylesheet(archive, reader.wb)
        for _sheet, rel in reader.parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                return archive, reader, rel.target
        raise TableError(_("The workbook has no worksheet."))
    except BaseException:
        archive.close()
        raise


# What a damaged or truncated workbook raises while it is parsed (SyntaxError: the XML parser's).
_BROKEN_XLSX = (zipfile.BadZipFile, KeyError, IndexError, OSError, ValueError, EOFError, SyntaxError, zlib.error)


def _sheet_rows(source: Any, reader: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(row number, its cells) as openpyxl parses them, each row let go once read: memory stays flat."""
    from openpyxl.worksheet._reader import DATA_TAG, ROW_TAG, WorkSheetParser
    from openpyxl.xml.functions import iterparse

    workbook = reader.wb
    parser = WorkSheetParser(
        source,
        reader.shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    data = None
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            if element.tag == DATA_TAG:
                data = element
            continue
        if element.tag == ROW_TAG:
            yield parser.parse_row(element)
            element.clear()
            if data is not None:
                data.remove(element)


SHEET_LAST_ROW = 1_048_576  # a worksheet's last row (Excel's and the format's): a sheet holds no more


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    limits = Limits.current()
    if limits.max_rows + 1 > SHEET_LAST_ROW:
        limits = Limits(SHEET_LAST_ROW - 1, limits.max_columns, limits.max_unpacked_bytes, limits.max_ratio)
    try:
        archive, reader, part = _first_sheet(path, limits)
    except TableError:
        raise
    except _BROKEN_XLSX as exc:
        raise TableError(_("The XLSX file cannot be opened: %(problem)s") % {"problem": exc}) from None
    try:
        with archive.open(part) as source:
            for number, cells in _sheet_rows(source, reader):
                if number > limits.max_rows + 1:  # the sheet's own numbering: a jump to row 5,800,000 counts
                    raise _too_many_rows(limits)
                # Cells by column; a row is as wide as its last filled cell (never 16,384 for one at XFD).
                row: list[Any] = []
                for cell in cells:
                    column, value = cell["column"], cell["value"]
                    if column > limits.max_columns:
                        if value is not None and value != "":
                            _check_columns(limits, number, [*[None] * limits.max_columns, value])
                        continue
                    if value is not None:
                        row.extend([None] * (column - len(row)))
                        row[column - 1] = value
                yield number, row
    except TableError:
        raise
    except _BROKEN_XLSX as exc:
        raise TableError(_("The XLSX file cannot be read: %(problem)s") % {"problem": exc}) from None
    finally:
        archive.close()


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
