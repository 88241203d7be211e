"""Settling cooperatives: statements claim each card payment once (ended days only, voided payments
out), a transfer marked paid moves the payable in the ledger once, and the bank's statement confirms
it line by line; the statement prints as PDF and XLSX."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from betang.aid import posting
from betang.aid.contracts import BasketLine
from betang.aid.models import Redemption, Settlement
from betang.aid.services import settlements
from betang.aid.services.payments import PaymentSettled, card_pay, card_payment_void
from betang.ledger import selectors as ledger
from betang.ledger.models import BankStatement
from betang.ledger.verify import ledger_verify
from tests.aid.conftest import PIN
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def pay(world, amount, *, at, cooperative, key):
    return card_pay(
        card_number=world.card.number,
        pin=PIN,
        cooperative_id=cooperative.pk,
        basket=[BasketLine("BERAS", amount, "Beras")],
        key=key,
        occurred_at=at,
        recorded_at=at,
    )


@pytest.fixture
def paid(world):
    """Two days of payments at two cooperatives, one voided, and one today."""
    a, b = world.coop_a, world.coop_b
    pay(world, 20_000, at=NOW - 2 * DAY, cooperative=a, key="p1")
    pay(world, 15_000, at=NOW - DAY, cooperative=a, key="p2")
    void = pay(world, 9_000, at=NOW - DAY, cooperative=a, key="p3")
    card_payment_void(redemption_id=void.redemption_id, actor=world.maker, occurred_at=NOW - DAY, recorded_at=NOW - DAY)
    pay(world, 30_000, at=NOW - DAY, cooperative=b, key="p4")
    pay(world, 7_000, at=NOW, cooperative=a, key="p5")  # today: not yet
    return world


def payable(world, cooperative) -> int:
    found = ledger.accounts_by_key([posting.payable_key(world.program.code, cooperative.pk)])
    return ledger.account_balance(found[posting.payable_key(world.program.code, cooperative.pk)][0])


def issue(world, up_to=None):
    return settlements.settlements_issue(
        program=world.program, up_to=up_to or (NOW - DAY).date(), actor=world.maker, occurred_at=NOW
    )


def test_a_statement_per_cooperative_claims_the_ended_days_payments_once(paid):
    made = {s.cooperative_id: s for s in issue(paid)}
    a, b = made[paid.coop_a.pk], made[paid.coop_b.pk]
    assert (a.payments, a.amount, b.payments, b.amount) == (2, 35_000, 1, 30_000)
    assert (a.period_start_date, a.period_end_date) == ((NOW - 2 * DAY).date(), (NOW - DAY).date())
    assert a.number != b.number
    assert a.status == Settlement.Status.ISSUED
    assert Redemption.objects.filter(settlement__isnull=True, status="PAID").count() == 1  # today's
    with pytest.raises(settlements.NothingToSettle):
        issue(paid)
    with pytest.raises(settlements.PeriodOpen):
        issue(paid, up_to=NOW.date())


def test_a_settled_payment_can_no_longer_be_voided(paid):
    issue(paid)
    claimed = Redemption.objects.filter(settlement__isnull=False).first()
    with pytest.raises(PaymentSettled):
        card_payment_void(redemption_id=claimed.pk, actor=paid.maker, occurred_at=NOW, recorded_at=NOW)
    assert Redemption.objects.get(pk=claimed.pk).status == "PAID"


def test_marking_paid_moves_the_payable_once(paid):
    statement = next(s for s in issue(paid) if s.cooperative_id == paid.coop_a.pk)
    owed = payable(paid, paid.coop_a)
    assert owed == 35_000 + 7_000  # the payable is a credit balance: what the program owes
    done = settlements.settlement_mark_paid(
        settlement=statement,
        bank_reference=" SP2D-0099 ",
        paid_date=NOW.date(),
        actor=paid.maker,
        occurred_at=NOW,
        recorded_at=NOW,
    )
    assert (done.status, done.bank_reference) == (Settlement.Status.PAID, "SP2D-0099")
    assert payable(paid, paid.coop_a) == 7_000
    again = settlements.settlement_mark_paid(
        settlement=statement,
        bank_reference="SP2D-0099",
        paid_date=NOW.date(),
        actor=paid.maker,
        occurred_at=NOW,
        recorded_at=NOW,
    )
    assert again.entry_id == done.entry_id
    assert payable(paid, paid.coop_a) == 7_000
    with pytest.raises(settlements.AlreadyPaid):
        settlements.settlement_mark_paid(
            settlement=statement,
            bank_reference="OTHER-1",
            paid_date=NOW.date(),
            actor=paid.maker,
            occurred_at=NOW,
            recorded_at=NOW,
        )
    assert all(c.ok for c in ledger_verify())


BANK_CSV = """Tanggal;Keterangan;Referensi;Jumlah
21/11/2026;Transfer KDMP Sei Pasah;SP2D-0099;-35.000,00
21/11/2026;Transfer KDMP Anjir;SP2D-0100;31.000
22/11/2026;Biaya admin;;6.500
kemarin;Transfer lain;X;1.000
"""


def test_the_bank_statement_confirms_paid_statements_line_by_line_and_is_kept(paid):
    made = {s.cooperative_id: s for s in issue(paid)}
    for coop, reference in ((paid.coop_a, "SP2D-0099"), (paid.coop_b, "SP2D-0100")):
        settlements.settlement_mark_paid(
            settlement=made[coop.pk],
            bank_reference=reference,
            paid_date=NOW.date(),
            actor=paid.maker,
            occurred_at=NOW,
            recorded_at=NOW,
        )
    statement = settlements.bank_statement_match(
        program=paid.program, content=BANK_CSV.encode(), filename="rekening.csv", actor=paid.maker, occurred_at=NOW
    )
    assert [(o["line"], o["outcome"]) for o in statement.outcomes] == [
        (2, "reconciled"),
        (3, "differs"),
        (4, "unmatched"),
        (5, "unreadable"),
    ]
    assert "Rp31.000" in statement.outcomes[1]["reason"]
    assert "Rp30.000" in statement.outcomes[1]["reason"]
    assert Settlement.objects.get(pk=made[paid.coop_a.pk].pk).status == Settlement.Status.RECONCILED
    assert Settlement.objects.get(pk=made[paid.coop_b.pk].pk).status == Settlement.Status.PAID
    assert statement.file.read() == BANK_CSV.encode()  # the upload is kept as it came
    again = settlements.bank_statement_match(
        program=paid.program, content=BANK_CSV.encode(), filename="rekening.csv", actor=paid.maker, occurred_at=NOW
    )
    assert again.counts == {"already": 1, "differs": 1, "unmatched": 1, "unreadable": 1}
    assert BankStatement.objects.count() == 2


def test_a_file_that_is_no_bank_statement_is_refused_whole(paid):
    with pytest.raises(settlements.BankFileUnreadable):
        settlements.bank_statement_match(
            program=paid.program, content=b"nama,alamat\nA,B\n", filename="x.csv", actor=paid.maker, occurred_at=NOW
        )
    assert BankStatement.objects.count() == 0


def test_the_statement_prints_as_pdf_and_xlsx_with_its_payments(client, paid):
    statement = next(s for s in issue(paid) if s.cooperative_id == paid.coop_a.pk)
    client.force_login(paid.maker)
    pdf = client.get(f"/bantuan/pembayaran-koperasi/{statement.pk}/rekap.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    receipts = list(Redemption.objects.filter(settlement=statement).values_list("receipt_number", flat=True))
    assert statement.number in text
    assert "Rp35.000" in text
    assert all(r in text for r in receipts)
    workbook = load_workbook(io.BytesIO(client.get(f"/bantuan/pembayaran-koperasi/{statement.pk}/rekap.xlsx").content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 3
    assert sorted(r[2] for r in rows[1:]) == sorted(receipts)
    assert sum(r[6] for r in rows[1:]) == 35_000
    assert workbook.active["C2"].number_format == "@"


def test_the_pages_issue_mark_paid_and_match_a_bank_statement(client, paid, kapuas_officer):
    program = f"/bantuan/program/{paid.program.code}"
    client.force_login(paid.maker)
    page = client.get(f"{program}/pembayaran-koperasi/").content.decode()
    assert "Rp72.000" in page  # 20.000 + 15.000 + 30.000 + today's 7.000; the voided 9.000 is not owed
    response = client.post(f"{program}/pembayaran-koperasi/terbitkan/", {"up_to": str((NOW - DAY).date())}, follow=True)
    assert "2 rekap diterbitkan" in response.content.decode()
    statement = Settlement.objects.get(cooperative=paid.coop_a)
    client.post(
        f"/bantuan/pembayaran-koperasi/{statement.pk}/dibayar/",
        {"bank_reference": "SP2D-0099", "paid_date": "2026-11-21"},
    )
    assert "dibayar" in client.get(f"/bantuan/pembayaran-koperasi/{statement.pk}/").content.decode()
    upload = io.BytesIO(BANK_CSV.encode())
    upload.name = "rekening.csv"
    result = client.post(f"{program}/rekening-koran/", {"file": upload}, follow=True).content.decode()
    assert 'data-outcome="reconciled"' in result
    assert "cocok" in result.lower()
    # The program's bank statement lists every area's transfers: a regency officer does not read it.
    kept = BankStatement.objects.get()
    client.force_login(kapuas_officer)
    assert client.get(f"{program}/rekening-koran/{kept.pk}/").status_code == 404


def test_an_officer_of_another_regency_sees_none_of_these_statements(client, paid, palangkaraya_officer):
    issue(paid)
    statement = Settlement.objects.first()
    client.force_login(palangkaraya_officer)
    assert client.get(f"/bantuan/pembayaran-koperasi/{statement.pk}/").status_code == 404
    assert (
        statement.number
        not in client.get(f"/bantuan/program/{paid.program.code}/pembayaran-koperasi/").content.decode()
    )
