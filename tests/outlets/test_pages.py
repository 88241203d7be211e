"""Outlet pages: the cashier's sale page sells and prints a receipt, a refusal is shown on the page and
sells nothing, a supervisor voids, the operator keeps items and stock; each only at their own outlet."""

import pytest
from django.utils import timezone

from betang.aid.models import Card
from betang.core.models import AuditEvent
from betang.core.templatetags.betang import tanggal
from betang.outlets.models import Item, Sale, Stock
from betang.outlets.services.sales import LineIn, sale_complete
from betang.registry.models import Outlet
from tests.aid.conftest import PIN, cooperative
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def sale_page(shop) -> str:
    return f"/gerai/{shop.outlet.pk}/jual/"


def form(shop, quantities, **fields):
    data = {f"qty-{item.pk}": str(n) for item, n in quantities}
    return {"key": fields.pop("key", "k-1"), **data, **fields}


def test_a_cashier_goes_straight_to_the_sale_page_of_their_one_outlet(client, shop, django_assert_max_num_queries):
    client.force_login(shop.cashier)
    assert client.get("/gerai/")["Location"] == sale_page(shop)
    with django_assert_max_num_queries(8):  # the session, the user, the outlet, its cooperative check, the stock
        page = client.get(sale_page(shop)).content.decode()
    for text in ("Beras Medium 5 kg", "Rp70.000", "Rokok Kretek", 'name="key"', "Kode barang"):
        assert text in page


def test_a_card_and_cash_sale_on_the_page_ends_on_its_receipt(client, shop):
    client.force_login(shop.cashier)
    response = client.post(
        sale_page(shop),
        form(shop, [(shop.rice, 1), (shop.cigarettes, 1)], card_number=shop.world.card.number, pin=PIN, cash="50.000"),
    )
    sale = Sale.objects.get()
    assert response["Location"] == f"/gerai/struk/{sale.pk}/"
    receipt = client.get(response["Location"]).content.decode()
    assert sale.number in receipt
    assert "<svg" in receipt
    for text in (
        "Rp102.000",
        "Rp70.000",
        "Rp32.000",
        "Rp18.000",
        f"•••• {shop.world.card.number[-4:]}",
        tanggal(sale.occurred_at),
    ):
        assert text in receipt
    assert shop.world.card.number not in receipt  # never the whole card number
    assert PIN not in str(AuditEvent.objects.values_list("changes", flat=True))
    assert (
        client.post(
            sale_page(shop),
            form(
                shop, [(shop.rice, 1), (shop.cigarettes, 1)], card_number=shop.world.card.number, pin=PIN, cash="50.000"
            ),
        )["Location"]
        == response["Location"]
    )  # a double submit
    assert Sale.objects.count() == 1


def test_a_wrong_pin_is_shown_on_the_page_keeps_the_basket_and_sells_nothing(client, shop):
    client.force_login(shop.cashier)
    response = client.post(
        sale_page(shop), form(shop, [(shop.rice, 2)], card_number=shop.world.card.number, pin="000000")
    )
    page = response.content.decode()
    assert response.status_code == 401
    assert 'data-code="aid.wrong_pin"' in page
    assert "PIN salah" in page
    assert "2 kesempatan lagi" in page
    assert f'name="qty-{shop.rice.pk}" value="2"' in page  # the basket is kept for the next try
    assert 'name="pin" ' in page
    assert PIN not in page
    assert Sale.objects.count() == 0
    assert Stock.objects.get(item=shop.rice).quantity == 10
    assert Card.objects.get(pk=shop.world.card.pk).failed_pin_attempts == 1


@pytest.mark.parametrize(
    ("setup", "fields", "code", "words"),
    [
        ("blocked", {}, "aid.card_blocked", "diblokir"),
        ("ineligible", {}, "outlet.nothing_for_card", "Tidak ada barang di keranjang ini yang dapat dibayar"),
        ("empty", {}, "aid.insufficient_balance", "Saldo"),
    ],
)
def test_each_refusal_has_a_clear_message_on_the_page(client, shop, setup, fields, code, words):
    from betang.aid.services.cards import card_block

    basket = [(shop.rice, 1)]
    if setup == "blocked":
        card_block(card=shop.world.card, reason="hilang", actor=shop.world.maker, occurred_at=NOW)
    elif setup == "ineligible":
        basket = [(shop.cigarettes, 1)]
    else:  # a card already spent: Rp200.000 of three sacks went on it earlier
        sale_complete(
            outlet=shop.outlet,
            cashier=shop.cashier,
            lines=[LineIn(shop.rice.pk, 3)],
            key="drain",
            occurred_at=NOW,
            recorded_at=NOW,
            card_number=shop.world.card.number,
            pin=PIN,
        )
    sales = Sale.objects.count()
    client.force_login(shop.cashier)
    page = client.post(
        sale_page(shop), form(shop, basket, card_number=shop.world.card.number, pin=PIN)
    ).content.decode()
    assert f'data-code="{code}"' in page
    assert words in page
    assert Sale.objects.count() == sales
    if setup == "empty":  # the pockets by their names, never FOOD or GENERAL
        assert "Pangan Rp0" in page
        assert "FOOD" not in page


def test_a_basket_above_the_balance_is_paid_by_card_as_far_as_it_goes_and_the_rest_in_cash(client, shop):
    client.force_login(shop.cashier)
    response = client.post(sale_page(shop), form(shop, [(shop.rice, 4)], card_number=shop.world.card.number, pin=PIN))
    assert response.status_code == 302  # sold: Rp280.000, Rp200.000 by card and Rp80.000 in cash
    sale = Sale.objects.get()
    assert (sale.total, sale.card_amount, sale.cash_amount) == (280_000, 200_000, 80_000)


def test_a_cashier_of_another_cooperative_cannot_reach_this_outlet(client, shop, make_user):
    from betang.registry.services.staff import cooperative_staff_assign

    other = cooperative("62.03.01.1007", "KDMP Lain")
    Outlet.objects.create(
        cooperative=other, name="Gerai Lain", region_code=other.region_code, created_at=NOW, updated_at=NOW
    )
    stranger = make_user(role="CASHIER", username="kasir.lain")
    cooperative_staff_assign(user=stranger, cooperative=other, actor=shop.supervisor, occurred_at=NOW)
    client.force_login(stranger)
    assert client.get(sale_page(shop)).status_code == 404
    assert client.post(sale_page(shop), form(shop, [(shop.rice, 1)], cash="70000")).status_code == 404
    assert Sale.objects.count() == 0


def test_only_a_supervisor_voids_and_the_goods_return(client, shop):
    client.force_login(shop.cashier)
    client.post(sale_page(shop), form(shop, [(shop.rice, 1)], cash="70000"))
    sale = Sale.objects.get()
    assert client.post(f"/gerai/struk/{sale.pk}/batal/", {"reason": "salah"}).status_code == 403
    assert sale.number in client.get(f"/gerai/{shop.outlet.pk}/penjualan/").content.decode()
    client.force_login(shop.supervisor)
    response = client.post(f"/gerai/struk/{sale.pk}/batal/", {"reason": "salah barang"}, follow=True)
    assert "dibatalkan" in response.content.decode()
    assert Sale.objects.get().status == "VOIDED"
    assert Stock.objects.get(item=shop.rice).quantity == 10


def test_the_operator_adds_an_item_and_receives_its_stock_the_cashier_only_looks(client, shop):
    stock_page = f"/gerai/{shop.outlet.pk}/stok/"
    client.force_login(shop.cashier)
    assert "Rokok Kretek" in client.get(stock_page).content.decode()
    assert client.post(stock_page + "item/", {"code": "x"}).status_code == 403
    client.force_login(shop.supervisor)
    client.post(
        stock_page + "item/",
        {"code": "8991005", "name": "Gula Pasir 1 kg", "unit": "kg", "category": "GULA", "price": "Rp17.500"},
    )
    sugar = Item.objects.get(code="8991005")
    assert sugar.price == 17_500
    client.post(stock_page + "receive/", {"item": str(sugar.pk), "quantity": "12", "reference": "SJ-9"})
    page = client.get(stock_page).content.decode()
    assert Stock.objects.get(item=sugar).quantity == 12
    assert "Gula Pasir 1 kg" in page
    response = client.post(
        stock_page + "adjust/", {"item": str(sugar.pk), "quantity": "-20", "reason": "hilang"}, follow=True
    )
    assert "stok" in response.content.decode().lower()
    assert Stock.objects.get(item=sugar).quantity == 12


def test_a_sale_form_without_its_key_is_refused_and_sells_nothing(client, shop):
    client.force_login(shop.cashier)
    response = client.post(sale_page(shop), form(shop, [(shop.rice, 1)], key="", cash="70000"))
    assert response.status_code == 400
    assert 'data-code="outlet.refused"' in response.content.decode()
    assert Sale.objects.count() == 0


def test_a_cashier_closes_their_day_and_the_operator_sees_it_on_the_report(client, shop):
    client.force_login(shop.cashier)
    client.post(sale_page(shop), form(shop, [(shop.rice, 1)], key="r1", cash="100000"))
    today = f"/gerai/{shop.outlet.pk}/penjualan/"
    assert "Rp70.000" in client.get(today).content.decode()
    response = client.post(f"/gerai/{shop.outlet.pk}/tutup-kasir/", {"cash_counted": "Rp70.000"}, follow=True)
    page = response.content.decode()
    assert 'data-testid="my-close"' in page
    assert "Rp0" in page
    assert client.post(sale_page(shop), form(shop, [(shop.rice, 1)], key="r2", cash="70000")).status_code == 409
    client.force_login(shop.supervisor)
    report = client.get(f"/gerai/{shop.outlet.pk}/laporan/").content.decode()
    assert "Rp70.000" in report
    assert "selisih" in report.lower()
    assert 'data-testid="position"' in report


def test_the_quote_tells_the_cashier_what_the_card_pays_and_what_is_cash_before_paying(client, shop):
    client.force_login(shop.cashier)
    url = f"/gerai/{shop.outlet.pk}/jual/rincian/"
    basket = [(shop.rice, 4), (shop.cigarettes, 1)]  # Rp280.000 of rice, Rp32.000 of cigarettes
    answer = client.post(url, form(shop, basket, card_number=shop.world.card.number, pin=PIN))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["total"], body["card"], body["cash"]) == (312_000, 200_000, 112_000)
    assert body["text"]["pockets"] == "Pangan Rp150.000, Umum Rp50.000"
    assert body["text"]["left"] == "Pangan Rp0, Umum Rp0"
    assert Sale.objects.count() == 0  # nothing sold, nothing paid
    assert Card.objects.get(pk=shop.world.card.pk).failed_pin_attempts == 0

    wrong = client.post(url, form(shop, basket, card_number=shop.world.card.number, pin="000000"))
    assert wrong.status_code in (401, 403)
    assert wrong.json()["code"] == "aid.wrong_pin"
    assert Card.objects.get(pk=shop.world.card.pk).failed_pin_attempts == 1  # counted, as at the till
    assert "saldo" not in wrong.json()["message"].lower()

    page = client.get(sale_page(shop)).content.decode()
    assert 'data-testid="item-code">8991001<' in page  # the code the scanner types, shown


def test_an_auditor_reads_every_outlet_of_the_area_and_follows_a_payment_to_its_goods(client, shop, make_user):
    from betang.aid.models import Redemption

    client.force_login(shop.cashier)
    client.post(sale_page(shop), form(shop, [(shop.rice, 1)], card_number=shop.world.card.number, pin=PIN))
    sale = Sale.objects.get()
    receipt = Redemption.objects.get(pk=sale.redemption_id).receipt_number

    auditor = make_user(role="AUDITOR", scope="62.03", username="auditor.kapuas")
    client.force_login(auditor)
    home = client.get("/gerai/").content.decode()
    assert shop.outlet.name in home
    assert f"/gerai/{shop.outlet.pk}/jual/" not in home  # reads, never sells
    assert client.get(sale_page(shop)).status_code == 403
    for page in ("penjualan", "stok", "laporan"):
        assert client.get(f"/gerai/{shop.outlet.pk}/{page}/").status_code == 200, page
    sold_on = timezone.localdate(sale.occurred_at).isoformat()
    day = client.get(f"/gerai/{shop.outlet.pk}/penjualan/", {"hari": sold_on}).content.decode()
    assert sale.number in day
    assert "tutup-kasir" not in day  # no day close, no void for a reader
    odd = client.get(f"/gerai/{shop.outlet.pk}/penjualan/", {"hari": "2026-13-45"}, follow=True).content.decode()
    assert "bukan hari yang dapat ditampilkan" in odd
    assert 'data-testid="void-' not in day
    followed = client.get(f"/gerai/struk/kartu/{receipt}/")
    assert followed["Location"] == f"/gerai/struk/{sale.pk}/"
    shown = client.get(followed["Location"]).content.decode()
    assert "Beras Medium 5 kg" in shown
    assert f'data-testid="receipt-card-number">{receipt}<' in shown  # the number the card's statement shows
    assert 'data-testid="next-sale"' not in shown  # a reader is offered the day's sales, not a sale
    assert client.post(f"/gerai/struk/{sale.pk}/batal/", {"reason": "x"}).status_code == 403

    outsider = make_user(role="AUDITOR", scope="62.71", username="auditor.palangkaraya")
    client.force_login(outsider)
    assert client.get(f"/gerai/struk/{sale.pk}/").status_code == 404
    assert client.get(f"/gerai/struk/kartu/{receipt}/").status_code == 404
    assert shop.outlet.name not in client.get("/gerai/").content.decode()
