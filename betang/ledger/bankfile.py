"""A bank's own statement, read from its CSV export: the outside record that money the ledger says
left or reached a bank account is matched against (aid settlements paid out, fund repayments paid
in). Banks' exports differ: comma, semicolon or tab; headers in Indonesian or English; amounts as
`1.250.000`, `1,250,000.00` or `Rp 1.250.000,00`; one signed amount column or separate debit and
credit columns."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from betang.core.errors import DomainError
from betang.registry.imports.validation import parse_date

MAX_BYTES = 20 * 1024 * 1024  # a statement larger than this is refused before it is read

_HEADERS = {
    "date": {"tanggal", "tgl", "tanggal transaksi", "date", "posting date", "value date"},
    "description": {"keterangan", "uraian", "deskripsi", "berita", "description", "remark", "remarks"},
    "amount": {"jumlah", "nominal", "mutasi", "amount"},
    "reference": {"referensi", "no referensi", "no. referensi", "ref", "reference", "no ref"},
}
# The column of money leaving the account (debit) or reaching it (credit), preferred over a
# direction-less amount column when the export has both.
_DIRECTED = {"out": {"debet", "debit", "db"}, "in": {"kredit", "credit", "cr"}}


class Unreadable(DomainError):
    code = "bank_statement_unreadable"
    message = gettext_lazy("This file is not a bank statement: it needs date, description and amount columns.")


@dataclass(frozen=True)
class BankLine:
    line: int  # in the file, the header being line 1
    day: date | None
    description: str
    reference: str
    amount: int | None
    error: str = ""
    other_way: bool = False  # money moved the other way on it (the other one of debit and credit)


def amount(text: str) -> int | None:
    """`1.250.000`, `1,250,000.00`, `Rp 1.250.000,00`, `-1250000` (a debit) → 1250000; None if not whole rupiah."""
    text = re.sub(r"(?i)rp|idr|\s|-|\+", "", text or "")
    if not text:
        return None
    decimals = re.search(r"[.,](\d{2})$", text)
    if decimals and not re.search(r"[.,]\d{3}$", text):
        if decimals.group(1) != "00":
            return None
        text = text[: decimals.start()]
    text = text.replace(".", "").replace(",", "")
    # ASCII digits only ("²".isdigit() is True but int("²") fails), and within a 64-bit rupiah column
    return int(text) if text.isdigit() and text.isascii() and len(text) <= 15 else None


def day(text: str) -> date | None:
    """A statement's date as the registry reads dates (`2026-11-21`, `21/11/2026`, `21 November 2026`),
    also with a time after it, or with a two-digit year (`21/11/26`)."""
    text = (text or "").strip()
    if found := parse_date(text) or parse_date(text.split(" ")[0]):
        return found
    try:
        return datetime.strptime(text.split(" ")[0], "%d/%m/%y").date()  # noqa: DTZ007 - a calendar day
    except ValueError:
        return None


def bank_lines(content: bytes, *, direction: str = "out") -> list[BankLine]:
    """The lines of a bank statement CSV, each with its file line number; a line that cannot be read
    carries its reason. `direction` picks the debit ("out") or credit ("in") column where the export
    has both; a line with nothing in that column moved the other way and is marked `other_way`."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        raise Unreadable() from None
    rows = csv.reader(io.StringIO(text), dialect)
    header = next(rows, None) or []
    where: dict[str, int] = {}
    directed = None
    for i, name in enumerate(header):
        name = " ".join(name.strip().lower().split())
        if name in _DIRECTED[direction] and directed is None:
            directed = i
        for field, aliases in _HEADERS.items():
            if name in aliases and field not in where:
                where[field] = i
    if directed is not None:
        where["amount"] = directed
    if not {"date", "description", "amount"} <= set(where):
        raise Unreadable()
    lines = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(field: str, row: list[str] = row) -> str:
            i = where.get(field)
            return row[i].strip() if i is not None and i < len(row) else ""

        when, moved = day(cell("date")), amount(cell("amount"))
        error, other_way = "", directed is not None and (not cell("amount") or moved == 0)
        if other_way:
            moved = None
        elif when is None:
            error = _("The date cannot be read.")
        elif moved is None:
            error = _("The amount is not whole rupiah.")
        lines.append(BankLine(number, when, cell("description"), cell("reference"), moved, error, other_way))
    return lines
