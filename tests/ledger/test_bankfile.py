"""Reading a bank's CSV export: separate debit and credit columns, or one amount column."""

from datetime import date

import pytest

from betang.ledger.bankfile import amount as read_amount
from betang.ledger.bankfile import bank_lines

STATEMENT = (
    b"Tanggal;Keterangan;Debet;Kredit;No Referensi\n"
    b"01/03/2026;Angsuran DB-2026-0001;;3.750.000,00;R1\n"
    b"02/03/2026;Transfer ke KDMP;2.500.000;;R2\n"
)


def test_money_in_reads_the_credit_column_and_marks_the_debits():
    lines = bank_lines(STATEMENT, direction="in")
    assert [(x.line, x.day, x.amount, x.other_way) for x in lines] == [
        (2, date(2026, 3, 1), 3_750_000, False),
        (3, date(2026, 3, 2), None, True),
    ]


def test_money_out_reads_the_debit_column():
    lines = bank_lines(STATEMENT, direction="out")
    assert [(x.amount, x.other_way, x.reference) for x in lines] == [(None, True, "R1"), (2_500_000, False, "R2")]


def test_one_amount_column_is_read_either_way():
    content = b'date,description,amount,reference\n2026-03-01,DB-2026-0001,"1,250,000",X\n'
    assert [x.amount for x in bank_lines(content, direction="in")] == [1_250_000]
    assert [x.amount for x in bank_lines(content, direction="out")] == [1_250_000]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.250.000", 1_250_000),
        ("1,250,000.00", 1_250_000),
        ("Rp 1.250.000,00", 1_250_000),
        ("-35.000,00", 35_000),
        ("1250000", 1_250_000),
        ("12.50", None),
        ("abc", None),
        ("", None),
        ("²", None),  # "²".isdigit() is True, int("²") fails
        ("9" * 30, None),  # beyond a 64-bit column
    ],
)
def test_bank_amounts_are_read_as_whole_rupiah(text, amount):
    assert read_amount(text) == amount
