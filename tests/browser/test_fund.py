"""The revolving fund in real Chromium: a cooperative's treasurer simulates the instalments and
applies on a phone-sized screen; after the assessment and another user's approval, the fund officer
disburses the loan and records the first repayment on the loan's page."""

import pytest
from django.utils import timezone

from betang.fund.models import Application, Loan, Repayment
from betang.fund.services import application_approve, application_assess
from betang.registry.models import CooperativeStaff
from tests.browser.test_aid_cycle import sign_in
from tests.conftest import NOW
from tests.fund.conftest import ALL_YES, world  # noqa: F401 - the fund's fixture

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
