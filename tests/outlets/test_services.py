"""The point of sale's service: a sale by card and/or cash moves stock and money exactly once, and every
refusal leaves stock, sales and the ledger as they were (but a wrong PIN is still counted)."""

import pytest
from django.db.models import Sum

from betang.aid.models import Card, Redemption
from betang.aid.services import payments
from betang.ledger.models import Entry
from betang.ledger.verify import ledger_verify
from betang.outlets.models import Sale, SaleLine, Stock, StockMove
from betang.outlets.services import days, sales
from betang.outlets.services import stock as goods
from betang.outlets.services.sales import LineIn, sale_complete, sale_void
from tests.aid.conftest import PIN
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def sell(shop, lines, *, key="s1", card=None, pin=PIN, card_amount=None, cash=None, at=NOW):
    return sale_complete(
        outlet=shop.outlet,
        cashier=shop.cashier,
        lines=[LineIn(item.pk, n) for item, n in lines],
        key=key,
        occurred_at=at,
        recorded_at=at,
        card_number=card if card is not None else "",
        pin=pin,
        card_amount=card_amount,
        cash_tendered=cash,
    )


def stock(shop, item) -> int:
    return Stock.objects.get(outlet=shop.outlet, item=item).quantity


def balances(shop) -> dict[str, int]:
    return {b.code: b.balance for b in payments.card_balance(card_number=shop.world.card.number, pin=PIN)}


def state(shop):
    """Everything a refused sale must leave as it was."""
    return (
        Sale.objects.count(),
        StockMove.objects.count(),
        list(Stock.objects.order_by("item_id").values_list("quantity", flat=True)),
        Entry.objects.count(),
        Redemption.objects.count(),
    )


def test_a_cash_sale_takes_the_goods_from_stock_and_gives_change(shop):
    sale = sell(shop, [(shop.rice, 1), (shop.soap, 2)], cash=100_000).sale
    assert (sale.total, sale.card_amount, sale.cash_amount, sale.cash_tendered, sale.change) == (
        82_000,
        0,
        82_000,
        100_000,
        18_000,
    )
    assert [(line.name, line.quantity, line.unit_price, line.amount) for line in sale.lines.all()] == [
        ("Beras Medium 5 kg", 1, 70_000, 70_000),
        ("Sabun Cuci", 2, 6_000, 12_000),
    ]
    assert (stock(shop, shop.rice), stock(shop, shop.soap)) == (9, 18)
    assert StockMove.objects.filter(sale=sale).aggregate(n=Sum("quantity"))["n"] == -3
    assert sale.redemption_id is None
    assert Entry.objects.filter(kind="aid.card.payment").count() == 0


def test_the_card_pays_the_eligible_lines_and_cash_the_rest(shop):
    sale = sell(
        shop, [(shop.rice, 1), (shop.eggs, 1), (shop.soap, 1), (shop.cigarettes, 1)], card=shop.world.card.number
    ).sale
    # rice and eggs from the food pocket, soap from the general one; cigarettes never by card
    assert (sale.total, sale.card_amount, sale.cash_amount) == (136_000, 104_000, 32_000)
    assert sale.pockets == {"FOOD": 98_000, "GENERAL": 6_000}
    assert [line.card_amount for line in sale.lines.all()] == [70_000, 28_000, 6_000, 0]
    assert balances(shop) == {"FOOD": 52_000, "GENERAL": 44_000}
    redemption = Redemption.objects.get(pk=sale.redemption_id)
    assert (redemption.amount, redemption.outlet_id, redemption.operator_id) == (
        104_000,
        shop.outlet.pk,
        shop.cashier.pk,
    )
    assert sale.card_last4 == shop.world.card.number[-4:]
    assert [b["balance"] for b in sale.balances] == [52_000, 44_000]
    assert all(c.ok for c in ledger_verify())


def test_a_card_amount_splits_a_basket_between_card_and_cash(shop):
    sale = sell(
        shop, [(shop.rice, 2), (shop.eggs, 1)], card=shop.world.card.number, card_amount=150_000, cash=20_000
    ).sale
    assert (sale.total, sale.card_amount, sale.cash_amount, sale.change) == (168_000, 150_000, 18_000, 2_000)
    assert [line.card_amount for line in sale.lines.all()] == [140_000, 10_000]
    assert balances(shop) == {"FOOD": 0, "GENERAL": 50_000}


def test_a_blank_card_amount_lets_the_card_pay_what_it_can_and_cash_the_rest(shop):
    """The README's promise and the page's hint ("kosong: semampunya"): a basket above the card's
    balance is not refused; the card pays all its pockets hold for the eligible lines."""
    sale = sell(shop, [(shop.rice, 9), (shop.cigarettes, 1)], card=shop.world.card.number).sale
    assert (sale.total, sale.card_amount, sale.cash_amount) == (662_000, 200_000, 462_000)
    assert [line.card_amount for line in sale.lines.order_by("item__code")] == [200_000, 0]
    assert balances(shop) == {"FOOD": 0, "GENERAL": 0}
    assert all(c.ok for c in ledger_verify())


def test_an_empty_card_is_refused_only_after_its_pin(shop):
    sell(shop, [(shop.rice, 3)], card=shop.world.card.number, key="drain")  # Rp200.000 of Rp210.000
    before = state(shop)
    with pytest.raises(payments.WrongPin):  # a wrong PIN learns nothing of the balance
        sell(shop, [(shop.rice, 1)], card=shop.world.card.number, pin="000000", key="empty-wrong")
    with pytest.raises(payments.InsufficientBalance) as refused:
        sell(shop, [(shop.rice, 1)], card=shop.world.card.number, key="empty-right")
    assert refused.value.details["pockets"] == {"Pangan": 0, "Umum": 0}  # named, never FOOD or GENERAL
    assert state(shop) == before


def test_the_same_key_sells_once_and_answers_the_same(shop):
    first = sell(shop, [(shop.rice, 1)], card=shop.world.card.number).sale
    again = sell(shop, [(shop.rice, 1)], card=shop.world.card.number)
    assert again.replayed
    assert again.sale.pk == first.pk
    assert stock(shop, shop.rice) == 9
    assert Sale.objects.count() == 1
    assert Redemption.objects.count() == 1
    with pytest.raises(sales.SaleKeyReused):
        sell(shop, [(shop.rice, 2)], card=shop.world.card.number)


@pytest.mark.parametrize(
    ("lines", "kwargs", "error"),
    [
        ("rice9", {"card": "wrongpin"}, payments.WrongPin),
        ("rice1", {"card": "0000000000000000"}, payments.CardUnknown),
        ("cigarettes", {"card": "card"}, sales.NothingForCard),
        ("rice9", {"card": "card", "card_amount": 630_000}, payments.InsufficientBalance),
        ("rice1", {"card": "card", "card_amount": 80_000}, sales.CardAmountTooHigh),
        ("rice1", {"card": "card", "card_amount": -5}, sales.CardAmountTooHigh),
        ("rice1", {"card": "card", "card_amount": "70000"}, sales.CardAmountTooHigh),  # a caller's text, not rupiah
        ("rice11", {}, goods.OutOfStock),
        ("rice1", {"cash": 50_000}, sales.CashShort),
        ("none", {}, sales.EmptyBasket),
        ("zero", {}, goods.BadQuantity),
    ],
)
def test_a_refused_sale_leaves_stock_sales_and_ledger_as_they_were(shop, lines, kwargs, error):
    basket = {
        "rice9": [(shop.rice, 9)],  # Rp630.000: more than the card holds
        "rice1": [(shop.rice, 1)],
        "rice11": [(shop.rice, 11)],
        "cigarettes": [(shop.cigarettes, 1)],
        "none": [],
        "zero": [(shop.rice, 0)],
    }[lines]
    card = kwargs.pop("card", None)
    pin = "000000" if card == "wrongpin" else PIN
    number = {"wrongpin": shop.world.card.number, "card": shop.world.card.number}.get(card, card)
    before = state(shop)
    with pytest.raises(error) as refused:
        sell(shop, basket, card=number, pin=pin, **kwargs)
    assert refused.value.code  # a stable code for the page and the API
    assert state(shop) == before


def test_a_wrong_pin_at_the_till_is_counted_and_three_lock_the_card(shop):
    for attempt in range(2):
        with pytest.raises(payments.WrongPin):
            sell(shop, [(shop.rice, 1)], key=f"w{attempt}", card=shop.world.card.number, pin="000000")
    assert Card.objects.get(pk=shop.world.card.pk).failed_pin_attempts == 2
    with pytest.raises(payments.CardLocked):
        sell(shop, [(shop.rice, 1)], key="w3", card=shop.world.card.number, pin="000000")
    with pytest.raises(payments.CardLocked):  # now even the right PIN
        sell(shop, [(shop.rice, 1)], key="w4", card=shop.world.card.number)
    assert Card.objects.get(pk=shop.world.card.pk).status == Card.Status.LOCKED
    assert Sale.objects.count() == 0
    assert stock(shop, shop.rice) == 10


def test_a_void_reverses_the_card_payment_and_returns_the_goods(shop):
    sale = sell(shop, [(shop.rice, 1), (shop.soap, 1)], card=shop.world.card.number).sale
    voided = sale_void(sale=sale, actor=shop.supervisor, reason="salah barang", occurred_at=NOW, recorded_at=NOW)
    assert voided.status == Sale.Status.VOIDED
    assert voided.voided_by == shop.supervisor
    assert balances(shop) == {"FOOD": 150_000, "GENERAL": 50_000}
    assert (stock(shop, shop.rice), stock(shop, shop.soap)) == (10, 20)
    assert Redemption.objects.get(pk=sale.redemption_id).status == Redemption.Status.VOIDED
    again = sale_void(sale=sale, actor=shop.supervisor, reason="lagi", occurred_at=NOW, recorded_at=NOW)
    assert again.void_reason == "salah barang"
    assert StockMove.objects.filter(kind="VOID").count() == 2
    assert Entry.objects.filter(reverses__isnull=False).count() == 1
    assert SaleLine.objects.filter(sale=sale).count() == 2  # the sale stays, marked
    assert all(c.ok for c in ledger_verify())


def test_a_sale_of_another_day_is_not_voided(shop):
    sale = sell(shop, [(shop.rice, 1)], cash=70_000).sale
    with pytest.raises(sales.VoidRefused):
        sale_void(sale=sale, actor=shop.supervisor, reason="telat", occurred_at=NOW.replace(day=22), recorded_at=NOW)
    assert Sale.objects.get(pk=sale.pk).status == Sale.Status.PAID


def test_stock_is_received_and_adjusted_with_a_reason_and_never_goes_below_zero(shop):
    goods.stock_receive(
        outlet=shop.outlet,
        item=shop.eggs,
        quantity=3,
        reference="SJ-002",
        actor=shop.supervisor,
        occurred_at=NOW,
        recorded_at=NOW,
    )
    goods.stock_adjust(
        outlet=shop.outlet,
        item=shop.eggs,
        quantity=-2,
        reason="pecah",
        actor=shop.supervisor,
        occurred_at=NOW,
        recorded_at=NOW,
    )
    assert stock(shop, shop.eggs) == 6
    with pytest.raises(goods.OutOfStock):
        goods.stock_adjust(
            outlet=shop.outlet,
            item=shop.eggs,
            quantity=-7,
            reason="hilang",
            actor=shop.supervisor,
            occurred_at=NOW,
            recorded_at=NOW,
        )
    with pytest.raises(goods.ItemInvalid):
        goods.stock_adjust(
            outlet=shop.outlet,
            item=shop.eggs,
            quantity=-1,
            reason=" ",
            actor=shop.supervisor,
            occurred_at=NOW,
            recorded_at=NOW,
        )
    moves = list(
        StockMove.objects.filter(item=shop.eggs)
        .order_by("recorded_at", "kind")
        .values_list("kind", "quantity", "after")
    )
    assert sorted(moves) == sorted([("RECEIVE", 5, 5), ("RECEIVE", 3, 8), ("ADJUST", -2, 6)])


def test_a_new_price_applies_to_new_sales_only(shop):
    first = sell(shop, [(shop.eggs, 1)], key="p1", cash=28_000).sale
    goods.item_price_set(item=shop.eggs, price=30_000, actor=shop.supervisor, occurred_at=NOW)
    second = sell(shop, [(shop.eggs, 1)], key="p2", cash=30_000).sale
    assert [s.lines.get().unit_price for s in (first, second)] == [28_000, 30_000]
    with pytest.raises(goods.ItemInvalid):
        goods.item_price_set(item=shop.eggs, price=0, actor=shop.supervisor, occurred_at=NOW)


def test_a_retry_of_the_sale_that_took_the_last_of_an_item_returns_that_sale(shop):
    first = sell(shop, [(shop.eggs, 5)], key="last", cash=140_000).sale
    assert stock(shop, shop.eggs) == 0
    again = sell(shop, [(shop.eggs, 5)], key="last", cash=140_000)
    assert again.replayed
    assert again.sale.pk == first.pk
    with pytest.raises(goods.OutOfStock):
        sell(shop, [(shop.eggs, 1)], key="another", cash=28_000)


def test_one_basket_with_an_item_twice_takes_both_from_its_stock(shop):
    sale = sell(shop, [(shop.soap, 2), (shop.rice, 1), (shop.soap, 3)], cash=100_000).sale
    assert (stock(shop, shop.soap), stock(shop, shop.rice)) == (15, 9)
    afters = sorted(StockMove.objects.filter(sale=sale, item=shop.soap).values_list("quantity", "after"))
    assert afters == [(-3, 15), (-2, 18)]


def test_a_day_close_counts_the_cashiers_sales_and_the_drawer_and_ends_their_day(shop):
    sell(shop, [(shop.rice, 1)], key="c1", card=shop.world.card.number)
    sell(shop, [(shop.soap, 2)], key="c2", cash=20_000)
    voided = sell(shop, [(shop.eggs, 1)], key="c3", cash=28_000).sale
    sale_void(sale=voided, actor=shop.supervisor, reason="batal", occurred_at=NOW, recorded_at=NOW)
    closed = days.day_close(
        outlet=shop.outlet, cashier=shop.cashier, cash_counted=10_000, note="", actor=shop.cashier, occurred_at=NOW
    )
    assert (closed.sales, closed.voided, closed.card_total, closed.cash_total) == (2, 1, 70_000, 12_000)
    assert closed.difference == -2_000  # a shortfall
    again = days.day_close(
        outlet=shop.outlet, cashier=shop.cashier, cash_counted=12_000, note="", actor=shop.cashier, occurred_at=NOW
    )
    assert again.pk == closed.pk
    assert again.cash_counted == 10_000
    with pytest.raises(sales.DayClosed):
        sell(shop, [(shop.rice, 1)], key="c4", cash=70_000)
    first = Sale.objects.get(idempotency_key="c2")
    with pytest.raises(sales.VoidRefused):
        sale_void(sale=first, actor=shop.supervisor, reason="telat", occurred_at=NOW, recorded_at=NOW)
    other = sale_complete(
        outlet=shop.outlet,
        cashier=shop.supervisor,
        lines=[LineIn(shop.rice.pk, 1)],
        key="c5",
        occurred_at=NOW,
        recorded_at=NOW,
    )
    assert not other.replayed  # another cashier's day is still open


def test_no_pin_typed_is_refused_and_never_counted(shop):
    """Enter pressed twice, or a scanner's Enter, sends no PIN: that is no guess at it."""
    for attempt in range(4):
        with pytest.raises(payments.PinMissing):
            sell(shop, [(shop.rice, 1)], key=f"empty-{attempt}", card=shop.world.card.number, pin="")
    card = Card.objects.get(pk=shop.world.card.pk)
    assert (card.failed_pin_attempts, card.status) == (0, Card.Status.ACTIVE)
    assert Sale.objects.count() == 0
