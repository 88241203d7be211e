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
    # On a 390 px phone the quantities are on screen, and nothing runs off it sideways.
    box = page.get_by_test_id("qty-8991002").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    keyboard.press("Enter")  # an empty scan moves on to the card
    keyboard.type(shop.world.card.number)
    keyboard.press("Enter")  # the card scanner's Enter moves on to the PIN
    keyboard.type("000000")
    keyboard.press("Enter")
    error = page.get_by_test_id("quote-error")
    error.wait_for()
    assert "PIN salah" in error.inner_text()
    assert "2 kesempatan lagi" in error.inner_text()
    assert page.get_by_test_id("qty-8991002").input_value() == "2"  # the basket is still there
    assert page.get_by_test_id("pin").evaluate("el => el === document.activeElement")  # ready for the PIN again
    assert Sale.objects.count() == 0
    page.screenshot(path=str(artifacts / "outlet-sale-wrong-pin.png"), full_page=True)

    keyboard.type(PIN)
    keyboard.press("Enter")  # the PIN's Enter shows what the card pays and what is cash…
    quote = page.get_by_test_id("quote")
    quote.wait_for()
    assert page.get_by_test_id("quote-card").inner_text() == "Rp132.000"
    assert page.get_by_test_id("quote-cash").inner_text() == "Rp0"
    assert Sale.objects.count() == 0
    page.screenshot(path=str(artifacts / "outlet-sale-quote.png"), full_page=True)
    keyboard.press("Enter")  # …and Enter again pays
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


def test_at_a_desktop_till_the_card_pays_what_it_can_and_the_rest_is_cash(
    page, live_server, committed_regions, make_user, artifacts
):
    """The default "Dibayar kartu" (blank): a basket above the card's balance is not refused."""
    shop = build_shop(make_user)
    page.set_viewport_size({"width": 1280, "height": 800})
    base, sale_page = live_server.url, f"/gerai/{shop.outlet.pk}/jual/"
    sign_in(page, base, "kasir", sale_page)
    page.get_by_test_id("scan").fill("1234567")  # a code no item has: said so, by its code
    page.get_by_test_id("scan").press("Enter")
    assert "1234567" in page.get_by_test_id("scan-unknown").inner_text()
    page.get_by_test_id("qty-8991001").fill("4")  # Rp280.000 of rice; the card holds Rp200.000
    page.get_by_test_id("cash").fill("50000")  # too little for the Rp80.000 left in cash
    page.get_by_test_id("card").fill(shop.world.card.number)
    page.get_by_test_id("pin").fill(PIN)
    page.keyboard.press("Enter")
    page.get_by_test_id("quote").wait_for()
    assert page.get_by_test_id("quote-card").inner_text() == "Rp200.000"
    assert page.get_by_test_id("quote-cash").inner_text() == "Rp80.000"
    assert "Pangan Rp150.000" in page.get_by_test_id("quote-pockets").inner_text()
    assert "Rp80.000" in page.get_by_test_id("quote-cash-short").inner_text()  # warned before paying
    page.get_by_test_id("cash").fill("")  # the exact amount
    page.screenshot(path=str(artifacts / "outlet-sale-split-desktop.png"), full_page=True)
    page.get_by_test_id("pay").click()
    page.get_by_test_id("receipt").wait_for()
    assert page.get_by_test_id("receipt-card").inner_text() == "Rp200.000"
    sale = Sale.objects.get()
    assert (sale.card_amount, sale.cash_amount) == (200_000, 80_000)
