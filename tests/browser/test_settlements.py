"""Settling a cooperative in real Chromium: the officer issues the statements, opens one, marks it paid
with the transfer's reference, and the page says so."""

from datetime import timedelta

import pytest

from betang.aid.contracts import BasketLine
from betang.aid.models import Settlement
from betang.aid.services.payments import card_pay
from betang.core import clock
from tests.aid.conftest import PIN, build_world
from tests.browser.test_aid_cycle import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_issues_statements_and_marks_one_paid(page, live_server, committed_regions, make_user, artifacts):
    world = build_world(make_user)
    yesterday = clock.now() - timedelta(days=1)
    for n, amount in enumerate((45_000, 30_000)):
        card_pay(
            card_number=world.card.number,
            pin=PIN,
            cooperative_id=world.coop_a.pk,
            key=f"b{n}",
            basket=[BasketLine("BERAS", amount)],
            occurred_at=yesterday,
            recorded_at=yesterday,
        )
    base, listing = live_server.url, f"/bantuan/program/{world.program.code}/pembayaran-koperasi/"
    sign_in(page, base, "maker", listing)
    assert "Rp75.000" in page.get_by_test_id("unsettled").inner_text()
    page.get_by_test_id("issue-statements").click()
    page.get_by_text("1 rekap diterbitkan").wait_for()
    page.get_by_test_id("settlements").get_by_role("link").first.click()
    assert page.get_by_test_id("settlement-amount").inner_text() == "Rp75.000"
    page.get_by_label("Referensi bank").fill("SP2D-7781")
    page.get_by_test_id("mark-paid").click()
    page.get_by_test_id("settlement-status").filter(has_text="dibayar").wait_for()
    page.screenshot(path=str(artifacts / "aid-settlement-paid.png"), full_page=True)
    assert Settlement.objects.get().bank_reference == "SP2D-7781"
