"""The fund's pages: a treasurer applies (simulating the instalments first, with the business plan),
an officer assesses, another user approves, the officer disburses, records and reverses repayments
and imports them from the bank's CSV; the portfolio by regency and cooperative (XLSX); the
agreement annex (PDF); the treasurer's own view; every page scoped."""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from betang.core.models import AuditEvent
from betang.fund.models import Application, Loan, Repayment
from betang.fund.services.funds import pool_balance
from betang.fund.services.loans import loan_disburse, loan_position
from betang.fund.services.portfolio import portfolio_run
from betang.ledger.models import BankStatement
from betang.ledger.verify import ledger_verify
from betang.registry.models import Cooperative, CooperativeStaff
from tests.conftest import NOW
from tests.fund.conftest import ALL_YES, approved

pytestmark = pytest.mark.django_db


@pytest.fixture
def treasurer(world):
    CooperativeStaff.objects.create(user=world.operator, cooperative=world.cooperative, since=NOW)
    return world.operator


def _loan(world, *, days_ago=120, amount=250_000_000) -> Loan:
    """A loan disbursed `days_ago` days before today (pages work on today's date)."""
    return loan_disburse(
        application=approved(world, amount), disbursed_on=timezone.localdate() - timedelta(days=days_ago),
        bank_reference=f"SP2D-{days_ago}", actor=world.assessor, occurred_at=NOW, recorded_at=NOW,
    )  # fmt: skip


def test_a_treasurer_simulates_then_applies_with_a_business_plan(client, world, treasurer):
    client.force_login(treasurer)
    url = f"/dana-bergulir/{world.fund.code}/pengajuan/baru/"
    page = client.get(url)
    assert page.status_code == 200
    assert world.cooperative.name in page.content.decode()

    simulated = client.post(url, {"product": world.product.pk, "amount": "Rp250.000.000", "action": "simulate"})
    html = simulated.content.decode()
    assert simulated.status_code == 200
    assert 'data-testid="schedule"' in html
    assert "Rp1.250.000" in html  # interest of a grace month: 250,000,000 × 6% / 12
    assert "Rp250.000.000" in html  # the principal sums to the loan
    assert not Application.objects.exists()  # simulating sends nothing

    plan = SimpleUploadedFile("rencana.pdf", b"%PDF-1.4 rencana usaha", content_type="application/pdf")
    sent = client.post(url, {"product": world.product.pk, "amount": "250.000.000", "purpose": "Modal gerai",
                             "business_plan": plan, "action": "submit"})  # fmt: skip
    application = Application.objects.get()
    assert sent.status_code == 302
    assert sent.url == f"/dana-bergulir/pengajuan/{application.pk}/"
    assert (application.cooperative, application.amount, application.submitted_by) == (
        world.cooperative,
        250_000_000,
        treasurer,
    )
    download = client.get(f"/dana-bergulir/pengajuan/{application.pk}/rencana-usaha/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 rencana usaha"


def test_an_application_out_of_the_products_range_is_refused_on_the_page(client, world, treasurer):
    client.force_login(treasurer)
    refused = client.post(f"/dana-bergulir/{world.fund.code}/pengajuan/baru/",
                          {"product": world.product.pk, "amount": "900000000", "purpose": "x", "action": "submit"})  # fmt: skip
    assert refused.status_code == 400
    assert "Rp200.000.000" in refused.content.decode()  # says the range
    assert not Application.objects.exists()


def test_a_treasurer_cannot_apply_for_another_cooperative(client, world, treasurer):
    other = Cooperative.objects.create(
        name="KDMP Lain", name_key="kdmp lain", kind=Cooperative.Kind.KDMP, region_code="62.03.01.1006",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    client.force_login(treasurer)
    response = client.post(f"/dana-bergulir/{world.fund.code}/pengajuan/baru/", {"product": world.product.pk,
                           "cooperative": other.pk, "amount": "250000000", "purpose": "x", "action": "submit"})  # fmt: skip
    assert response.status_code == 400
    assert not Application.objects.exists()  # refused, not sent for the treasurer's own cooperative instead


def test_assess_approve_by_another_and_disburse_through_the_pages(client, world, treasurer):
    application = Application.objects.create(
        product=world.product, cooperative=world.cooperative, region_code=world.cooperative.region_code,
        amount=250_000_000, purpose="Modal", submitted_by=treasurer, submitted_at=NOW,
    )  # fmt: skip
    url = f"/dana-bergulir/pengajuan/{application.pk}/"
    client.force_login(world.assessor)
    client.post(url + "assess/", {"checklist": list(ALL_YES), "score": "80", "note": "Layak"})
    application.refresh_from_db()
    assert (application.status, application.score) == (Application.Status.ASSESSED, 80)
    assert 'data-testid="approve"' not in client.get(url).content.decode()  # the assessor does not decide
    client.post(url + "approve/")
    application.refresh_from_db()
    assert application.status == Application.Status.ASSESSED  # refused: same user

    client.force_login(world.approver)
    client.post(url + "approve/")
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED

    pool_before = pool_balance(world.fund)
    client.force_login(world.assessor)
    today = timezone.localdate()
    done = client.post(url + "disburse/", {"disbursed_on": today.isoformat(), "bank_reference": "SP2D-77"})
    loan = Loan.objects.get()
    assert done.url == f"/dana-bergulir/pinjaman/{loan.pk}/"
    assert pool_balance(world.fund) == pool_before - (250_000_000 - loan.admin_fee)
    assert loan.instalments.count() == 36
    page = client.get(done.url).content.decode()
    assert loan.number in page
    assert 'data-testid="loan-schedule"' in page


def test_the_treasurer_cannot_assess_or_approve(client, world, treasurer):
    application = approved(world)
    client.force_login(treasurer)
    assert client.post(f"/dana-bergulir/pengajuan/{application.pk}/disburse/").status_code == 403


def test_record_and_reverse_a_repayment_on_the_loan_page(client, world):
    loan = _loan(world, days_ago=100)
    client.force_login(world.assessor)
    url = f"/dana-bergulir/pinjaman/{loan.pk}/"
    page = client.get(url).content.decode()
    assert 'data-state="late"' in page  # 3 grace-month instalments fell due and none was paid
    today = timezone.localdate()
    client.post(url + "angsuran/", {"amount": "Rp2.500.000", "paid_on": today.isoformat(), "bank_reference": "TRF-9"})
    repayment = Repayment.objects.get()
    assert repayment.amount == 2_500_000
    assert repayment.allocation["interest"] > 0
    position = loan_position(loan, as_of=today)
    assert position.allocations[-1].amount == 2_500_000

    client.post(f"/dana-bergulir/angsuran/{repayment.pk}/batal/", {"reason": "Salah koperasi"})
    repayment.refresh_from_db()
    assert repayment.status == Repayment.Status.REVERSED
    assert AuditEvent.objects.filter(event="fund.repayment.reversed").count() == 1
    assert all(c.ok for c in ledger_verify())


def test_a_future_repayment_date_is_refused(client, world):
    loan = _loan(world)
    client.force_login(world.assessor)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(f"/dana-bergulir/pinjaman/{loan.pk}/angsuran/",
                           {"amount": "1000000", "paid_on": tomorrow.isoformat(), "bank_reference": "X"}, follow=True)  # fmt: skip
    assert not Repayment.objects.exists()
    assert "hari ini atau sebelumnya" in response.content.decode()  # the page speaks Indonesian


def test_the_treasurer_sees_its_loan_and_next_instalment_but_not_another_cooperatives(
    client, world, treasurer, make_user
):
    loan = _loan(world, days_ago=10)
    client.force_login(treasurer)
    page = client.get("/dana-bergulir/koperasi/").content.decode()
    nxt = loan_position(loan, as_of=timezone.localdate()).next_due
    assert loan.number in page
    assert f"Rp{nxt.unpaid:,}".replace(",", ".") in page
    assert client.get(f"/dana-bergulir/pinjaman/{loan.pk}/").status_code == 200
    assert 'data-testid="repayment-form"' not in client.get(f"/dana-bergulir/pinjaman/{loan.pk}/").content.decode()
    assert client.get(f"/dana-bergulir/{world.fund.code}/").status_code == 403  # the pool is the officers'

    stranger = make_user(role="COOPERATIVE_OPERATOR", scope="62.03.01.1006", username="lain")
    other = Cooperative.objects.create(
        name="KDMP Lain", name_key="kdmp lain", kind=Cooperative.Kind.KDMP, region_code="62.03.01.1006",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    CooperativeStaff.objects.create(user=stranger, cooperative=other, since=NOW)
    client.force_login(stranger)
    assert client.get(f"/dana-bergulir/pinjaman/{loan.pk}/").status_code == 404
    assert loan.number not in client.get("/dana-bergulir/koperasi/").content.decode()


def test_an_officer_of_another_province_does_not_see_the_fund(client, world, make_user):
    client.force_login(make_user(role="FUND_OFFICER", scope="63", username="kalsel"))
    assert client.get(f"/dana-bergulir/{world.fund.code}/").status_code == 404
    loan = _loan(world)
    assert client.get(f"/dana-bergulir/pinjaman/{loan.pk}/").status_code == 404


def test_a_regency_officer_sees_only_the_loans_of_the_regency(client, world, make_user):
    loan = _loan(world)
    portfolio_run(fund=world.fund, as_of=timezone.localdate(), actor=None, occurred_at=NOW)
    client.force_login(make_user(role="REGENCY_OFFICER", scope="62.71", username="kota"))
    page = client.get(f"/dana-bergulir/{world.fund.code}/pinjaman/").content.decode()
    assert loan.number not in page
    assert client.get(f"/dana-bergulir/pinjaman/{loan.pk}/").status_code == 404
    client.force_login(make_user(role="REGENCY_OFFICER", scope="62.03", username="kapuas"))
    assert loan.number in client.get(f"/dana-bergulir/{world.fund.code}/pinjaman/").content.decode()


def _csv(*lines: str) -> SimpleUploadedFile:
    text = "Tanggal;Keterangan;Debet;Kredit;No Referensi\n" + "\n".join(lines) + "\n"
    return SimpleUploadedFile("rekening.csv", text.encode(), content_type="text/csv")


def test_repayments_from_the_bank_statement_every_line_accounted_for_and_idempotent(client, world, make_user):
    loan = _loan(world, days_ago=100)
    client.force_login(world.assessor)
    day = (timezone.localdate() - timedelta(days=5)).strftime("%d/%m/%Y")
    lines = (
        f"{day};Angsuran {loan.number} KDMP Sei Pasah;;3.750.000,00;BRI-001",
        f"{day};Biaya admin bank;15.000;;BRI-002",  # money out
        f"{day};Setoran tanpa nomor pinjaman;;1.000.000;BRI-003",
        f"kemarin;Angsuran {loan.number};;1.000.000;BRI-004",  # the date cannot be read
        f"{day};ANGSURAN DB {loan.number[3:7]} {loan.number[8:]};;500.000;",  # no reference; the number spaced
    )
    response = client.post(f"/dana-bergulir/{world.fund.code}/rekening-koran/", {"file": _csv(*lines)})
    statement = BankStatement.objects.get()
    assert response.url == f"/dana-bergulir/{world.fund.code}/rekening-koran/{statement.pk}/"
    assert statement.counts == {"recorded": 2, "other_way": 1, "no_loan": 1, "unreadable": 1}
    assert [row["line"] for row in statement.outcomes] == [2, 3, 4, 5, 6]  # every line, in the file's order
    assert sorted(loan.repayments.values_list("amount", flat=True)) == [500_000, 3_750_000]
    assert statement.file.read().decode().startswith("Tanggal;Keterangan")  # the upload is kept
    page = client.get(response.url).content.decode()
    assert page.count('data-outcome="unreadable"') == 2  # the count and the line
    # The fund's account lists every area's repayments: a regency's officer does not read it.
    client.force_login(make_user(role="FUND_OFFICER", scope="62.03", username="kapuas.rk"))
    assert client.get(response.url).status_code == 404
    client.force_login(world.assessor)

    client.post(f"/dana-bergulir/{world.fund.code}/rekening-koran/", {"file": _csv(*lines)})
    again = BankStatement.objects.latest("uploaded_at")
    assert again.counts.get("already") == 2
    assert "recorded" not in again.counts
    assert loan.repayments.count() == 2
    assert all(c.ok for c in ledger_verify())


def test_a_file_that_is_no_bank_statement_is_refused_clearly(client, world):
    client.force_login(world.assessor)
    upload = SimpleUploadedFile("data.csv", b"nama,umur\nBudi,40\n", content_type="text/csv")
    response = client.post(f"/dana-bergulir/{world.fund.code}/rekening-koran/", {"file": upload}, follow=True)
    assert 'class="notice error"' in response.content.decode()
    assert not BankStatement.objects.exists()


def test_a_bank_statement_beyond_20_mb_is_refused_before_it_is_read(client, world):
    from betang.ledger.bankfile import MAX_BYTES

    client.force_login(world.assessor)
    upload = SimpleUploadedFile("besar.csv", b"x" * (MAX_BYTES + 1), content_type="text/csv")
    response = client.post(f"/dana-bergulir/{world.fund.code}/rekening-koran/", {"file": upload}, follow=True)
    assert "paling besar 20 MB" in response.content.decode()
    assert not BankStatement.objects.exists()


def test_portfolio_by_regency_and_cooperative_with_xlsx(client, world):
    loan = _loan(world, days_ago=200)  # grace instalments unpaid: late
    portfolio_run(fund=world.fund, as_of=timezone.localdate(), actor=None, occurred_at=NOW)
    health = loan.health if hasattr(loan, "health") else Loan.objects.get(pk=loan.pk).health
    client.force_login(world.assessor)
    page = client.get(f"/dana-bergulir/{world.fund.code}/portofolio/").content.decode()
    assert "Kapuas" in page
    assert f"Rp{health.principal_outstanding:,}".replace(",", ".") in page
    by_coop = client.get(f"/dana-bergulir/{world.fund.code}/portofolio/?by=cooperative").content.decode()
    assert world.cooperative.name in by_coop

    download = client.get(f"/dana-bergulir/{world.fund.code}/portofolio/?by=cooperative&format=xlsx")
    sheet = load_workbook(io.BytesIO(download.content)).active
    header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert row[0] == world.cooperative.name
    assert row[header.index("Sisa pokok")] == health.principal_outstanding  # headers in the user's language
    assert row[header.index("Tunggakan terlama (hari)")] == health.days_past_due > 0


def test_the_fund_page_shows_the_pool_its_flows_and_re_lending(client, world):
    _loan(world, days_ago=60)
    client.force_login(world.assessor)
    page = client.get(f"/dana-bergulir/{world.fund.code}/").content.decode()
    assert f"Rp{pool_balance(world.fund):,}".replace(",", ".") in page
    assert 'data-testid="pool-chart"' in page
    assert "<svg" in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert not re.search(r'(x|y|width|height)="-?\d+,\d', svg)  # SVG numbers, not Indonesian decimals
    assert 'data-testid="relending"' in page


def test_the_agreement_annex_lists_every_instalment(client, world):
    loan = _loan(world)
    client.force_login(world.assessor)
    response = client.get(f"/dana-bergulir/pinjaman/{loan.pk}/lampiran.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert loan.number in text
    assert world.cooperative.name in text
    last = loan.instalments.order_by("-number").first()
    assert f"Rp{last.total:,}".replace(",", ".") in text
    assert "Rp250.000.000" in text  # the principal's total


def test_the_nightly_run_can_be_queued_from_the_page(client, world, django_capture_on_commit_callbacks):
    _loan(world, days_ago=90)
    client.force_login(world.assessor)
    with django_capture_on_commit_callbacks(execute=True):  # queued once the request's writes commit
        response = client.post(
            f"/dana-bergulir/{world.fund.code}/portofolio/hitung/", {"as_of": timezone.localdate().isoformat()}
        )
    assert response.status_code == 302
    assert Loan.objects.get().health.as_of == timezone.localdate()  # the test settings run tasks at once


def test_a_business_plan_that_is_no_pdf_is_refused_and_nothing_is_sent(client, world, treasurer):
    client.force_login(treasurer)
    fake = SimpleUploadedFile("rencana.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    refused = client.post(f"/dana-bergulir/{world.fund.code}/pengajuan/baru/", {"product": world.product.pk,
                          "amount": "250000000", "purpose": "x", "business_plan": fake, "action": "submit"})  # fmt: skip
    assert refused.status_code == 400
    assert not Application.objects.exists()
