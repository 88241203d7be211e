"""The cashier's sale in real Chromium, keyboard only: scan two items, scan the card, the beneficiary
types the PIN and Enter; the receipt shows. A wrong PIN first: a clear message, nothing sold."""

import pytest

from betang.ledger.verify import ledger_verify
from betang.outlets.models import Sale, Stock
from tests.aid.conftest import PIN
from tests.browser.test_aid_cycle import sign_in
from tests.outlets.conftest import build_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cashier_sells_by_card_with_the_keyboard_alone(page, live_server, committed_regions, make_user, artifacts):
    shop = build_shop(make_user)
    base, sale_page = live_server.url, f"/gerai/{shop.outlet.pk}/jual/"
    sign_in(page, base, "kasir", sale_page)
    keyboard = page.keyboard
    scan = page.get_by_test_id("scan")
    assert scan.evaluate("el => el === document.activeElement")  # the page opens ready to scan
    for code in ("8991001", "8991002", "8991002", "8991003"):  # a scanner types the code and Enter
        keyboard.type(code)
        keyboard.press("Enter")
    assert page.get_by_test_id("total").inner_text() == "Rp132.000"
    keyboard.press("Enter")  # an empty scan moves on to the card
    keyboard.type(shop.world.card.number)
    keyboard.press("Enter")  # the card scanner's Enter moves on to the PIN
    keyboard.type("000000")
    keyboard.press("Enter")
    error = page.get_by_test_id("sale-error")
    error.wait_for()
    assert "PIN salah" in error.inner_text()
    assert "2 kesempatan lagi" in error.inner_text()
    assert page.get_by_test_id("qty-8991002").input_value() == "2"  # the basket is still there
    assert Sale.objects.count() == 0
    page.screenshot(path=str(artifacts / "outlet-sale-wrong-pin.png"), full_page=True)

    page.get_by_test_id("pin").fill(PIN)
    keyboard.press("Enter")
    page.get_by_test_id("receipt").wait_for()
    assert page.get_by_test_id("receipt-total").inner_text() == "Rp132.000"
    assert page.get_by_test_id("receipt-card").inner_text() == "Rp132.000"  # rice, eggs and soap all by card
    page.screenshot(path=str(artifacts / "outlet-sale-receipt.png"), full_page=True)
    sale = Sale.objects.get()
    assert (sale.card_amount, sale.cash_amount) == (132_000, 0)
    assert Stock.objects.get(item=shop.eggs).quantity == 3
    assert all(c.ok for c in ledger_verify())
    page.goto(f"{base}/gerai/{shop.outlet.pk}/laporan/")
    assert "Rp132.000" in page.get_by_test_id("position").inner_text()  # owed, not yet in a statement
    page.screenshot(path=str(artifacts / "outlet-report.png"), full_page=True)
