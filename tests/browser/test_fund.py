"""The revolving fund in real Chromium: a cooperative's treasurer simulates the instalments and
applies on a phone-sized screen; after the assessment and another user's approval, the fund officer
disburses the loan and records the first repayment on the loan's page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from betang.fund.models import Application, Loan, Repayment
from betang.fund.services.applications import application_approve, application_assess
from betang.fund.services.loans import loan_disburse
from betang.registry.models import CooperativeStaff
from tests.browser.test_aid_cycle import sign_in
from tests.conftest import NOW
from tests.fund.conftest import ALL_YES, approved, world  # noqa: F401 - the fund's fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_apply_then_disburse_and_record_a_repayment(page, live_server, committed_regions, world, artifacts):  # noqa: F811
    CooperativeStaff.objects.create(user=world.operator, cooperative=world.cooperative, since=NOW)
    base, apply = live_server.url, f"/dana-bergulir/{world.fund.code}/pengajuan/baru/"
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, world.operator.username, apply)
    page.get_by_test_id("amount").fill("250.000.000")
    page.get_by_test_id("simulate").click()
    page.get_by_test_id("schedule").wait_for()
    assert "Rp1.250.000" in page.get_by_test_id("schedule").inner_text()  # a grace month's interest
    page.get_by_label("Tujuan").fill("Modal gerai sembako")
    page.get_by_test_id("submit-application").click()
    page.get_by_test_id("application-status").filter(has_text="diajukan").wait_for()
    page.screenshot(path=str(artifacts / "fund-application-phone.png"), full_page=True)

    application = Application.objects.get()
    application_assess(application=application, checklist=ALL_YES, score=80, note="Layak", actor=world.assessor,
                       occurred_at=NOW)  # fmt: skip
    application_approve(application=application, actor=world.approver, occurred_at=NOW)

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, world.assessor.username, f"/dana-bergulir/pengajuan/{application.pk}/")
    page.get_by_label("Referensi transfer").fill("SP2D-0091")
    page.get_by_test_id("disburse").click()
    page.get_by_test_id("loan-schedule").wait_for()
    loan = Loan.objects.get()
    assert loan.bank_reference == "SP2D-0091"
    page.get_by_test_id("repayment-form").get_by_label("Referensi bank").fill("BRI-0001")
    page.get_by_test_id("record-repayment").click()
    page.get_by_text("Dicatat: denda").wait_for()
    page.screenshot(path=str(artifacts / "fund-loan.png"), full_page=True)
    repayment = Repayment.objects.get()
    assert (repayment.paid_on, repayment.bank_reference) == (timezone.localdate(), "BRI-0001")


def test_a_late_loan_is_restructured_by_one_officer_and_approved_by_another(
    page,
    live_server,
    committed_regions,
    world,  # noqa: F811 - the fund's fixture
    artifacts,
):
    loan = loan_disburse(application=approved(world), disbursed_on=timezone.localdate() - timedelta(days=300),
                         bank_reference="SP2D-7", actor=world.assessor, occurred_at=NOW, recorded_at=NOW)  # fmt: skip
    base, url = live_server.url, f"/dana-bergulir/pinjaman/{loan.pk}/"
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, base, world.assessor.username, url)
    page.get_by_test_id("propose-restructuring").locator("summary").click()
    form = page.get_by_test_id("propose-restructuring")
    form.get_by_label("Jangka waktu baru (bulan)").fill("24")
    form.get_by_label("Suku bunga per tahun (%)").fill("3")
    form.get_by_label("ditambahkan ke pokok (kapitalisasi)").check()
    form.get_by_label("Alasan").fill("Gagal panen, banjir")
    page.get_by_test_id("propose-restructure").click()
    page.get_by_test_id("change-waiting").wait_for()
    assert page.get_by_test_id("approve-change").count() == 0  # not for the proposer
    page.get_by_test_id("settlement").locator("summary").click()
    wide = page.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + (e.dataset.testid || '') + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide  # nothing runs off a phone's screen

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, world.approver.username, url)
    assert page.get_by_test_id("preview-schedule").locator("tbody tr").count() == 24
    page.get_by_test_id("approve-change").click()
    page.get_by_test_id("earlier-schedule").wait_for()
    page.screenshot(path=str(artifacts / "fund-restructured.png"), full_page=True)
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    assert page.get_by_test_id("loan-schedule").locator("tbody tr").count() == 24
